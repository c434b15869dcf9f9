package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// IdentityHash is what a site computes on its server to vouch for a
// contact: hex(HMAC-SHA256(secret, externalID)).
func IdentityHash(secret []byte, externalID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(externalID))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyIdentity reports whether hexHash is IdentityHash(secret,
// externalID). Hex of either case is accepted; the comparison is in
// constant time. An empty secret verifies nothing.
func VerifyIdentity(secret []byte, externalID, hexHash string) bool {
	if len(secret) == 0 || len(hexHash) != 2*sha256.Size {
		return false
	}
	got, err := hex.DecodeString(hexHash)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(externalID))
	return hmac.Equal(got, m.Sum(nil))
}

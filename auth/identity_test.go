package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/auth"
)

func TestVerifyIdentity(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	// Computed independently: printf 'user-42' | openssl dgst -sha256 -hmac "$secret"
	const want = "d6f70521973278294ce7b05519c3131f25d1710102d6c7e2842e84faa1ca1b01"
	good := auth.IdentityHash(secret, "user-42")
	require.Equal(t, want, good)

	require.True(t, auth.VerifyIdentity(secret, "user-42", good))
	require.True(t, auth.VerifyIdentity(secret, "user-42", strings.ToUpper(good)), "hex case does not matter")

	for name, c := range map[string]struct{ secret, id, hash string }{
		"other id":         {string(secret), "user-43", good},
		"other secret":     {"another secret of thirty-two b!!", "user-42", good},
		"empty hash":       {string(secret), "user-42", ""},
		"truncated hash":   {string(secret), "user-42", good[:62]},
		"longer hash":      {string(secret), "user-42", good + "00"},
		"not hex":          {string(secret), "user-42", "zz" + good[2:]},
		"empty secret":     {"", "user-42", auth.IdentityHash(nil, "user-42")},
		"flipped last bit": {string(secret), "user-42", good[:63] + flip(good[63])},
	} {
		require.False(t, auth.VerifyIdentity([]byte(c.secret), c.id, c.hash), name)
	}
}

func flip(h byte) string {
	if h == '0' {
		return "1"
	}
	return "0"
}

func FuzzVerifyIdentity(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f.Add("user-42", auth.IdentityHash(secret, "user-42"))
	f.Add("", "")
	f.Add("x", strings.Repeat("0", 64))
	f.Add("ü", "ZZ")
	f.Fuzz(func(t *testing.T, externalID, hash string) {
		ok := auth.VerifyIdentity(secret, externalID, hash)
		// Only the true hash verifies, in either hex case.
		require.Equal(t, strings.EqualFold(hash, auth.IdentityHash(secret, externalID)), ok)
	})
}

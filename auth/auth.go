// Package auth holds the credentials of Switchboard: operator passwords
// (bcrypt), session tokens (random, stored hashed) and visitor tokens
// (HMAC-signed by the workspace's key, expiring).
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// ErrInvalidToken: a token that is malformed, forged or expired.
var ErrInvalidToken = errors.New("invalid or expired token")

// HashPassword returns the bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the account does not exist, so a
// login takes as long for an unknown email as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-timing-equaliser"), bcrypt.DefaultCost)

// CheckPassword reports whether password matches hash. An empty hash (no
// such operator) still costs one bcrypt comparison.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewToken returns a random opaque token and the hash under which it is
// stored; the token itself is never stored.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RandomPassword returns a password for a generated account.
func RandomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// VisitorClaims is what a visitor token asserts.
type VisitorClaims struct {
	WorkspaceID uuid.UUID `json:"w"`
	VisitorID   uuid.UUID `json:"v"`
	ExpiresAt   int64     `json:"e"` // unix seconds
}

// SignVisitorToken returns a token for claims, signed with the workspace's
// key: base64url(JSON claims) "." base64url(HMAC-SHA256(key, first part)).
func SignVisitorToken(key []byte, c VisitorClaims) string {
	body, _ := json.Marshal(c)
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(key, payload))
}

// VisitorTokenWorkspace reads the workspace a token claims, unverified, so
// the caller can fetch that workspace's key for VerifyVisitorToken.
func VisitorTokenWorkspace(token string) (uuid.UUID, error) {
	c, _, _, err := splitVisitorToken(token)
	if err != nil {
		return uuid.Nil, err
	}
	return c.WorkspaceID, nil
}

// VerifyVisitorToken checks the signature (in constant time) and expiry.
func VerifyVisitorToken(key []byte, token string, now time.Time) (VisitorClaims, error) {
	c, payload, sig, err := splitVisitorToken(token)
	if err != nil {
		return VisitorClaims{}, err
	}
	if !hmac.Equal(sig, mac(key, payload)) {
		return VisitorClaims{}, ErrInvalidToken
	}
	if now.Unix() >= c.ExpiresAt {
		return VisitorClaims{}, ErrInvalidToken
	}
	return c, nil
}

func splitVisitorToken(token string) (VisitorClaims, string, []byte, error) {
	payload, sigText, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return VisitorClaims{}, "", nil, ErrInvalidToken
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return VisitorClaims{}, "", nil, ErrInvalidToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigText)
	if err != nil {
		return VisitorClaims{}, "", nil, ErrInvalidToken
	}
	var c VisitorClaims
	if err := json.Unmarshal(body, &c); err != nil || c.WorkspaceID == uuid.Nil || c.VisitorID == uuid.Nil {
		return VisitorClaims{}, "", nil, ErrInvalidToken
	}
	return c, payload, sig, nil
}

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// EqualTokens compares a presented token with the expected one in constant
// time; an empty expected token never matches.
func EqualTokens(presented, expected string) bool {
	return expected != "" && hmac.Equal([]byte(presented), []byte(expected))
}

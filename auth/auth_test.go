package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestVisitorToken(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	c := VisitorClaims{WorkspaceID: uuid.New(), VisitorID: uuid.New(), ExpiresAt: now.Add(time.Hour).Unix()}
	tok := SignVisitorToken(key, c)

	ws, err := VisitorTokenWorkspace(tok)
	require.NoError(t, err)
	require.Equal(t, c.WorkspaceID, ws)

	got, err := VerifyVisitorToken(key, tok, now)
	require.NoError(t, err)
	require.Equal(t, c, got)

	_, err = VerifyVisitorToken(key, tok, now.Add(time.Hour))
	require.ErrorIs(t, err, ErrInvalidToken, "expired")

	_, err = VerifyVisitorToken([]byte("another-workspace-key-0123456789"), tok, now)
	require.ErrorIs(t, err, ErrInvalidToken, "other key")

	// A visitor editing the claims to become someone else breaks the MAC.
	forged := SignVisitorToken([]byte("attacker"), VisitorClaims{WorkspaceID: c.WorkspaceID, VisitorID: uuid.New(), ExpiresAt: c.ExpiresAt})
	payload, _, _ := strings.Cut(forged, ".")
	_, sig, _ := strings.Cut(tok, ".")
	_, err = VerifyVisitorToken(key, payload+"."+sig, now)
	require.ErrorIs(t, err, ErrInvalidToken, "swapped payload")

	for _, bad := range []string{"", ".", "abc", "a.b", strings.Repeat("a", 600) + ".b"} {
		_, err := VerifyVisitorToken(key, bad, now)
		require.ErrorIs(t, err, ErrInvalidToken, bad)
	}
}

func FuzzVisitorToken(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f.Add(SignVisitorToken(key, VisitorClaims{WorkspaceID: uuid.New(), VisitorID: uuid.New(), ExpiresAt: 1 << 40}))
	f.Add("e30.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := VerifyVisitorToken(key, tok, time.Unix(0, 0))
		if err == nil && (c.WorkspaceID == uuid.Nil || c.VisitorID == uuid.Nil) {
			t.Fatalf("accepted token without ids: %q", tok)
		}
	})
}

func TestPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse")
	require.NoError(t, err)
	require.True(t, CheckPassword(h, "correct horse"))
	require.False(t, CheckPassword(h, "wrong"))
	require.False(t, CheckPassword("", "anything"))
}

package app_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/systest"
)

// closeRevoked is the close code of a socket whose session, API token or
// operator was revoked.
const closeRevoked = 4401

// startNode starts another API node on the package's database and
// Temporal, with a bus of its own: nothing published on the shared
// system's bus reaches it, as when a NATS message is lost.
func startNode(t *testing.T, adjust func(*app.Config)) *app.System {
	t.Helper()
	cfg := app.Config{
		DatabaseURL: env.DatabaseURL, TemporalAddress: env.Temporal.HostPort(), HTTPAddr: "127.0.0.1:0",
		API: true, Logger: systest.Logger(), RateLimits: &api.Limits{},
	}
	if adjust != nil {
		adjust(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sys, err := app.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sys.Shutdown(ctx)
	})
	return sys
}

// on returns a copy of c that talks to the server at base, with the same
// session cookie or token.
func on(t *testing.T, c *systest.Client, base string) *systest.Client {
	cp := c.For(t)
	cp.Base = base
	return cp
}

// requireRevokedWithin requires the socket to be closed with closeRevoked
// within d.
func requireRevokedWithin(t *testing.T, s *systest.Socket, d time.Duration) {
	t.Helper()
	err := s.WaitClosed(d)
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
	require.Equal(t, closeRevoked, ce.Code)
}

// requireOpen requires that the socket is still open: it answers a ping.
func requireOpen(t *testing.T, s *systest.Socket) {
	t.Helper()
	require.NoError(t, s.Conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)))
	s.WaitFor(5*time.Second, "pong", func(f systest.Frame) bool { return f.Type == "pong" })
}

func TestRevocationClosesSocketsTheBusMissed(t *testing.T) {
	t.Parallel()
	nodeB := startNode(t, nil)
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	adminOnB := on(t, admin, nodeB.URL).Dial()

	t.Run("logout", func(t *testing.T) {
		op := env.NewOperator(t, ws, "operator")
		session, other := env.Login(t, op), env.Login(t, op)
		sock, otherSock := on(t, session, nodeB.URL).Dial(), on(t, other, nodeB.URL).Dial()
		session.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
		requireRevokedWithin(t, sock, time.Second)
		requireOpen(t, otherSock) // the operator's other session lives on
	})

	t.Run("api token", func(t *testing.T) {
		token, entry := createToken(t, admin, "socket", "operator")
		keep, _ := createToken(t, admin, "kept", "operator")
		sock := on(t, tokenClient(t, token), nodeB.URL).Dial()
		keptSock := on(t, tokenClient(t, keep), nodeB.URL).Dial()
		admin.Must(http.StatusNoContent, "DELETE", "/api/v1/api-tokens/"+entry["id"].(string), nil)
		requireRevokedWithin(t, sock, time.Second)
		requireOpen(t, keptSock)
	})

	t.Run("deactivation", func(t *testing.T) {
		opAdmin := env.NewOperator(t, ws, "admin")
		c := env.Login(t, opAdmin)
		token, _ := createToken(t, c, "theirs", "operator")
		sessionSock := on(t, c, nodeB.URL).Dial()
		tokenSock := on(t, tokenClient(t, token), nodeB.URL).Dial()
		owner := env.Login(t, env.NewOperator(t, ws, "owner"))
		owner.Must(http.StatusOK, "POST", opPath(opAdmin.ID, "/deactivate"), nil)
		requireRevokedWithin(t, sessionSock, time.Second)
		requireRevokedWithin(t, tokenSock, time.Second)
	})

	requireOpen(t, adminOnB)
}

func TestRevocationTravelsTheBus(t *testing.T) {
	t.Parallel()
	// A node without the poll: only its bus can close the sockets.
	node := startNode(t, func(c *app.Config) { c.RevocationPoll = -1 })
	ws := env.NewWorkspace(t)
	owner := on(t, env.Login(t, env.NewOperator(t, ws, "owner")), node.URL)

	op := env.NewOperator(t, ws, "admin")
	session := on(t, env.Login(t, op), node.URL)
	token, entry := createToken(t, session, "bus", "operator")
	tokenC := on(t, tokenClient(t, token), node.URL)

	sock := session.Dial()
	session.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
	requireRevokedWithin(t, sock, time.Second)

	sock = tokenC.Dial()
	owner.Must(http.StatusNoContent, "DELETE", "/api/v1/api-tokens/"+entry["id"].(string), nil)
	requireRevokedWithin(t, sock, time.Second)

	again := on(t, env.Login(t, op), node.URL).Dial()
	owner.Must(http.StatusOK, "POST", opPath(op.ID, "/deactivate"), nil)
	requireRevokedWithin(t, again, time.Second)

	m := owner.Must(http.StatusOK, "GET", "/metrics", nil)
	require.Contains(t, string(m.Raw), "switchboard_sockets_revoked_total 3")
}

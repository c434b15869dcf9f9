package systest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

// Password is every test operator's password.
const Password = "correct horse battery staple"

var (
	hashOnce sync.Once
	hash     string
)

// passwordHash is Password's hash at bcrypt's lowest cost: a login checks
// a password at the cost its hash was made with, and the suites log in
// hundreds of times, which at the production cost (auth.HashPassword)
// under -race took most of a minute of CPU. Passwords set through the API
// are hashed at the production cost as always.
func passwordHash() string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		hash = string(h)
		if !auth.CheckPassword(hash, Password) {
			panic("systest: auth.CheckPassword refuses a bcrypt hash")
		}
	})
	return hash
}

// NewWorkspace creates a workspace of the test's own.
func (e *Env) NewWorkspace(t testing.TB) store.Workspace {
	t.Helper()
	ws, err := e.System.Store.CreateWorkspace(context.Background(), "test "+t.Name())
	require.NoError(t, err)
	return ws
}

// NewOperator creates an operator with the given role and Password.
func (e *Env) NewOperator(t testing.TB, ws store.Workspace, role string) store.Operator {
	t.Helper()
	return e.NewNamedOperator(t, ws, role, "Op "+role)
}

// NewNamedOperator is NewOperator with a name (one a note can @mention).
func (e *Env) NewNamedOperator(t testing.TB, ws store.Workspace, role, name string) store.Operator {
	t.Helper()
	op, err := e.System.Store.CreateOperator(context.Background(), store.NewOperator{
		WorkspaceID: ws.ID, Email: strings.ToLower(uuid.NewString()) + "@test.invalid", Name: name,
		PasswordHash: passwordHash(), Role: role,
	})
	require.NoError(t, err)
	return op
}

// Client is an HTTP client of the system under test: an operator with a
// session cookie, or a visitor with a token.
type Client struct {
	t     testing.TB
	Base  string
	HTTP  *http.Client
	Token string // visitor token
	// CSRF is the session's CSRF token, sent on every request.
	CSRF string
	// APIToken, when set, authenticates instead of the cookie.
	APIToken string
}

// For returns a copy of the client that reports to t (a fuzz target's
// clients are made with the F, and must fail through each input's T).
func (c *Client) For(t testing.TB) *Client {
	cp := *c
	cp.t = t
	return &cp
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// ErrorCode is the API error code of a failed response.
func (r Response) ErrorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// ErrorField is the field an error names.
func (r Response) ErrorField() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

// Decode re-decodes the body into out.
func (r Response) Decode(t testing.TB, out any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Raw, out), string(r.Raw))
}

// Do sends a request; body may be nil, a string (sent as is) or a value
// encoded as JSON.
func (c *Client) Do(method, path string, body any) Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIToken)
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(c.t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

// Must sends a request and requires the status.
func (c *Client) Must(status int, method, path string, body any) Response {
	c.t.Helper()
	r := c.Do(method, path, body)
	require.Equal(c.t, status, r.Status, "%s %s: %s", method, path, r.Raw)
	return r
}

// NewClient returns a client of the server at base with a cookie jar.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: base, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// Login returns a client with op's session.
func (e *Env) Login(t testing.TB, op store.Operator) *Client {
	t.Helper()
	c := NewClient(t, e.System.URL)
	c.LogIn(op.Email, Password)
	return c
}

// LogIn logs the client in and keeps the session's CSRF token.
func (c *Client) LogIn(email, password string) {
	c.t.Helper()
	r := c.Must(http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	c.CSRF = r.Body["csrf_token"].(string)
}

// Visitor starts a widget session in the workspace.
func (e *Env) Visitor(t testing.TB, ws store.Workspace) *Client {
	t.Helper()
	return NewVisitor(t, e.System.URL, ws.ID.String())
}

// NewVisitor starts a widget session in the workspace of the server at base.
func NewVisitor(t testing.TB, base, workspaceID string) *Client {
	t.Helper()
	c := &Client{t: t, Base: base, HTTP: &http.Client{Timeout: 30 * time.Second}}
	r := c.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": workspaceID})
	c.Token = r.Body["token"].(string)
	return c
}

// StartConversation has the visitor open a conversation with a first
// message and returns its id.
func (c *Client) StartConversation(text string) string {
	c.t.Helper()
	r := c.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", map[string]string{"message": text})
	return r.Body["conversation"].(map[string]any)["id"].(string)
}

// Frame is one event a socket received.
type Frame struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	Data           json.RawMessage `json:"data"`
	Raw            []byte          `json:"-"`
}

// Socket is a WebSocket client collecting frames.
type Socket struct {
	t      testing.TB
	Conn   *websocket.Conn
	frames chan Frame
	closed chan error
}

// Dial opens the client's socket: /ws/operator with the API token or the
// session cookie for an operator, /ws/widget with the token for a visitor.
func (c *Client) Dial() *Socket {
	c.t.Helper()
	url := "ws" + strings.TrimPrefix(c.Base, "http")
	header := http.Header{}
	switch {
	case c.Token != "":
		url += "/ws/widget?token=" + c.Token
	case c.APIToken != "":
		url += "/ws/operator"
		header.Set("Authorization", "Bearer "+c.APIToken)
	default:
		url += "/ws/operator"
		for _, ck := range c.HTTP.Jar.Cookies(mustURL(c.Base)) {
			header.Add("Cookie", fmt.Sprintf("%s=%s", ck.Name, ck.Value))
		}
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if resp != nil {
		resp.Body.Close()
	}
	require.NoError(c.t, err)
	s := &Socket{t: c.t, Conn: conn, frames: make(chan Frame, 1024), closed: make(chan error, 1)}
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				s.closed <- err
				close(s.frames)
				return
			}
			var f Frame
			if json.Unmarshal(raw, &f) == nil {
				f.Raw = raw
				s.frames <- f
			}
		}
	}()
	c.t.Cleanup(func() { conn.Close() })
	return s
}

// WaitFor returns the first frame (skipping others) that match accepts,
// failing the test after timeout.
func (s *Socket) WaitFor(timeout time.Duration, what string, match func(Frame) bool) Frame {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				s.t.Fatalf("socket closed while waiting for %s: %v", what, <-s.closed)
			}
			if match(f) {
				return f
			}
		case <-deadline:
			s.t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

// Drain returns every frame that arrives within d.
func (s *Socket) Drain(d time.Duration) []Frame {
	var out []Frame
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return out
			}
			out = append(out, f)
		case <-deadline:
			return out
		}
	}
}

// WaitClosed waits for the server to close the socket and returns the
// close error (a *websocket.CloseError carries the code).
func (s *Socket) WaitClosed(timeout time.Duration) error {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-s.frames:
			if !ok {
				return <-s.closed
			}
		case <-deadline:
			s.t.Fatalf("socket not closed within %s", timeout)
		}
	}
}

// Updated matches a conversation.updated frame whose conversation status
// and event type are as given ("" matches any).
func Updated(convID, status, eventType string) func(Frame) bool {
	return func(f Frame) bool {
		if f.Type != "conversation.updated" || f.ConversationID != convID {
			return false
		}
		var d struct {
			Conversation struct{ Status string } `json:"conversation"`
			Event        *struct{ Type string }  `json:"event"`
		}
		if json.Unmarshal(f.Data, &d) != nil {
			return false
		}
		if status != "" && d.Conversation.Status != status {
			return false
		}
		if eventType != "" && (d.Event == nil || d.Event.Type != eventType) {
			return false
		}
		return true
	}
}

func mustURL(raw string) *neturl.URL {
	u, err := neturl.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

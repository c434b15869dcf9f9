package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
	"github.com/switchboardhq/switchboard/workflows"
)

// dialRefused opens a visitor's widget socket expecting a refusal before
// the upgrade, and returns the HTTP status and error code.
func dialRefused(t *testing.T, v *systest.Client) (int, string) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(v.Base, "http") + "/ws/widget?token=" + v.Token
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if conn != nil {
		conn.Close()
	}
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return resp.StatusCode, body.Error.Code
}

// messageFrom matches a message.created frame of the conversation with
// the body.
func messageFrom(convID, body string) func(systest.Frame) bool {
	return func(f systest.Frame) bool {
		if f.Type != "message.created" || f.ConversationID != convID {
			return false
		}
		var m struct{ Body string }
		return json.Unmarshal(f.Data, &m) == nil && m.Body == body
	}
}

func requireCloseCode(t *testing.T, s *systest.Socket, code int) {
	t.Helper()
	err := s.WaitClosed(5 * time.Second)
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
	require.Equal(t, code, ce.Code)
}

func workspaceConversationCount(t *testing.T, admin *systest.Client) int {
	t.Helper()
	return len(admin.Must(http.StatusOK, "GET", "/api/v1/conversations?limit=100", nil).Body["conversations"].([]any))
}

func TestWidgetRequiredIdentityGatesEveryVisitorRoute(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	anon, verified := env.Visitor(t, b.ws), env.Visitor(t, b.ws)
	anonConv := anon.StartConversation("before the rule")
	anonSock := anon.Dial()
	verified.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	verifiedConv := verified.StartConversation("I am known")
	verifiedSock := verified.Dial()

	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]bool{"require_identity": true})
	requireCloseCode(t, anonSock, 4004)

	before := workspaceConversationCount(t, b.admin)
	newcomer := env.Visitor(t, b.ws)
	for _, v := range []*systest.Client{anon, newcomer} {
		for _, rt := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/widget/conversations", nil},
			{"POST", "/api/v1/widget/conversations", map[string]string{"message": "let me in"}},
			{"GET", "/api/v1/widget/conversations/" + anonConv, nil},
			{"GET", "/api/v1/widget/conversations/" + anonConv + "/messages", nil},
			{"POST", "/api/v1/widget/conversations/" + anonConv + "/messages", map[string]string{"body": "still here"}},
			{"GET", "/api/v1/widget/conversations/" + uuid.NewString(), nil},
		} {
			r := v.Do(rt.method, rt.path, rt.body)
			require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", rt.method, rt.path, r.Raw)
			require.Equal(t, "identity_required", r.ErrorCode(), "%s %s", rt.method, rt.path)
		}
		status, code := dialRefused(t, v)
		require.Equal(t, http.StatusForbidden, status, "the socket is refused before the upgrade")
		require.Equal(t, "identity_required", code)
	}
	require.Equal(t, before, workspaceConversationCount(t, b.admin), "a refused visitor wrote nothing")
	msgs := b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+anonConv+"/messages", nil).Body["messages"].([]any)
	require.Len(t, msgs, 1)

	// A verified visitor is not affected: its socket stays open and works.
	verified.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+verifiedConv+"/messages", map[string]string{"body": "still fine"})
	verifiedSock.WaitFor(5*time.Second, "the verified visitor's message", messageFrom(verifiedConv, "still fine"))
	require.ElementsMatch(t, []string{verifiedConv}, widgetConversationIDs(t, verified))

	// Identifying stays open, and a bad hash is refused as before.
	r := newcomer.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": "cust-2"})
	require.Equal(t, "identity_invalid", r.ErrorCode())
	newcomer.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-2"))
	newcomer.Dial()
	mine := newcomer.StartConversation("verified now")
	require.Equal(t, []string{mine}, widgetConversationIDs(t, newcomer))

	// Turning the rule off lets anonymous visitors back in.
	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]bool{"require_identity": false})
	anon.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+anonConv+"/messages", map[string]string{"body": "back"})
	anon.Dial()
}

func TestWidgetContactDevicesShareConversations(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	laptop, phone, tablet, stranger := env.Visitor(t, b.ws), env.Visitor(t, b.ws), env.Visitor(t, b.ws), env.Visitor(t, b.ws)
	laptop.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	conv := laptop.StartConversation("from my laptop")
	laptopSock := laptop.Dial()
	// The phone's socket opens before it identifies and joins the
	// contact's audience when it does; the tablet's opens after.
	phoneSock := phone.Dial()
	phone.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	tablet.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	tabletSock := tablet.Dial()
	strangerSock := stranger.Dial()

	// Another device of the contact writes to the conversation.
	r := phone.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+conv+"/messages",
		map[string]string{"body": "from my phone", "idempotency_key": "p-1"})
	first := r.Body["message"].(map[string]any)
	r = phone.Must(http.StatusOK, "POST", "/api/v1/widget/conversations/"+conv+"/messages",
		map[string]string{"body": "from my phone", "idempotency_key": "p-1"})
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first["id"], r.Body["message"].(map[string]any)["id"])
	for _, s := range []*systest.Socket{laptopSock, phoneSock, tabletSock} {
		s.WaitFor(5*time.Second, "the phone's message on every device", messageFrom(conv, "from my phone"))
	}

	// An operator's reply and a lifecycle change reach every device.
	b.admin.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]string{"body": "hello Ada"})
	b.admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/claim", nil)
	for _, s := range []*systest.Socket{laptopSock, phoneSock, tabletSock} {
		s.WaitFor(5*time.Second, "the operator's reply", messageFrom(conv, "hello Ada"))
		s.WaitFor(10*time.Second, "the claim", func(f systest.Frame) bool {
			return f.Type == "conversation.updated" && f.ConversationID == conv
		})
	}
	tablet.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": "from my tablet"})
	laptopSock.WaitFor(5*time.Second, "the tablet's message", messageFrom(conv, "from my tablet"))
	msgs := b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/messages", nil).Body["messages"].([]any)
	require.Len(t, msgs, 4)

	// Someone else is no device of the contact.
	stranger.Must(http.StatusNotFound, "POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": "let me in"})
	for _, f := range strangerSock.Drain(300 * time.Millisecond) {
		require.NotEqual(t, conv, f.ConversationID, "a stranger hears nothing of the contact's conversation")
	}

	// The phone becomes someone else (an unverified claim cuts the link):
	// it no longer writes to the conversation nor hears of it.
	phone.Must(http.StatusOK, "POST", "/api/v1/widget/identify", map[string]string{"external_id": "someone-else"})
	phone.Must(http.StatusNotFound, "POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": "hijack"})
	b.admin.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]string{"body": "private"})
	tabletSock.WaitFor(5*time.Second, "the next reply", messageFrom(conv, "private"))
	for _, f := range phoneSock.Drain(300 * time.Millisecond) {
		require.False(t, messageFrom(conv, "private")(f), "the phone left the contact's audience")
	}
}

// startRaw posts a conversation start without the test helpers, so it can
// run in goroutines.
func startRaw(v *systest.Client, body map[string]string) (int, string, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", v.Base+"/api/v1/widget/conversations", bytes.NewReader(raw))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+v.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Conversation struct{ ID string } `json:"conversation"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Conversation.ID, err
}

func outboxRows(t *testing.T, convID string) int {
	t.Helper()
	var n int
	require.NoError(t, env.System.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM outbox WHERE conversation_id = $1`, convID).Scan(&n))
	return n
}

func TestWidgetStartConversationIdempotent(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	v := env.Visitor(t, b.ws)
	start := map[string]string{"subject": "order 42", "message": "where is my order?", "idempotency_key": "start-1"}

	r := v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", start)
	require.Empty(t, r.Header.Get("Idempotent-Replayed"))
	conv := r.Body["conversation"].(map[string]any)["id"].(string)
	msg := r.Body["message"].(map[string]any)["id"].(string)

	r = v.Must(http.StatusOK, "POST", "/api/v1/widget/conversations", start)
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, conv, r.Body["conversation"].(map[string]any)["id"])
	require.Equal(t, msg, r.Body["message"].(map[string]any)["id"])
	require.Equal(t, []string{conv}, widgetConversationIDs(t, v))

	// The same key for something else is refused, and changes nothing.
	for _, other := range []map[string]string{
		{"subject": "order 42", "message": "something else", "idempotency_key": "start-1"},
		{"subject": "order 43", "message": "where is my order?", "idempotency_key": "start-1"},
		{"subject": "order 42", "message": "where is my order? ", "idempotency_key": "start-1"},
	} {
		r = v.Do("POST", "/api/v1/widget/conversations", other)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		require.Equal(t, "idempotency_key_reused", r.ErrorCode())
	}
	require.Equal(t, []string{conv}, widgetConversationIDs(t, v))

	// Retries racing each other still make one conversation.
	var wg sync.WaitGroup
	type result struct {
		status int
		id     string
		err    error
	}
	results := make([]result, 6)
	race := map[string]string{"message": "double click", "idempotency_key": "start-2"}
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, id, err := startRaw(v, race)
			results[i] = result{s, id, err}
		}()
	}
	wg.Wait()
	created := 0
	for _, res := range results {
		require.NoError(t, res.err)
		require.Contains(t, []int{http.StatusCreated, http.StatusOK}, res.status)
		require.Equal(t, results[0].id, res.id)
		if res.status == http.StatusCreated {
			created++
		}
	}
	require.Equal(t, 1, created)
	require.Len(t, widgetConversationIDs(t, v), 2)

	// Keys are the visitor's: another visitor's same key is its own.
	other := env.Visitor(t, b.ws)
	r = other.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", start)
	require.NotEqual(t, conv, r.Body["conversation"].(map[string]any)["id"])

	// A verified visitor's keys are its contact's: a retry from another
	// device of the contact finds the first.
	laptop, phone := env.Visitor(t, b.ws), env.Visitor(t, b.ws)
	laptop.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	phone.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	byContact := laptop.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", start).Body["conversation"].(map[string]any)["id"]
	r = phone.Must(http.StatusOK, "POST", "/api/v1/widget/conversations", start)
	require.Equal(t, byContact, r.Body["conversation"].(map[string]any)["id"])
	require.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 4, workspaceConversationCount(t, b.admin))

	// One workflow per conversation, however often its start is delivered:
	// a relay that died after starting it and before deleting its outbox
	// row delivers the row again, and the same run goes on.
	convID := uuid.MustParse(conv)
	require.Eventually(t, func() bool { return outboxRows(t, conv) == 0 }, 10*time.Second, 20*time.Millisecond)
	ctx := context.Background()
	wfID := workflows.ConversationWorkflowID(convID)
	desc, err := env.System.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
	require.NoError(t, err)
	runID := desc.WorkflowExecutionInfo.Execution.RunId
	_, err = env.System.Pool.Exec(ctx, `INSERT INTO outbox (workspace_id, conversation_id, kind, payload)
		VALUES ($1, $2, 'conversation.started', '{}')`, b.ws.ID, convID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return outboxRows(t, conv) == 0 }, 10*time.Second, 20*time.Millisecond)
	desc, err = env.System.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
	require.NoError(t, err)
	require.Equal(t, runID, desc.WorkflowExecutionInfo.Execution.RunId, "the same workflow run")
	require.Equal(t, 4, workspaceConversationCount(t, b.admin))
}

package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/systest"
	"github.com/switchboardhq/switchboard/workflows"
)

var env *systest.Env

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	env, err = systest.Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test system:", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// bundle is one test's own workspace with an operator and a visitor.
type bundle struct {
	op      *systest.Client
	visitor *systest.Client
	convID  string
}

func setup(t *testing.T) bundle {
	t.Helper()
	ws := env.NewWorkspace(t)
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	v := env.Visitor(t, ws)
	return bundle{op: op, visitor: v, convID: v.StartConversation("hello, I need help")}
}

func (b bundle) path(suffix string) string {
	return "/api/v1/conversations/" + b.convID + suffix
}

func convBody(r systest.Response) map[string]any {
	return r.Body["conversation"].(map[string]any)
}

func TestSnoozeWakesOnTimeOverSocket(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sock := b.op.Dial()
	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)

	until := time.Now().Add(2 * time.Second)
	r := b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": until})
	require.Equal(t, "snoozed", convBody(r)["status"])
	sock.WaitFor(time.Second, "snoozed event", systest.Updated(b.convID, "snoozed", "snoozed"))

	// The wake is pushed within 3 s of the snooze, and not before its time.
	f := sock.WaitFor(3*time.Second, "woken event", systest.Updated(b.convID, "open", "woken"))
	require.False(t, time.Now().Before(until), "woke before the snooze time")

	got := b.op.Must(http.StatusOK, "GET", b.path(""), nil)
	require.Equal(t, "open", convBody(got)["status"])
	require.Equal(t, "assigned", convBody(got)["phase"])
	events := got.Body["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	require.Equal(t, "woken", last["type"])
	require.Equal(t, "snooze_expired", last["reason"])
	require.EqualValues(t, f.Seq, last["seq"])
}

func TestCustomerReplyWakesSnooze(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sock := b.op.Dial()
	b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until_reply": true})
	b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages",
		map[string]string{"body": "any news?"})
	sock.WaitFor(5*time.Second, "woken by reply", systest.Updated(b.convID, "open", "woken"))
	got := b.op.Must(http.StatusOK, "GET", b.path("/events"), nil)
	events := got.Body["events"].([]any)
	require.Equal(t, "customer_replied", events[len(events)-1].(map[string]any)["reason"])
}

func TestConcurrentClaimsOneWins(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	v := env.Visitor(t, ws)
	conv := v.StartConversation("who takes me?")
	ops := make([]*systest.Client, 20)
	for i := range ops {
		ops[i] = env.Login(t, env.NewOperator(t, ws, "operator"))
	}
	statuses := make([]int, len(ops))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = op.Do("POST", "/api/v1/conversations/"+conv+"/claim", nil).Status
		}()
	}
	close(start)
	wg.Wait()
	won, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusConflict:
			conflicts++
		}
	}
	require.Equal(t, 1, won, "statuses: %v", statuses)
	require.Equal(t, 19, conflicts, "statuses: %v", statuses)

	got := ops[0].Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil)
	require.Equal(t, "assigned", convBody(got)["phase"])
	claimed := 0
	for _, e := range got.Body["events"].([]any) {
		if e.(map[string]any)["type"] == "claimed" {
			claimed++
		}
	}
	require.Equal(t, 1, claimed, "exactly one claim in the event log")
}

func TestIdempotentSendStoresOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	msg := map[string]string{"body": "only once please", "idempotency_key": "k-123"}
	first := b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", msg)
	again := b.visitor.Must(http.StatusOK, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", msg)
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first.Body["message"].(map[string]any)["id"], again.Body["message"].(map[string]any)["id"])

	list := b.op.Must(http.StatusOK, "GET", b.path("/messages"), nil)
	count := 0
	for _, m := range list.Body["messages"].([]any) {
		if m.(map[string]any)["body"] == "only once please" {
			count++
		}
	}
	require.Equal(t, 1, count)

	// The operator's key space is separate from the visitor's.
	b.op.Must(http.StatusCreated, "POST", b.path("/messages"), msg)
}

func TestMessagesReachSocketsAndCatchUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	opSock := b.op.Dial()
	widget := b.visitor.Dial()

	r := b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": "ping <b>bold</b>"})
	seq := int64(r.Body["message"].(map[string]any)["seq"].(float64))
	f := opSock.WaitFor(time.Second, "message on operator socket", func(f systest.Frame) bool { return f.Type == "message.created" && f.Seq == seq })
	require.Contains(t, string(f.Data), `ping \u003cb\u003ebold\u003c/b\u003e`, "text is sent as text, HTML-escaped in JSON")
	widget.WaitFor(time.Second, "echo on widget", func(f systest.Frame) bool { return f.Type == "message.created" && f.Seq == seq })

	b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "pong"})
	widget.WaitFor(time.Second, "operator reply on widget", func(f systest.Frame) bool {
		return f.Type == "message.created" && f.ConversationID == b.convID && f.Seq > seq
	})

	// A client that was away asks for everything after the last seq it saw.
	after := b.visitor.Must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/widget/conversations/%s/messages?after_seq=%d", b.convID, seq), nil)
	msgs := after.Body["messages"].([]any)
	require.Len(t, msgs, 1)
	require.Equal(t, "pong", msgs[0].(map[string]any)["body"])

	// The claim is an operator matter: the widget sees the status, not who.
	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
	u := widget.WaitFor(3*time.Second, "status on widget", func(f systest.Frame) bool { return f.Type == "conversation.updated" })
	require.NotContains(t, string(u.Data), "assignee")
}

// TestWorkflowHearsTurns: a message that changes whose turn it is
// reaches the conversation's workflow, once; a second message of the same
// side does not (docs/SIGNALS.md).
func TestWorkflowHearsTurns(t *testing.T) {
	t.Parallel()
	b := setup(t) // the visitor's first message: the customer's turn
	state := func() conversation.State {
		v, err := env.System.Temporal.QueryWorkflow(context.Background(), workflows.ConversationWorkflowID(uuid.MustParse(b.convID)), "", workflows.QueryState)
		var st conversation.State
		if err == nil {
			err = v.Get(&st)
		}
		if err != nil {
			return conversation.State{}
		}
		return st
	}
	reply := b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "how can I help?"})
	replySeq := int64(reply.Body["message"].(map[string]any)["seq"].(float64))
	require.Eventually(t, func() bool { st := state(); return st.LastMessageSeq == replySeq && st.MessagesSeen == 2 },
		5*time.Second, 20*time.Millisecond, "the workflow heard the operator's reply, the turn changing")

	b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "one more thing"})
	r := b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": "thanks"})
	seq := int64(r.Body["message"].(map[string]any)["seq"].(float64))
	require.Eventually(t, func() bool { st := state(); return st.LastMessageSeq == seq },
		5*time.Second, 20*time.Millisecond, "the workflow heard the customer's turn")
	require.Equal(t, int64(3), state().MessagesSeen, "not the operator's second message: the turn stayed")
}

func TestResolveReopenConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question", "notes": "done"})
	require.Equal(t, "resolved", convBody(r)["status"])
	require.Equal(t, "conflict", b.op.Must(http.StatusConflict, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"}).ErrorCode())
	b.op.Must(http.StatusConflict, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Hour)})
	b.op.Must(http.StatusConflict, "POST", b.path("/claim"), nil)

	// The run ended with the resolve; reopening starts a new run.
	r = b.op.Must(http.StatusOK, "POST", b.path("/reopen"), nil)
	require.Equal(t, "open", convBody(r)["status"])
	require.Equal(t, "queued", convBody(r)["phase"])
	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)

	// A customer writing to a resolved conversation reopens it, back to
	// its assignee, who is online (an offline one's goes to the queue:
	// TestReopenGoesToTheQueueWhenTheAssigneeIsAway).
	b.op.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "online"})
	b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "duplicate"})
	b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": "still broken"})
	require.Eventually(t, func() bool {
		c := convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))
		return c["status"] == "open" && c["phase"] == "assigned"
	}, 5*time.Second, 25*time.Millisecond)
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))
	widgetMsgs := "/api/v1/widget/conversations/" + b.convID + "/messages"
	cases := []struct {
		client *systest.Client
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{b.op, "POST", b.path("/snooze"), map[string]any{}, 400, "until"},
		{b.op, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(-time.Minute)}, 400, "until"},
		{b.op, "POST", b.path("/snooze"), map[string]any{"until": "tomorrow"}, 400, ""},
		{b.op, "POST", b.path("/snooze"), map[string]any{"until_reply": true, "extra": 1}, 400, "extra"},
		{b.op, "POST", b.path("/resolve"), map[string]any{"resolution": "whatever"}, 400, "resolution"},
		{b.op, "POST", b.path("/assign"), map[string]any{"assignee_id": "not-a-uuid"}, 400, "assignee_id"},
		{b.op, "POST", b.path("/assign"), map[string]any{"assignee_id": uuid.NewString()}, 422, "assignee_id"},
		{b.op, "POST", b.path("/messages"), map[string]any{"body": ""}, 400, "body"},
		{b.op, "POST", b.path("/messages"), map[string]any{"body": 5}, 400, "body"},
		{b.op, "POST", b.path("/messages"), `{"body": "x"`, 400, ""},
		{b.op, "POST", b.path("/messages"), `{"body": "x"} {"body": "y"}`, 400, ""},
		{b.visitor, "POST", widgetMsgs, map[string]any{"body": string(make([]rune, 10001))}, 400, "body"},
		{b.visitor, "POST", widgetMsgs, map[string]any{"body": "hi", "idempotency_key": string(make([]byte, 201))}, 400, "idempotency_key"},
		{b.op, "GET", "/api/v1/conversations?status=closed", nil, 400, "status"},
		{b.op, "GET", "/api/v1/conversations?limit=0", nil, 400, "limit"},
		{b.op, "GET", "/api/v1/conversations?cursor=bm90LWEtY3Vyc29y", nil, 400, "cursor"},
		{b.op, "GET", b.path("/messages?after_seq=-1"), nil, 400, "after_seq"},
		{b.op, "POST", "/api/v1/conversations/not-a-uuid/claim", nil, 404, ""},
		{b.op, "POST", "/api/v1/conversations/" + uuid.NewString() + "/claim", nil, 404, ""},
	}
	for _, tc := range cases {
		r := tc.client.Do(tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, r.Status, "%s %s %v: %s", tc.method, tc.path, tc.body, r.Raw)
		require.NotEmpty(t, r.ErrorCode(), "error body for %s %s: %s", tc.method, tc.path, r.Raw)
		require.Equal(t, tc.field, r.ErrorField(), "%s %s %v: %s", tc.method, tc.path, tc.body, r.Raw)
	}
	// A form post (what a cross-site page can send) is refused, and so is
	// any cookie-authenticated change without the session's CSRF token.
	req, _ := http.NewRequest("POST", env.System.URL+b.path("/messages"), nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.op.HTTP.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	noCSRF := *b.op
	noCSRF.CSRF = ""
	require.Equal(t, "csrf_failed", noCSRF.Must(http.StatusForbidden, "POST", b.path("/claim"), nil).ErrorCode())
	noCSRF.CSRF = "forged"
	noCSRF.Must(http.StatusForbidden, "POST", b.path("/messages"), map[string]string{"body": "x"})
	req, _ = http.NewRequest("POST", env.System.URL+b.path("/messages"), strings.NewReader("body=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.op.CSRF)
	resp, err = b.op.HTTP.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "JSON only")

	after := convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))
	require.Equal(t, before, after, "bad input changed the conversation")
}

func TestOtherWorkspaceIsNotFound(t *testing.T) {
	t.Parallel()
	a := setup(t)
	other := setup(t)
	for _, p := range []struct{ method, path string }{
		{"GET", a.path("")}, {"GET", a.path("/messages")}, {"GET", a.path("/events")},
		{"POST", a.path("/claim")}, {"POST", a.path("/wake")}, {"POST", a.path("/reopen")},
	} {
		require.Equal(t, http.StatusNotFound, other.op.Do(p.method, p.path, nil).Status, p.path)
	}
	require.Equal(t, http.StatusNotFound, other.op.Do("POST", a.path("/messages"), map[string]string{"body": "x"}).Status)
	require.Equal(t, http.StatusNotFound, other.op.Do("POST", a.path("/resolve"), map[string]string{"resolution": "spam"}).Status)

	// Another visitor, even of the same workspace, cannot read or write it.
	require.Equal(t, http.StatusNotFound, other.visitor.Do("GET", "/api/v1/widget/conversations/"+a.convID+"/messages", nil).Status)
	require.Equal(t, http.StatusNotFound, other.visitor.Do("POST", "/api/v1/widget/conversations/"+a.convID+"/messages", map[string]string{"body": "x"}).Status)

	list := other.op.Must(http.StatusOK, "GET", "/api/v1/conversations", nil)
	for _, c := range list.Body["conversations"].([]any) {
		require.NotEqual(t, a.convID, c.(map[string]any)["id"])
	}
	unchanged := a.op.Must(http.StatusOK, "GET", a.path(""), nil)
	require.Equal(t, "queued", convBody(unchanged)["phase"])
	require.EqualValues(t, 1, convBody(unchanged)["message_count"])
}

func TestInboxListFiltersAndPages(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	me := env.NewOperator(t, ws, "operator")
	op := env.Login(t, me)
	var ids []string
	for i := range 5 {
		ids = append(ids, env.Visitor(t, ws).StartConversation(fmt.Sprintf("conversation %d", i)))
	}
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+ids[0]+"/claim", nil)

	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 5)
		r := op.Must(http.StatusOK, "GET", "/api/v1/conversations?limit=2&cursor="+cursor, nil)
		for _, c := range r.Body["conversations"].([]any) {
			seen = append(seen, c.(map[string]any)["id"].(string))
		}
		cursor = r.Body["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	require.ElementsMatch(t, ids, seen)
	require.Equal(t, ids[0], seen[0], "the claimed conversation has the newest activity")

	mine := op.Must(http.StatusOK, "GET", "/api/v1/conversations?assignee_id=me", nil).Body["conversations"].([]any)
	require.Len(t, mine, 1)
	queued := op.Must(http.StatusOK, "GET", "/api/v1/conversations?status=open&phase=queued", nil).Body["conversations"].([]any)
	require.Len(t, queued, 4)
}

func TestSessionsAndHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	anon := &systest.Client{Base: env.System.URL, HTTP: http.DefaultClient}
	_ = anon
	r, err := http.Get(env.System.URL + "/readyz")
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode)

	resp, err := http.Get(env.System.URL + "/api/v1/conversations")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	b.op.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
	require.Equal(t, http.StatusUnauthorized, b.op.Do("GET", "/api/v1/me", nil).Status)

	m, err := http.Get(env.System.URL + "/metrics")
	require.NoError(t, err)
	defer m.Body.Close()
	require.Equal(t, http.StatusOK, m.StatusCode)
}

func TestConcurrentSendsGetConsecutiveSeqs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, path := b.visitor, "/api/v1/widget/conversations/"+b.convID+"/messages"
			if i%2 == 1 {
				c, path = b.op, b.path("/messages")
			}
			// Every send twice with its key: the replay must change nothing.
			body := map[string]string{"body": fmt.Sprintf("m%d", i), "idempotency_key": fmt.Sprintf("k%d", i)}
			c.Must(http.StatusCreated, "POST", path, body)
			c.Must(http.StatusOK, "POST", path, body)
		}()
	}
	wg.Wait()
	msgs := b.op.Must(http.StatusOK, "GET", b.path("/messages"), nil).Body["messages"].([]any)
	require.Len(t, msgs, n+1)
	for i, m := range msgs {
		require.EqualValues(t, i+1, m.(map[string]any)["seq"], "seqs are 1..n+1 without gaps")
	}
	conv := convBody(b.op.Must(http.StatusOK, "GET", b.path(""), nil))
	require.EqualValues(t, n+1, conv["message_count"])
	require.EqualValues(t, n+1, conv["last_seq"])
	// The workflow hears the messages that changed the turn, each once:
	// which ones depends on how the sends interleaved, and the messages
	// say (their signal reasons, decided as they were written).
	var signalled, last int64
	require.NoError(t, env.System.Pool.QueryRow(context.Background(), `
		SELECT count(*), COALESCE(max(seq), 0) FROM messages
		WHERE conversation_id = $1 AND cardinality(signal_reasons) > 0`, b.convID).Scan(&signalled, &last))
	require.Greater(t, signalled, int64(1))
	require.Eventually(t, func() bool {
		v, err := env.System.Temporal.QueryWorkflow(context.Background(), workflows.ConversationWorkflowID(uuid.MustParse(b.convID)), "", workflows.QueryState)
		var st conversation.State
		return err == nil && v.Get(&st) == nil && st.MessagesSeen == signalled && st.LastMessageSeq == last
	}, 10*time.Second, 25*time.Millisecond, "the workflow heard every turn once")
}

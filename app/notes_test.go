package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

func namedOperator(t *testing.T, ws store.Workspace, role, name string) store.Operator {
	t.Helper()
	return env.NewNamedOperator(t, ws, role, name)
}

// inboxFrame decodes a notification event's data.
type inboxFrame struct {
	Notification *struct {
		ID, Kind, Preview string
		ConversationID    string `json:"conversation_id"`
		NoteID            string `json:"note_id"`
		ActorID           string `json:"actor_id"`
	} `json:"notification"`
	Unread int `json:"unread"`
}

func inboxOf(t *testing.T, f systest.Frame) inboxFrame {
	t.Helper()
	var d inboxFrame
	require.NoError(t, json.Unmarshal(f.Data, &d))
	return d
}

// notificationKinds lists the kinds of the client's notification items,
// newest first.
func notificationKinds(t *testing.T, c *systest.Client) []string {
	t.Helper()
	var out []string
	for _, n := range c.Must(http.StatusOK, "GET", "/api/v1/notifications", nil).Body["notifications"].([]any) {
		out = append(out, n.(map[string]any)["kind"].(string))
	}
	return out
}

func frameType(typ string) func(systest.Frame) bool {
	return func(f systest.Frame) bool { return f.Type == typ }
}

// TestPrivateNoteMentionsAColleague: a note that mentions a colleague by
// name lands in the conversation's timeline with its own seq, reaches the
// operators' sockets and never the visitor's, and puts an item in the
// colleague's notification inbox, pushed live with the unread count; the
// colleague reads, unreads, archives it.
func TestPrivateNoteMentionsAColleague(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	author := env.Login(t, namedOperator(t, ws, "operator", "Ada Lovelace"))
	grace := namedOperator(t, ws, "operator", "Grace Hopper")
	colleague := env.Login(t, grace)
	v := env.Visitor(t, ws)
	b := bundle{op: author, visitor: v, convID: v.StartConversation("my refund has not arrived")}
	visitorSock, colleagueSock, authorSock := v.Dial(), colleague.Dial(), author.Dial()
	before := convBody(author.Must(http.StatusOK, "GET", b.path(""), nil))

	secret := "card ending 4242, refund approved by finance"
	r := author.Must(http.StatusCreated, "POST", b.path("/notes"), map[string]any{"body": "@Grace Hopper " + secret})
	note := r.Body["note"].(map[string]any)
	require.Equal(t, []any{grace.ID.String()}, note["mentions"])
	seq := note["seq"].(float64)
	require.Greater(t, seq, before["last_seq"].(float64), "a note takes the conversation's next seq")

	// The operators hear of the note; the colleague gets an item, live.
	authorSock.WaitFor(3*time.Second, "note.created", func(f systest.Frame) bool {
		return f.Type == "note.created" && f.ConversationID == b.convID && strings.Contains(string(f.Data), secret)
	})
	item := inboxOf(t, colleagueSock.WaitFor(3*time.Second, "notification.created", frameType("notification.created")))
	require.Equal(t, 1, item.Unread)
	require.Equal(t, "mention", item.Notification.Kind)
	require.Equal(t, b.convID, item.Notification.ConversationID)
	require.Equal(t, note["id"], item.Notification.NoteID)
	require.Contains(t, item.Notification.Preview, "refund approved")

	// The conversation's seq moved, its counters and place in the list
	// did not; the visitor sees nothing of the note anywhere.
	after := convBody(author.Must(http.StatusOK, "GET", b.path(""), nil))
	require.Equal(t, seq, after["last_seq"])
	require.Equal(t, before["message_count"], after["message_count"])
	require.Equal(t, before["last_activity_at"], after["last_activity_at"])
	require.Equal(t, before["last_message_preview"], after["last_message_preview"])
	for _, f := range visitorSock.Drain(300 * time.Millisecond) {
		require.NotContains(t, string(f.Raw), "refund approved", "the visitor's socket got the note")
	}
	for _, path := range []string{"/api/v1/widget/conversations/" + b.convID, "/api/v1/widget/conversations/" + b.convID + "/messages", "/api/v1/widget/conversations"} {
		got := v.Must(http.StatusOK, "GET", path, nil)
		require.NotContains(t, string(got.Raw), "refund approved", path)
	}
	notes := author.Must(http.StatusOK, "GET", b.path("/notes"), nil).Body["notes"].([]any)
	require.Len(t, notes, 1)
	require.Equal(t, note["id"], notes[0].(map[string]any)["id"])

	// The colleague's inbox: read, unread, archive, read all.
	list := colleague.Must(http.StatusOK, "GET", "/api/v1/notifications", nil)
	require.EqualValues(t, 1, list.Body["unread"])
	items := list.Body["notifications"].([]any)
	require.Len(t, items, 1)
	id := items[0].(map[string]any)["id"].(string)
	colleague.Must(http.StatusOK, "POST", "/api/v1/notifications/"+id+"/read", nil)
	require.Equal(t, 0, inboxOf(t, colleagueSock.WaitFor(3*time.Second, "read", frameType("notifications.changed"))).Unread)
	require.Empty(t, colleague.Must(http.StatusOK, "GET", "/api/v1/notifications?filter=unread", nil).Body["notifications"])
	colleague.Must(http.StatusOK, "POST", "/api/v1/notifications/"+id+"/unread", nil)
	require.Equal(t, 1, inboxOf(t, colleagueSock.WaitFor(3*time.Second, "unread", frameType("notifications.changed"))).Unread)
	colleague.Must(http.StatusOK, "POST", "/api/v1/notifications/"+id+"/archive", nil)
	require.Equal(t, 0, inboxOf(t, colleagueSock.WaitFor(3*time.Second, "archived", frameType("notifications.changed"))).Unread)
	require.Empty(t, colleague.Must(http.StatusOK, "GET", "/api/v1/notifications", nil).Body["notifications"])
	require.Len(t, colleague.Must(http.StatusOK, "GET", "/api/v1/notifications?filter=archived", nil).Body["notifications"], 1)
	// Someone else's item is not there for them.
	author.Must(http.StatusNotFound, "POST", "/api/v1/notifications/"+id+"/read", nil)
	colleague.Must(http.StatusBadRequest, "GET", "/api/v1/notifications?filter=starred", nil)
	require.EqualValues(t, 0, colleague.Must(http.StatusOK, "GET", "/api/v1/notifications/unread-count", nil).Body["unread"])
}

// TestNoteEditsAndDeletes: the author edits (a newly mentioned colleague
// gets an item, one already mentioned no second), nobody else but an
// admin changes a note, an admin's removal of another's note is audited,
// a retried write is stored once, and bad input changes nothing.
func TestNoteEditsAndDeletes(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	author := env.Login(t, namedOperator(t, ws, "operator", "Ada Lovelace"))
	grace := namedOperator(t, ws, "operator", "Grace Hopper")
	linus := namedOperator(t, ws, "operator", "Linus Torvalds")
	other := env.Login(t, grace)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	v := env.Visitor(t, ws)
	b := bundle{op: author, visitor: v, convID: v.StartConversation("hello")}

	r := author.Must(http.StatusCreated, "POST", b.path("/notes"), map[string]any{"body": "ask @grace", "idempotency_key": "n1"})
	note := r.Body["note"].(map[string]any)
	again := author.Must(http.StatusOK, "POST", b.path("/notes"), map[string]any{"body": "ask @grace", "idempotency_key": "n1"})
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, note["id"], again.Body["note"].(map[string]any)["id"])
	notePath := b.path("/notes/" + note["id"].(string))

	other.Must(http.StatusForbidden, "PATCH", notePath, map[string]any{"body": "mine now"})
	edited := author.Must(http.StatusOK, "PATCH", notePath, map[string]any{"body": "ask @grace and @Linus Torvalds"}).Body["note"].(map[string]any)
	require.NotNil(t, edited["edited_at"])
	require.ElementsMatch(t, []any{grace.ID.String(), linus.ID.String()}, edited["mentions"])
	require.Equal(t, note["seq"], edited["seq"], "an edit keeps the note's place")
	linusClient := env.Login(t, linus)
	require.EqualValues(t, 1, linusClient.Must(http.StatusOK, "GET", "/api/v1/notifications/unread-count", nil).Body["unread"])
	require.EqualValues(t, 1, other.Must(http.StatusOK, "GET", "/api/v1/notifications/unread-count", nil).Body["unread"], "mentioned again: no second item")

	// Bad input: 400 or 422 naming the field; nothing written.
	for _, c := range []struct {
		body   any
		status int
		field  string
	}{
		{map[string]any{"body": "  "}, http.StatusBadRequest, "body"},
		{map[string]any{"body": strings.Repeat("x", 10001)}, http.StatusBadRequest, "body"},
		{map[string]any{"body": "hi", "mentions": []string{uuid.NewString()}}, http.StatusUnprocessableEntity, "mentions"},
		{map[string]any{"body": "hi", "mentions": []string{"not-a-uuid"}}, http.StatusBadRequest, ""},
		{map[string]any{"body": "hi", "pinned": true}, http.StatusBadRequest, "pinned"},
	} {
		got := author.Do("POST", b.path("/notes"), c.body)
		require.Equal(t, c.status, got.Status, "%v: %s", c.body, got.Raw)
		require.Equal(t, c.field, got.ErrorField())
	}
	require.Len(t, author.Must(http.StatusOK, "GET", b.path("/notes"), nil).Body["notes"], 1)

	other.Must(http.StatusForbidden, "DELETE", notePath, nil)
	admin.Must(http.StatusNoContent, "DELETE", notePath, nil)
	author.Must(http.StatusNotFound, "DELETE", notePath, nil)
	require.Empty(t, author.Must(http.StatusOK, "GET", b.path("/notes"), nil).Body["notes"])
	log := admin.Must(http.StatusOK, "GET", "/api/v1/audit-log", nil)
	require.Contains(t, string(log.Raw), "note.deleted")
	require.NotContains(t, string(log.Raw), "ask @grace", "the audit log keeps no note's words")
}

// TestAssignmentNotifies: a conversation given to an operator by someone
// else puts an item in their inbox, live; one they claim themselves does
// not.
func TestAssignmentNotifies(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	opAccount := env.NewOperator(t, ws, "operator")
	op := env.Login(t, opAccount)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	v := env.Visitor(t, ws)
	given := v.StartConversation("please call me back")
	claimed := env.Visitor(t, ws).StartConversation("another one")
	sock := op.Dial()

	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+claimed+"/claim", nil)
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+given+"/assign", map[string]any{"assignee_id": opAccount.ID})
	item := inboxOf(t, sock.WaitFor(5*time.Second, "notification.created", frameType("notification.created")))
	require.Equal(t, "assigned", item.Notification.Kind)
	require.Equal(t, given, item.Notification.ConversationID)
	require.Equal(t, 1, item.Unread)
	items := op.Must(http.StatusOK, "GET", "/api/v1/notifications", nil).Body["notifications"].([]any)
	require.Len(t, items, 1, "claiming one's own conversation is no news")
	op.Must(http.StatusOK, "POST", "/api/v1/notifications/read-all", nil)
	require.EqualValues(t, 0, op.Must(http.StatusOK, "GET", "/api/v1/notifications/unread-count", nil).Body["unread"])
}

// TestTags: operators make tags and tag conversations (a conversation
// event, live to operators, never to the visitor) and contacts; the list
// filters by tag; admins rename, merge and delete tags.
func TestTags(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	v := env.Visitor(t, ws)
	b := bundle{op: op, visitor: v, convID: v.StartConversation("billing question")}
	otherConv := env.Visitor(t, ws).StartConversation("shipping question")
	visitorSock, opSock := v.Dial(), op.Dial()

	billing := op.Must(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"name": "  Billing  "}).Body["tag"].(map[string]any)
	require.Equal(t, "Billing", billing["name"])
	require.Regexp(t, `^#[0-9a-f]{6}$`, billing["color"])
	require.Equal(t, "name_taken", op.Must(http.StatusConflict, "POST", "/api/v1/tags", map[string]any{"name": "billing"}).ErrorCode())
	require.Equal(t, "color", op.Must(http.StatusBadRequest, "POST", "/api/v1/tags", map[string]any{"name": "x", "color": "red"}).ErrorField())
	refunds := op.Must(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"name": "Refunds", "color": "#DC2626"}).Body["tag"].(map[string]any)
	require.Equal(t, "#dc2626", refunds["color"])
	billingID, refundsID := billing["id"].(string), refunds["id"].(string)

	r := op.Must(http.StatusOK, "PUT", b.path("/tags/"+billingID), nil)
	require.Equal(t, []any{billingID}, convBody(r)["tag_ids"])
	require.Equal(t, "tag_added", r.Body["event"].(map[string]any)["type"])
	opSock.WaitFor(3*time.Second, "tag_added", systest.Updated(b.convID, "", "tag_added"))
	again := op.Must(http.StatusOK, "PUT", b.path("/tags/"+billingID), nil)
	require.Nil(t, again.Body["event"], "tagging twice changes nothing")
	op.Must(http.StatusNotFound, "PUT", b.path("/tags/"+uuid.NewString()), nil)

	// The list filters by tag.
	ids := func(r systest.Response) []string {
		var out []string
		for _, c := range r.Body["conversations"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	require.Equal(t, []string{b.convID}, ids(op.Must(http.StatusOK, "GET", "/api/v1/conversations?tag_id="+billingID, nil)))
	require.Empty(t, ids(op.Must(http.StatusOK, "GET", "/api/v1/conversations?tag_id="+refundsID, nil)))
	require.Equal(t, "tag_id", op.Must(http.StatusBadRequest, "GET", "/api/v1/conversations?tag_id=x", nil).ErrorField())

	// Merge Billing into Refunds: a conversation with both keeps one.
	op.Must(http.StatusOK, "PUT", b.path("/tags/"+refundsID), nil)
	op.Must(http.StatusOK, "PUT", "/api/v1/conversations/"+otherConv+"/tags/"+billingID, nil)
	op.Must(http.StatusForbidden, "POST", "/api/v1/tags/"+billingID+"/merge", map[string]any{"into_id": refundsID})
	require.Equal(t, "into_id", admin.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/tags/"+billingID+"/merge", map[string]any{"into_id": billingID}).ErrorField())
	admin.Must(http.StatusOK, "POST", "/api/v1/tags/"+billingID+"/merge", map[string]any{"into_id": refundsID})
	opSock.WaitFor(3*time.Second, "tags.changed", frameType("tags.changed"))
	require.Equal(t, []any{refundsID}, convBody(op.Must(http.StatusOK, "GET", b.path(""), nil))["tag_ids"])
	require.Equal(t, []any{refundsID}, convBody(op.Must(http.StatusOK, "GET", "/api/v1/conversations/"+otherConv, nil))["tag_ids"])
	admin.Must(http.StatusNotFound, "PATCH", "/api/v1/tags/"+billingID, map[string]any{"name": "gone"})

	// Rename, remove, delete.
	op.Must(http.StatusForbidden, "PATCH", "/api/v1/tags/"+refundsID, map[string]any{"name": "Money back"})
	require.Equal(t, "Money back", admin.Must(http.StatusOK, "PATCH", "/api/v1/tags/"+refundsID, map[string]any{"name": "Money back"}).Body["tag"].(map[string]any)["name"])
	r = op.Must(http.StatusOK, "DELETE", b.path("/tags/"+refundsID), nil)
	require.Equal(t, "tag_removed", r.Body["event"].(map[string]any)["type"])
	require.Equal(t, []any{}, convBody(r)["tag_ids"])
	admin.Must(http.StatusNoContent, "DELETE", "/api/v1/tags/"+refundsID, nil)
	require.Equal(t, []any{}, convBody(op.Must(http.StatusOK, "GET", "/api/v1/conversations/"+otherConv, nil))["tag_ids"])
	require.Empty(t, op.Must(http.StatusOK, "GET", "/api/v1/tags", nil).Body["tags"])

	// The visitor heard nothing of any of it.
	for _, f := range visitorSock.Drain(300 * time.Millisecond) {
		require.NotContains(t, string(f.Raw), "tag_", "the visitor's socket got %s", f.Raw)
	}
}

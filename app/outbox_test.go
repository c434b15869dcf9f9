package app_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/workflows"
)

// poisonRow adds an outbox row to conversation conv of workspace ws whose
// payload no relay can decode, so the running relay dead-letters it at
// once, and returns its id once it is dead.
func poisonRow(t *testing.T, ws, conv uuid.UUID) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var id int64
	require.NoError(t, env.System.Pool.QueryRow(ctx, `
		INSERT INTO outbox (workspace_id, conversation_id, kind, payload)
		VALUES ($1, $2, 'message.created', '{"seq": "not a number"}') RETURNING id`, ws, conv).Scan(&id))
	require.Eventually(t, func() bool {
		var dead bool
		err := env.System.Pool.QueryRow(ctx, `SELECT dead_at IS NOT NULL FROM outbox WHERE id = $1`, id).Scan(&dead)
		return err == nil && dead
	}, 15*time.Second, 20*time.Millisecond, "the relay did not dead-letter row %d", id)
	return id
}

func conversationState(t *testing.T, conv uuid.UUID) conversation.State {
	t.Helper()
	v, err := env.System.Temporal.QueryWorkflow(context.Background(), workflows.ConversationWorkflowID(conv), "", workflows.QueryState)
	require.NoError(t, err)
	var s conversation.State
	require.NoError(t, v.Get(&s))
	return s
}

// TestDeadLettersAdminView: a row the relay gave up on is listed to its
// workspace's admins only, holds back none of its conversation's later
// messages, and an admin's retry delivers it (late) once it can be.
func TestDeadLettersAdminView(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	other := setupPeople(t)
	visitor := env.Visitor(t, p.ws)
	conv := uuid.MustParse(visitor.StartConversation("hello"))
	require.Eventually(t, func() bool {
		_, err := env.System.Temporal.QueryWorkflow(context.Background(), workflows.ConversationWorkflowID(conv), "", workflows.QueryState)
		return err == nil
	}, 15*time.Second, 50*time.Millisecond)

	dead := poisonRow(t, p.ws.ID, conv)
	// Later messages of the conversation still reach the workflow.
	p.opC.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv.String()+"/messages", map[string]string{"body": "still there?"})
	require.Eventually(t, func() bool { return conversationState(t, conv).LastMessageSeq == 2 }, 15*time.Second, 50*time.Millisecond)

	path := "/api/v1/outbox/dead-letters"
	list := p.adminC.Must(http.StatusOK, "GET", path, nil)
	entries := list.Body["dead_letters"].([]any)
	require.Len(t, entries, 1, string(list.Raw))
	entry := entries[0].(map[string]any)
	require.Equal(t, float64(dead), entry["id"])
	require.Equal(t, conv.String(), entry["conversation_id"])
	require.Equal(t, float64(1), entry["attempts"])
	require.NotEmpty(t, entry["last_error"])
	require.Empty(t, list.Body["next_cursor"])

	// Paged: a second dead row, one per page.
	second := poisonRow(t, p.ws.ID, conv)
	page := p.adminC.Must(http.StatusOK, "GET", path+"?limit=1", nil)
	require.Equal(t, float64(second), page.Body["dead_letters"].([]any)[0].(map[string]any)["id"])
	cursor := page.Body["next_cursor"].(string)
	require.NotEmpty(t, cursor)
	page = p.adminC.Must(http.StatusOK, "GET", path+"?limit=1&cursor="+cursor, nil)
	require.Equal(t, float64(dead), page.Body["dead_letters"].([]any)[0].(map[string]any)["id"])
	require.Equal(t, "cursor", p.adminC.Must(http.StatusBadRequest, "GET", path+"?cursor=x", nil).ErrorField())

	// Admins only, and only their own workspace's rows.
	p.opC.Must(http.StatusForbidden, "GET", path, nil)
	p.opC.Must(http.StatusForbidden, "POST", path+"/"+strconv.FormatInt(dead, 10)+"/retry", nil)
	require.Empty(t, other.adminC.Must(http.StatusOK, "GET", path, nil).Body["dead_letters"])
	other.adminC.Must(http.StatusNotFound, "POST", path+"/"+strconv.FormatInt(dead, 10)+"/retry", nil)
	require.Equal(t, "id", p.adminC.Must(http.StatusBadRequest, "POST", path+"/abc/retry", nil).ErrorField())
	require.Equal(t, "id", p.adminC.Must(http.StatusBadRequest, "POST", path+"/-1/retry", nil).ErrorField())
	p.adminC.Must(http.StatusNotFound, "POST", path+"/999999999/retry", nil)

	// Mend the row (it becomes the message that was lost: seq 1 never
	// reached the workflow as far as it knows), then retry it.
	ctx := context.Background()
	_, err := env.System.Pool.Exec(ctx, `DELETE FROM outbox WHERE id = $1`, second)
	require.NoError(t, err)
	_, err = env.System.Pool.Exec(ctx, `
		UPDATE outbox o SET payload = jsonb_build_object('id', m.id, 'seq', m.seq, 'sender_type', m.sender_type,
		                                                 'sender_id', m.sender_id, 'created_at', m.created_at)
		FROM messages m WHERE o.id = $1 AND m.conversation_id = o.conversation_id AND m.seq = 1`, dead)
	require.NoError(t, err)
	before := conversationState(t, conv).MessagesSeen
	r := p.adminC.Must(http.StatusOK, "POST", path+"/"+strconv.FormatInt(dead, 10)+"/retry", nil)
	require.Equal(t, float64(dead), r.Body["dead_letter"].(map[string]any)["id"])
	require.Eventually(t, func() bool {
		var n int
		_ = env.System.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE id = $1`, dead).Scan(&n)
		return n == 0
	}, 15*time.Second, 20*time.Millisecond, "the retried row was not delivered")
	// seq 1 was delivered already with the conversation's first message:
	// a redelivery, counted once.
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, before, conversationState(t, conv).MessagesSeen)
	p.adminC.Must(http.StatusNotFound, "POST", path+"/"+strconv.FormatInt(dead, 10)+"/retry", nil)

	retried := auditActions(t, p.adminC)["outbox.dead_letter_retried"]
	require.Len(t, retried, 1)
	require.Equal(t, conv.String(), retried[0]["target_id"])
	require.Empty(t, auditActions(t, other.adminC)["outbox.dead_letter_retried"])
}

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

// One database per package; each test makes a workspace of its own, so
// tests run in parallel without seeing each other.
var pool *pgxpool.Pool

func TestMain(m *testing.M) { dbtest.Main(m, &pool) }

type testBundle struct {
	store        *store.Store
	workspace    store.Workspace
	visitor      store.Visitor
	conversation store.Conversation
}

// setup makes a workspace with one visitor and one conversation started
// with a first message.
func setup(t *testing.T) testBundle {
	t.Helper()
	ctx := t.Context()
	s := store.New(pool)
	ws, err := s.CreateWorkspace(ctx, "store test "+t.Name())
	require.NoError(t, err)
	v, err := s.CreateVisitor(ctx, ws.ID)
	require.NoError(t, err)
	st, err := s.StartConversation(ctx, store.NewConversation{
		WorkspaceID: ws.ID, VisitorID: v.ID, Subject: "help", FirstMessage: "hello", IdempotencyKey: "first",
	})
	require.NoError(t, err)
	require.True(t, st.Created)
	require.NotNil(t, st.FirstMessage)
	require.EqualValues(t, 1, st.FirstMessage.Seq)
	return testBundle{store: s, workspace: ws, visitor: v, conversation: st.Conversation}
}

func (b testBundle) change(version int64, status, phase string) store.LifecycleChange {
	return store.LifecycleChange{
		WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID,
		Lifecycle: conversation.Lifecycle{Status: status, Phase: phase, Priority: conversation.PriorityNormal, Version: version, LastMessageSeq: 1},
		EventType: "conversation." + status, ActorType: "system", At: time.Now(),
	}
}

// A workflow's activity is retried after it wrote its change (the worker
// died before answering): the retry must write nothing, log no second
// event, and hand back the row as it stands.
func TestApplyLifecycleRetryWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()

	first, err := b.store.ApplyLifecycle(ctx, b.change(1, "snoozed", "queued"))
	require.NoError(t, err)
	require.True(t, first.Fresh)
	require.Equal(t, "snoozed", first.Conversation.Status)
	require.EqualValues(t, 1, *first.Event.Version)
	require.Greater(t, first.Event.Seq, int64(1), "the event takes the seq after the first message")

	again, err := b.store.ApplyLifecycle(ctx, b.change(1, "snoozed", "queued"))
	require.NoError(t, err)
	require.False(t, again.Fresh)
	require.Zero(t, again.Event)
	require.Equal(t, first.Conversation.LastSeq, again.Conversation.LastSeq)
	require.EqualValues(t, 1, again.Conversation.Version)

	// An older change arriving late is a retry too: it must not roll the
	// row back.
	_, err = b.store.ApplyLifecycle(ctx, b.change(2, "open", "queued"))
	require.NoError(t, err)
	stale, err := b.store.ApplyLifecycle(ctx, b.change(1, "snoozed", "queued"))
	require.NoError(t, err)
	require.False(t, stale.Fresh)
	require.Equal(t, "open", stale.Conversation.Status)

	events, err := b.store.Events(ctx, b.workspace.ID, b.conversation.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, events, 2, "one event per version, however often each was applied")
}

// Ids of another workspace are indistinguishable from ids that do not exist.
func TestOtherWorkspacesRowsAreNotFound(t *testing.T) {
	t.Parallel()
	a, b := setup(t), setup(t)
	ctx := t.Context()

	_, err := a.store.Conversation(ctx, a.workspace.ID, b.conversation.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = a.store.Conversation(ctx, a.workspace.ID, uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = a.store.SendMessage(ctx, store.NewMessage{
		WorkspaceID: a.workspace.ID, ConversationID: b.conversation.ID, SenderType: "system", Body: "x",
	})
	require.ErrorIs(t, err, store.ErrNotFound)

	ch := a.change(1, "resolved", "queued")
	ch.ConversationID = b.conversation.ID
	_, err = a.store.ApplyLifecycle(ctx, ch)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err := b.store.Conversation(ctx, b.workspace.ID, b.conversation.ID)
	require.NoError(t, err)
	require.Equal(t, "open", got.Status, "another workspace's change left the row alone")

	// A visitor may write only to its own conversation.
	other, err := a.store.CreateVisitor(ctx, a.workspace.ID)
	require.NoError(t, err)
	_, err = a.store.SendMessage(ctx, store.NewMessage{
		WorkspaceID: a.workspace.ID, ConversationID: a.conversation.ID, SenderType: "visitor",
		SenderID: &other.ID, VisitorID: &other.ID, Body: "not mine",
	})
	require.ErrorIs(t, err, store.ErrNotFound)

	msgs, err := b.store.Messages(ctx, b.workspace.ID, b.conversation.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	msgs, err = a.store.Messages(ctx, a.workspace.ID, a.conversation.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
}

// A client retrying a send with its idempotency key gets the first
// message back and nothing is written twice; the key is the sender's own.
func TestSendMessageIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	vid := b.visitor.ID
	send := func(key string, sender *uuid.UUID, senderType string) store.Sent {
		t.Helper()
		sent, err := b.store.SendMessage(ctx, store.NewMessage{
			WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, SenderType: senderType,
			SenderID: sender, Body: "body " + key, IdempotencyKey: key,
		})
		require.NoError(t, err)
		return sent
	}
	one := send("k1", &vid, "visitor")
	require.True(t, one.Created)
	require.EqualValues(t, 2, one.Message.Seq)
	replay := send("k1", &vid, "visitor")
	require.False(t, replay.Created)
	require.Equal(t, one.Message.ID, replay.Message.ID)
	require.Equal(t, one.Message.Seq, replay.Message.Seq)

	// The first message's key ("first", from the start) is taken too.
	require.False(t, send("first", &vid, "visitor").Created)

	// Another sender's identical key is another message.
	sys := send("k1", nil, "system")
	require.True(t, sys.Created)
	require.EqualValues(t, 3, sys.Message.Seq)

	conv, err := b.store.Conversation(ctx, b.workspace.ID, b.conversation.ID)
	require.NoError(t, err)
	require.EqualValues(t, 3, conv.MessageCount)
	require.EqualValues(t, 3, conv.LastSeq)
}

// A retried start with its idempotency key finds the first conversation
// and writes nothing (no second outbox row, so no second workflow start);
// the same key for another request is ErrIdempotencyKeyReused.
func TestStartConversationIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	again, err := b.store.StartConversation(ctx, store.NewConversation{
		WorkspaceID: b.workspace.ID, VisitorID: b.visitor.ID, Subject: "help", FirstMessage: "hello", IdempotencyKey: "first",
	})
	require.NoError(t, err)
	require.False(t, again.Created)
	require.Equal(t, b.conversation.ID, again.Conversation.ID)
	require.NotNil(t, again.FirstMessage)
	require.EqualValues(t, 1, again.FirstMessage.Seq)

	_, err = b.store.StartConversation(ctx, store.NewConversation{
		WorkspaceID: b.workspace.ID, VisitorID: b.visitor.ID, Subject: "help", FirstMessage: "other", IdempotencyKey: "first",
	})
	require.ErrorIs(t, err, store.ErrIdempotencyKeyReused)

	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE workspace_id = $1`, b.workspace.ID).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE conversation_id = $1 AND kind = 'conversation.started'`, b.conversation.ID).Scan(&n))
	require.Equal(t, 1, n, "one start row: no relay runs here")
}

// Concurrent sends to one conversation get distinct, gapless seqs: the
// order operators and the workflow see is the order they were stored.
func TestConcurrentSendsGetGaplessSeqs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	const n = 40
	seqs := make(chan int64, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			sent, err := b.store.SendMessage(ctx, store.NewMessage{
				WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, SenderType: "system",
				Body: fmt.Sprintf("m%d", i),
			})
			errs <- err
			seqs <- sent.Message.Seq
		}()
	}
	seen := map[int64]bool{}
	for range n {
		require.NoError(t, <-errs)
		seen[<-seqs] = true
	}
	for seq := int64(2); seq <= n+1; seq++ {
		require.True(t, seen[seq], "seq %d missing", seq)
	}
	conv, err := b.store.Conversation(ctx, b.workspace.ID, b.conversation.ID)
	require.NoError(t, err)
	require.EqualValues(t, n+1, conv.LastSeq)
	require.EqualValues(t, n+1, conv.MessageCount)
}

// Unique values map to ErrDuplicate, not a driver error the API would
// answer 500 to.
func TestDuplicateIsErrDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	email := fmt.Sprintf("dup-%s@example.com", uuid.NewString()[:8])
	n := store.NewOperator{WorkspaceID: b.workspace.ID, Email: email, Name: "A", PasswordHash: "x", Role: "operator"}
	_, err := b.store.CreateOperator(ctx, n)
	require.NoError(t, err)
	_, err = b.store.CreateOperator(ctx, n)
	require.ErrorIs(t, err, store.ErrDuplicate)

	_, err = b.store.CreateDepartment(ctx, b.workspace.ID, "Sales")
	require.NoError(t, err)
	_, err = b.store.CreateDepartment(ctx, b.workspace.ID, "Sales")
	require.ErrorIs(t, err, store.ErrDuplicate)
}

// Scrolling back reads the page just before a seq, oldest first.
func TestMessagesBeforeIsThePageBefore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	for i := 2; i <= 10; i++ {
		_, err := b.store.SendMessage(ctx, store.NewMessage{
			WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, SenderType: "system", Body: fmt.Sprint(i),
		})
		require.NoError(t, err)
	}
	seqs := func(before int64, limit int) []int64 {
		t.Helper()
		msgs, err := b.store.MessagesBefore(ctx, b.workspace.ID, b.conversation.ID, before, limit)
		require.NoError(t, err)
		out := []int64{}
		for _, m := range msgs {
			out = append(out, m.Seq)
		}
		return out
	}
	require.Equal(t, []int64{8, 9, 10}, seqs(11, 3))
	require.Equal(t, []int64{5, 6, 7}, seqs(8, 3))
	require.Equal(t, []int64{1}, seqs(2, 3))
	require.Equal(t, []int64{}, seqs(1, 3))

	other := setup(t)
	msgs, err := other.store.MessagesBefore(ctx, other.workspace.ID, b.conversation.ID, 11, 10)
	require.NoError(t, err)
	require.Empty(t, msgs, "another workspace's conversation reads as empty")
}

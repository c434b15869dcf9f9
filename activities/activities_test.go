package activities_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

var pool *pgxpool.Pool

func TestMain(m *testing.M) { dbtest.Main(m, &pool) }

// recorder keeps what the bus carried.
type recorder struct {
	mu     sync.Mutex
	events []bus.Event
}

func (r *recorder) take() []bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

type testBundle struct {
	acts  *activities.Activities
	store *store.Store
	heard *recorder
	state conversation.State
}

func setup(t *testing.T) testBundle {
	t.Helper()
	ctx := t.Context()
	s := store.New(pool)
	ws, err := s.CreateWorkspace(ctx, "activities "+t.Name())
	require.NoError(t, err)
	v, err := s.CreateVisitor(ctx, ws.ID)
	require.NoError(t, err)
	st, err := s.StartConversation(ctx, store.NewConversation{WorkspaceID: ws.ID, VisitorID: v.ID, FirstMessage: "hi"})
	require.NoError(t, err)
	conv := st.Conversation

	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	heard := &recorder{}
	_, err = b.Subscribe(func(ev bus.Event) {
		if ev.ConversationID == conv.ID {
			heard.mu.Lock()
			heard.events = append(heard.events, ev)
			heard.mu.Unlock()
		}
	})
	require.NoError(t, err)
	acts := &activities.Activities{Store: s, Bus: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	state, err := acts.LoadConversation(ctx, activities.LoadConversationInput{WorkspaceID: ws.ID, ConversationID: conv.ID})
	require.NoError(t, err)
	return testBundle{acts: acts, store: s, heard: heard, state: state}
}

// The worker dies after PersistChange committed and before Temporal heard
// of it; Temporal runs the activity again. The retry must not log a second
// event, must answer the seq of the first, and must still publish, so an
// inbox that missed the first event (the worker died before publishing)
// hears the conversation's current state.
func TestPersistChangeRetryIsAlreadyApplied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	require.Equal(t, "open", b.state.Status)

	next := b.state
	next.Status, next.Version = "resolved", b.state.Version+1
	now := time.Now().UTC()
	next.ResolvedAt, next.Resolution = &now, "solved"
	change := conversation.Change{State: next, EventType: "resolved", Actor: conversation.Actor{Type: "system"}, Reason: "test", At: now}

	first, err := b.acts.PersistChange(ctx, change)
	require.NoError(t, err)
	heard := b.heard.take()
	require.Len(t, heard, 1)
	var update activities.ConversationUpdate
	require.NoError(t, json.Unmarshal(heard[0].Data, &update))
	require.NotNil(t, update.Event, "a fresh change carries its event")
	require.Equal(t, "resolved", update.Conversation.Status)
	require.Equal(t, first.Seq, heard[0].Seq)

	retry, err := b.acts.PersistChange(ctx, change)
	require.NoError(t, err)
	require.Equal(t, first.Seq, retry.Seq, "a retry answers the seq the first attempt wrote")
	heard = b.heard.take()
	require.Len(t, heard, 1, "a retry publishes the current state again")
	update = activities.ConversationUpdate{}
	require.NoError(t, json.Unmarshal(heard[0].Data, &update))
	require.Nil(t, update.Event, "a retry has no fresh event to show")
	require.Equal(t, "resolved", update.Conversation.Status)

	events, err := b.store.Events(ctx, b.state.WorkspaceID, b.state.ConversationID, 0, 10)
	require.NoError(t, err)
	require.Len(t, events, 1)
}

// A conversation that is gone (its workspace deleted) fails the activity
// for good: retrying a NotFound forever would wedge the workflow.
func TestActivitiesNotFoundIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()

	_, err := b.acts.LoadConversation(ctx, activities.LoadConversationInput{WorkspaceID: b.state.WorkspaceID, ConversationID: uuid.New()})
	requireNonRetryable(t, err)

	gone := b.state
	gone.ConversationID = uuid.New()
	gone.Version++
	_, err = b.acts.PersistChange(ctx, conversation.Change{State: gone, EventType: "resolved", Actor: conversation.Actor{Type: "system"}, At: time.Now()})
	requireNonRetryable(t, err)
	require.Empty(t, b.heard.take())
}

func requireNonRetryable(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, "NotFound", appErr.Type())
}

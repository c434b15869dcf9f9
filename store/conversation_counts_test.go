package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
)

// TestQueueCountsFollowConversations: the counters move with every start,
// claim, snooze, transfer and resolve, in the same transaction, and each
// viewer sees the part the list would show them; another workspace's
// conversations count nowhere.
func TestQueueCountsFollowConversations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := setup(t) // one open, unrouted, unclaimed conversation
	other := setup(t)
	s := b.store
	billing, err := s.CreateDepartment(ctx, b.workspace.ID, "Billing")
	require.NoError(t, err)
	op, err := s.CreateOperator(ctx, store.NewOperator{WorkspaceID: b.workspace.ID, Email: "me@counts.invalid", Name: "Me", PasswordHash: "x", Role: access.RoleOperator})
	require.NoError(t, err)
	me := op.ID
	admin := access.Viewer{WorkspaceID: b.workspace.ID, OperatorID: uuid.New(), Role: access.RoleAdmin}
	operator := access.Viewer{WorkspaceID: b.workspace.ID, OperatorID: me, Role: access.RoleOperator, Departments: []uuid.UUID{billing}}
	outsider := access.Viewer{WorkspaceID: b.workspace.ID, OperatorID: uuid.New(), Role: access.RoleOperator, Departments: []uuid.UUID{uuid.New()}}
	counts := func(v access.Viewer) store.QueueCounts {
		c, err := s.QueueCounts(ctx, v)
		require.NoError(t, err)
		return c
	}
	version := int64(0)
	move := func(l conversation.Lifecycle) {
		version++
		l.Version = version
		l.Priority = conversation.PriorityNormal
		_, err := s.ApplyLifecycle(ctx, store.LifecycleChange{
			WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, Lifecycle: l,
			EventType: "test", ActorType: conversation.ActorSystem, At: time.Now(),
		})
		require.NoError(t, err)
	}

	c := counts(admin)
	require.Equal(t, int64(1), c.Unclaimed)
	require.Equal(t, store.StatusCounts{Open: 1}, c.All)
	require.Len(t, c.Departments, 1)
	require.Nil(t, c.Departments[0].DepartmentID)
	require.Equal(t, int64(1), counts(other.asAdmin()).Unclaimed, "the other workspace counts its own only")

	// Transferred to Billing, still unclaimed: the Billing operator sees
	// it, an operator of another department does not.
	move(conversation.Lifecycle{Status: conversation.StatusOpen, Phase: conversation.PhaseQueued, DepartmentID: &billing})
	require.Equal(t, int64(1), counts(operator).Unclaimed)
	require.Zero(t, counts(outsider).Unclaimed)
	require.Equal(t, &billing, counts(admin).Departments[0].DepartmentID)

	// Claimed by me: mine, no longer unclaimed.
	move(conversation.Lifecycle{Status: conversation.StatusOpen, Phase: conversation.PhaseAssigned, DepartmentID: &billing, AssigneeID: &me})
	c = counts(operator)
	require.Equal(t, store.StatusCounts{Open: 1}, c.Mine)
	require.Zero(t, c.Unclaimed)
	require.Equal(t, []store.OperatorLoad{{OperatorID: me, StatusCounts: store.StatusCounts{Open: 1}}}, counts(admin).Operators, "an admin sees my load")
	require.Empty(t, counts(outsider).Operators, "another department's operator does not")

	// Snoozed, then resolved: resolved conversations count nowhere.
	move(conversation.Lifecycle{Status: conversation.StatusSnoozed, Phase: conversation.PhaseAssigned, DepartmentID: &billing, AssigneeID: &me})
	require.Equal(t, store.StatusCounts{Snoozed: 1}, counts(operator).Mine)
	move(conversation.Lifecycle{Status: conversation.StatusResolved, Phase: conversation.PhaseAssigned, DepartmentID: &billing, AssigneeID: &me})
	c = counts(admin)
	require.Equal(t, store.StatusCounts{}, c.All)
	require.Empty(t, c.Departments)

	// A message changes no count (and fires no counter trigger).
	_, err = s.SendMessage(ctx, store.NewMessage{WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID,
		SenderType: conversation.SenderVisitor, SenderID: &b.visitor.ID, Body: "hello again"})
	require.NoError(t, err)
	require.Equal(t, store.StatusCounts{}, counts(admin).All)
}

func (b testBundle) asAdmin() access.Viewer {
	return access.Viewer{WorkspaceID: b.workspace.ID, OperatorID: uuid.New(), Role: access.RoleAdmin}
}

// TestQueueCountsOppositeMovesDoNotDeadlock: one operator's conversations
// snoozed and woken at the same time move counts between the same two
// buckets in opposite directions; the counters must not deadlock them
// (they did: PostgreSQL aborted one, the workflow retried with backoff,
// and snoozes under load took seconds).
func TestQueueCountsOppositeMovesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := setup(t)
	s := a.store
	op, err := s.CreateOperator(ctx, store.NewOperator{WorkspaceID: a.workspace.ID, Email: "both@counts.invalid", Name: "Both", PasswordHash: "x", Role: access.RoleOperator})
	require.NoError(t, err)
	convs := []uuid.UUID{a.conversation.ID}
	for range 7 {
		st, err := s.StartConversation(ctx, store.NewConversation{WorkspaceID: a.workspace.ID, VisitorID: a.visitor.ID, Subject: "more"})
		require.NoError(t, err)
		convs = append(convs, st.Conversation.ID)
	}
	lifecycle := func(status string, version int64) conversation.Lifecycle {
		return conversation.Lifecycle{Status: status, Phase: conversation.PhaseAssigned, AssigneeID: &op.ID,
			Priority: conversation.PriorityNormal, Version: version}
	}
	apply := func(conv uuid.UUID, status string, version int64) error {
		_, err := s.ApplyLifecycle(ctx, store.LifecycleChange{
			WorkspaceID: a.workspace.ID, ConversationID: conv, Lifecycle: lifecycle(status, version),
			EventType: "test", ActorType: conversation.ActorSystem, At: time.Now(),
		})
		return err
	}
	// Half open, half snoozed; then each flips 100 times, half towards
	// snoozed while the other half goes back to open.
	for i, conv := range convs {
		require.NoError(t, apply(conv, []string{conversation.StatusOpen, conversation.StatusSnoozed}[i%2], 1))
	}
	errs := make(chan error, len(convs))
	for i, conv := range convs {
		go func() {
			for v := int64(2); v <= 101; v++ {
				status := conversation.StatusSnoozed
				if (v+int64(i))%2 == 1 {
					status = conversation.StatusOpen
				}
				if err := apply(conv, status, v); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range convs {
		require.NoError(t, <-errs)
	}
	c, err := s.QueueCounts(ctx, access.Viewer{WorkspaceID: a.workspace.ID, OperatorID: op.ID, Role: access.RoleAdmin})
	require.NoError(t, err)
	require.Equal(t, int64(len(convs)), c.Mine.Open+c.Mine.Snoozed, "every move counted once")
}

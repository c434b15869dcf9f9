package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	sbstore "github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

var (
	workspaceID    = uuid.MustParse("6f1c5f7e-0000-4000-8000-000000000001")
	conversationID = uuid.MustParse("6f1c5f7e-0000-4000-8000-000000000002")
	visitorID      = uuid.MustParse("6f1c5f7e-0000-4000-8000-000000000003")
	operatorA      = uuid.MustParse("6f1c5f7e-0000-4000-8000-00000000000a")
	operatorB      = uuid.MustParse("6f1c5f7e-0000-4000-8000-00000000000b")

	startTime = time.Date(2036, 3, 2, 9, 0, 0, 0, time.UTC) // ahead of the real clock: the test env judges local activities' deadlines by it
)

const initialVersion = 3

// store stands in for PostgreSQL behind the two activities. Each change
// takes the conversation's next seq (messages and events share it: lastSeq
// is the highest either took, committed says how far messages went); a
// change of status records its seq as the status's, as the real store does.
type store struct {
	mu        sync.Mutex
	initial   conversation.State
	loads     int
	changes   []conversation.Change
	status    string
	statusSeq int64
	lastSeq   int64
	committed int64
	// fail, if set, makes PersistChange fail for the changes it returns an
	// error for.
	fail func(conversation.Change) error
	// bot answers bot steps (nil: the flow waits for input); botSteps
	// records them.
	bot      func(activities.BotStepInput) (activities.BotStepResult, error)
	botSteps []activities.BotStepInput
	calls    []activities.BotCallInput
	call     func(activities.BotCallInput) (activities.BotStepResult, error)
	// offline lists operators who are not online; offer, if set, is the
	// dispatch decision a change leads to; gone lists offers taken back
	// (an assignment taking one fails); released records offers turned
	// down.
	offline  map[uuid.UUID]bool
	offer    func(conversation.Change) *conversation.Offer
	gone     map[uuid.UUID]bool
	released []uuid.UUID
	// route answers Route (nil: no rule matched).
	route *activities.RouteResult
	// ladder, if set, is the unclaimed ladder a change makes the
	// conversation enter.
	ladder func(conversation.Change) *conversation.LadderConfig
	// replyWithin is the reply limit an assignment brings.
	replyWithin time.Duration

	// SLA: what SelectSLA reads (selects counts the reads), and what
	// RecordSLA was given.
	slaSel     func(activities.SelectSLAInput) activities.SelectSLAResult
	slaSelects int
	slaRecords []sbstore.SLARecord
}

func (s *store) SelectSLA(_ context.Context, in activities.SelectSLAInput) (activities.SelectSLAResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slaSelects++
	if s.slaSel == nil {
		return activities.SelectSLAResult{}, nil
	}
	return s.slaSel(in), nil
}

func (s *store) RecordSLA(_ context.Context, in sbstore.SLARecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slaRecords = append(s.slaRecords, in)
	return nil
}

func (s *store) SLARecords() []sbstore.SLARecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sbstore.SLARecord(nil), s.slaRecords...)
}

func (s *store) Route(_ context.Context, _ activities.RouteInput) (activities.RouteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.route == nil {
		return activities.RouteResult{}, nil
	}
	return *s.route, nil
}

func (s *store) OperatorOnline(_ context.Context, in activities.OperatorOnlineInput) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.offline[in.OperatorID], nil
}

func (s *store) ReleaseOffer(_ context.Context, in activities.ReleaseOfferInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, in.OfferID)
	return nil
}

func (s *store) BotStep(_ context.Context, in activities.BotStepInput) (activities.BotStepResult, error) {
	s.mu.Lock()
	s.botSteps = append(s.botSteps, in)
	bot := s.bot
	s.mu.Unlock()
	if bot == nil {
		return activities.BotStepResult{Await: "input"}, nil
	}
	return bot(in)
}

func (s *store) BotCall(_ context.Context, in activities.BotCallInput) (activities.BotStepResult, error) {
	s.mu.Lock()
	s.calls = append(s.calls, in)
	call := s.call
	s.mu.Unlock()
	return call(in)
}

func (s *store) BotSteps() []activities.BotStepInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]activities.BotStepInput(nil), s.botSteps...)
}

func (s *store) LoadConversation(_ context.Context, in activities.LoadConversationInput) (conversation.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if in.ConversationID != s.initial.ConversationID || in.WorkspaceID != s.initial.WorkspaceID {
		return conversation.State{}, temporal.NewNonRetryableApplicationError("no such conversation", "NotFound", nil)
	}
	return s.initial, nil
}

func (s *store) PersistChange(_ context.Context, ch conversation.Change) (activities.PersistResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(ch); err != nil {
			return activities.PersistResult{}, err
		}
	}
	if ch.OfferID != nil && s.gone[*ch.OfferID] {
		return activities.PersistResult{}, temporal.NewNonRetryableApplicationError("offer gone", activities.ErrTypeOfferGone, nil)
	}
	s.changes = append(s.changes, ch)
	seq := max(s.lastSeq, s.committed, ch.State.LastMessageSeq) + 1
	s.lastSeq = seq
	if s.status == "" {
		s.status, s.statusSeq = s.initial.Status, s.initial.StatusSeq
	}
	if ch.State.Status != s.status {
		s.status, s.statusSeq = ch.State.Status, seq
	}
	res := activities.PersistResult{Seq: seq, StatusSeq: s.statusSeq}
	if s.offer != nil {
		res.Offer = s.offer(ch)
	}
	if s.ladder != nil {
		res.Ladder = s.ladder(ch)
	}
	if ch.State.Phase == conversation.PhaseAssigned && ch.EventType != conversation.EventResolved {
		res.ReplyWithin = s.replyWithin
	}
	return res, nil
}

func (s *store) Changes() []conversation.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]conversation.Change(nil), s.changes...)
}

func (s *store) Loads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

type testBundle struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	store *store
	in    workflows.ConversationInput
}

func openState() conversation.State {
	return conversation.State{
		WorkspaceID:    workspaceID,
		ConversationID: conversationID,
		VisitorID:      visitorID,
		Lifecycle: conversation.Lifecycle{
			Status:   conversation.StatusOpen,
			Phase:    conversation.PhaseQueued,
			Priority: conversation.PriorityNormal,
			Version:  initialVersion,
		},
	}
}

func setup(t *testing.T, initial conversation.State) *testBundle {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(startTime)
	st := &store{initial: initial}
	env.RegisterActivityWithOptions(st.LoadConversation, activity.RegisterOptions{Name: "LoadConversation"})
	env.RegisterActivityWithOptions(st.PersistChange, activity.RegisterOptions{Name: "PersistChange"})
	env.RegisterActivityWithOptions(st.BotStep, activity.RegisterOptions{Name: "BotStep"})
	env.RegisterActivityWithOptions(st.BotCall, activity.RegisterOptions{Name: "BotCall"})
	env.RegisterActivityWithOptions(st.OperatorOnline, activity.RegisterOptions{Name: "OperatorOnline"})
	env.RegisterActivityWithOptions(st.ReleaseOffer, activity.RegisterOptions{Name: "ReleaseOffer"})
	env.RegisterActivityWithOptions(st.Route, activity.RegisterOptions{Name: "Route"})
	env.RegisterActivityWithOptions(st.SelectSLA, activity.RegisterOptions{Name: "SelectSLA"})
	env.RegisterActivityWithOptions(st.RecordSLA, activity.RegisterOptions{Name: "RecordSLA"})
	env.RegisterWorkflow(workflows.ConversationWorkflow)
	return &testBundle{
		t:     t,
		env:   env,
		store: st,
		in:    workflows.ConversationInput{WorkspaceID: workspaceID, ConversationID: conversationID},
	}
}

func (b *testBundle) execute() {
	b.env.ExecuteWorkflow(workflows.ConversationWorkflow, b.in)
	require.True(b.t, b.env.IsWorkflowCompleted())
}

// outcome records what became of one update.
type outcome struct {
	done     bool
	rejected error // by the validator
	err      error // by the handler
	state    conversation.State
}

// failure is the error the caller of the update sees, whichever stage
// produced it.
func (o *outcome) failure() error {
	if o.rejected != nil {
		return o.rejected
	}
	return o.err
}

// update sends an update; call it from a delayed callback.
func (b *testBundle) update(name string, req any) *outcome {
	o := &outcome{}
	b.sendUpdate(o, name, req)
	return o
}

func (b *testBundle) updateAt(d time.Duration, name string, req any) *outcome {
	o := &outcome{}
	b.env.RegisterDelayedCallback(func() { b.sendUpdate(o, name, req) }, d)
	return o
}

func (b *testBundle) sendUpdate(o *outcome, name string, req any) {
	b.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) {
			o.done = true
			o.rejected = err
		},
		OnComplete: func(success any, err error) {
			o.done = true
			o.err = err
			if err == nil {
				o.state = decodeState(b.t, success)
			}
		},
	}, req)
}

func (b *testBundle) signalAt(d time.Duration, name string, payload any) {
	b.env.RegisterDelayedCallback(func() { b.env.SignalWorkflow(name, payload) }, d)
}

func (b *testBundle) message(d time.Duration, seq int64, sender string) {
	b.signalAt(d, workflows.SignalMessage, workflows.MessageSignal{
		MessageID:  uuid.NewSHA1(conversationID, []byte{byte(seq)}),
		Seq:        seq,
		SenderType: sender,
		CreatedAt:  startTime.Add(d),
	})
}

// stopAt cancels the workflow, so a test of an open conversation ends.
func (b *testBundle) stopAt(d time.Duration) {
	b.env.RegisterDelayedCallback(b.env.CancelWorkflow, d)
}

func (b *testBundle) requireStopped() {
	b.t.Helper()
	err := b.env.GetWorkflowError()
	require.Error(b.t, err)
	var canceled *temporal.CanceledError
	require.ErrorAs(b.t, err, &canceled)
}

func (b *testBundle) query() conversation.State {
	b.t.Helper()
	v, err := b.env.QueryWorkflow(workflows.QueryState)
	require.NoError(b.t, err)
	var s conversation.State
	require.NoError(b.t, v.Get(&s))
	return s
}

func (b *testBundle) queryAt(d time.Duration) *conversation.State {
	s := &conversation.State{}
	b.env.RegisterDelayedCallback(func() { *s = b.query() }, d)
	return s
}

func decodeState(t *testing.T, v any) conversation.State {
	t.Helper()
	switch v := v.(type) {
	case conversation.State:
		return v
	case converter.EncodedValue:
		var s conversation.State
		require.NoError(t, v.Get(&s))
		return s
	}
	require.Failf(t, "unexpected update result", "%T", v)
	return conversation.State{}
}

func requireAppError(t *testing.T, err error, errType string) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, errType, appErr.Type(), "error: %v", err)
}

func eventTypes(changes []conversation.Change) []string {
	out := make([]string, len(changes))
	for i, ch := range changes {
		out[i] = ch.EventType
	}
	return out
}

func operator(id uuid.UUID) conversation.Actor {
	return conversation.Actor{Type: conversation.ActorOperator, ID: &id}
}

func ptr[T any](v T) *T { return &v }

func TestSnoozeWakesAtDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(time.Minute + 24*time.Hour)
	snooze := b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	during := b.queryAt(23 * time.Hour)
	after := b.queryAt(25 * time.Hour)
	b.stopAt(48 * time.Hour)
	b.execute()
	b.requireStopped()

	require.True(t, snooze.done)
	require.NoError(t, snooze.failure())
	require.Equal(t, conversation.StatusSnoozed, snooze.state.Status)
	require.True(t, snooze.state.SnoozedUntil.Equal(until))
	require.Equal(t, conversation.StatusSnoozed, during.Status)
	require.Equal(t, conversation.StatusOpen, after.Status)
	require.Nil(t, after.SnoozedUntil)

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventWoken}, eventTypes(changes))
	snoozed, woken := changes[0], changes[1]
	require.Equal(t, startTime.Add(time.Minute), snoozed.At)
	require.Equal(t, 24*time.Hour, woken.At.Sub(snoozed.At))
	require.Equal(t, conversation.ReasonSnoozeExpired, woken.Reason)
	require.Equal(t, conversation.Actor{Type: conversation.ActorSystem}, woken.Actor)
	require.Equal(t, conversation.StatusOpen, woken.State.Status)
	require.Equal(t, conversation.PhaseQueued, woken.State.Phase)
}

func TestCustomerReplyWakesSnoozeEarly(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(24 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until, UntilReply: true})
	b.message(2*time.Hour, 1, conversation.ActorOperator) // an operator's message does not wake it
	b.message(3*time.Hour, 2, conversation.ActorVisitor)
	after := b.queryAt(3*time.Hour + time.Second)
	b.stopAt(72 * time.Hour) // well past the first deadline
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventWoken}, eventTypes(changes), "no timer wake after the reply")
	woken := changes[1]
	require.Equal(t, startTime.Add(3*time.Hour), woken.At)
	require.Equal(t, conversation.ReasonCustomerReplied, woken.Reason)
	require.Equal(t, conversation.Actor{Type: conversation.ActorSystem}, woken.Actor)
	require.Equal(t, conversation.StatusOpen, woken.State.Status)
	require.Nil(t, woken.State.SnoozedUntil)
	require.False(t, woken.State.SnoozeUntilReply)
	require.Equal(t, int64(2), woken.State.MessagesSeen)
	require.Equal(t, int64(2), woken.State.LastMessageSeq)

	require.Equal(t, conversation.StatusOpen, after.Status)
	require.Equal(t, int64(2), after.MessagesSeen)
}

func TestClaimOfClaimedConversationConflicts(t *testing.T) {
	t.Parallel()
	initial := openState()
	initial.Phase = conversation.PhaseAssigned
	initial.AssigneeID = ptr(operatorA)
	b := setup(t, initial)

	before := b.queryAt(time.Minute)
	other := b.updateAt(2*time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorB), OperatorID: operatorB})
	same := b.updateAt(3*time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	after := b.queryAt(4 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.True(t, other.done)
	require.Error(t, other.rejected, "the validator rejects it")
	requireAppError(t, other.rejected, workflows.ErrTypeConflict)
	require.True(t, same.done)
	requireAppError(t, same.rejected, workflows.ErrTypeConflict)

	require.Equal(t, *before, *after)
	require.Equal(t, initial, *after)
	require.Empty(t, b.store.Changes())
}

func TestConcurrentClaimsOneWins(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	const n = 20
	outcomes := make([]*outcome, n)
	b.env.RegisterDelayedCallback(func() {
		for i := range outcomes {
			op := uuid.NewSHA1(operatorA, []byte{byte(i)})
			outcomes[i] = b.update(workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(op), OperatorID: op})
		}
	}, time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	var winners []conversation.State
	for _, o := range outcomes {
		require.True(t, o.done)
		if err := o.failure(); err != nil {
			requireAppError(t, err, workflows.ErrTypeConflict)
			continue
		}
		winners = append(winners, o.state)
	}
	require.Len(t, winners, 1)
	changes := b.store.Changes()
	require.Len(t, changes, 1)
	require.Equal(t, conversation.EventClaimed, changes[0].EventType)
	require.Equal(t, winners[0], changes[0].State)
	require.Equal(t, conversation.PhaseAssigned, winners[0].Phase)
	require.Equal(t, int64(initialVersion+1), winners[0].Version)
}

func TestDuplicateMessagesCountedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.message(time.Minute, 1, conversation.ActorVisitor)
	b.message(2*time.Minute, 1, conversation.ActorVisitor) // redelivered
	b.message(3*time.Minute, 2, conversation.ActorOperator)
	b.message(4*time.Minute, 1, conversation.ActorVisitor) // older
	b.message(5*time.Minute, 3, conversation.ActorVisitor)
	b.message(5*time.Minute, 3, conversation.ActorVisitor) // redelivered at once
	after := b.queryAt(10 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, int64(3), after.MessagesSeen)
	require.Equal(t, int64(3), after.LastMessageSeq)
	require.Equal(t, int64(initialVersion), after.Version, "messages alone are not lifecycle changes")
	require.Empty(t, b.store.Changes())
}

// TestLateMessageCountedOnce: a message whose seq is below the high-water
// mark but was never seen (a dead-lettered row retried, two relays
// overlapping) is a new message, once.
func TestLateMessageCountedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.message(time.Minute, 1, conversation.ActorOperator)
	b.message(2*time.Minute, 4, conversation.ActorOperator) // 2 and 3 not yet
	b.message(3*time.Minute, 3, conversation.ActorOperator) // late
	b.message(4*time.Minute, 3, conversation.ActorOperator) // redelivered
	b.message(5*time.Minute, 4, conversation.ActorOperator) // redelivered
	mid := b.queryAt(6 * time.Minute)
	b.message(7*time.Minute, 2, conversation.ActorOperator) // late
	after := b.queryAt(10 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, int64(3), mid.MessagesSeen)
	require.Equal(t, []int64{2}, mid.MessageGaps)
	require.Equal(t, int64(4), after.MessagesSeen)
	require.Equal(t, int64(4), after.LastMessageSeq)
	require.Empty(t, after.MessageGaps)
	require.Empty(t, b.store.Changes())
}

// TestLateCustomerMessageFromBeforeSnoozeDoesNotWake: a late visitor
// message (a gap filled) is counted, and judged by its seq: written before
// the snooze, it is no reply to it.
func TestLateCustomerMessageFromBeforeSnoozeDoesNotWake(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.message(time.Minute, 2, conversation.ActorOperator) // seq 1 is late
	snooze := b.updateAt(2*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), UntilReply: true})
	b.message(3*time.Minute, 1, conversation.ActorVisitor) // written before the snooze (seq 3)
	after := b.queryAt(4 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, snooze.failure())
	require.Equal(t, conversation.StatusSnoozed, after.Status, "a reply from before the snooze is no reply to it")
	require.Equal(t, int64(2), after.MessagesSeen, "but it is counted, once")
	require.Empty(t, after.MessageGaps)
	require.Equal(t, []string{conversation.EventSnoozed}, eventTypes(b.store.Changes()))
}

// TestMessageGapsBounded: a jump in seq keeps only the newest
// MaxMessageGaps gaps; a message older than those is taken for a
// duplicate.
func TestMessageGapsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	const top = conversation.MaxMessageGaps + 100
	b.message(time.Minute, 1, conversation.ActorOperator)
	b.message(2*time.Minute, top, conversation.ActorOperator)
	b.message(3*time.Minute, 2, conversation.ActorOperator)     // its gap was dropped
	b.message(4*time.Minute, top-1, conversation.ActorOperator) // a kept gap
	after := b.queryAt(10 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, int64(3), after.MessagesSeen)
	require.Len(t, after.MessageGaps, conversation.MaxMessageGaps-1)
	require.Equal(t, int64(top-conversation.MaxMessageGaps), after.MessageGaps[0])
	require.Equal(t, int64(top-2), after.MessageGaps[len(after.MessageGaps)-1])
}

// TestMessageSignalCarriesNoBody: nothing a person wrote reaches
// Temporal's history through a message signal.
func TestMessageSignalCarriesNoBody(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(workflows.MessageSignal{MessageID: uuid.New(), Seq: 1, SenderType: conversation.ActorVisitor})
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(raw, &fields))
	for k := range fields {
		require.Contains(t, []string{"MessageID", "Seq", "SenderType", "SenderID", "CreatedAt", "RelayEpoch"}, k)
	}
}

func TestResnoozeMovesDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	first := startTime.Add(24 * time.Hour)
	second := startTime.Add(48 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &first})
	moved := b.updateAt(time.Hour, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &second})
	atFirst := b.queryAt(30 * time.Hour)
	b.stopAt(72 * time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, moved.failure())
	require.Equal(t, conversation.StatusSnoozed, atFirst.Status, "the first deadline does not fire")
	require.True(t, atFirst.SnoozedUntil.Equal(second))

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventSnoozed, conversation.EventWoken}, eventTypes(changes))
	require.Equal(t, second, changes[2].At)
	require.Equal(t, conversation.ReasonSnoozeExpired, changes[2].Reason)
}

func TestSnoozeUntilReplyOnlyHasNoTimer(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), UntilReply: true})
	later := b.queryAt(365 * 24 * time.Hour)
	b.message(366*24*time.Hour, 1, conversation.ActorVisitor)
	b.stopAt(367 * 24 * time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, conversation.StatusSnoozed, later.Status)
	require.True(t, later.SnoozeUntilReply)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventWoken}, eventTypes(changes))
	require.Equal(t, conversation.ReasonCustomerReplied, changes[1].Reason)
}

func TestManualWake(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(24 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	woken := b.updateAt(time.Hour, workflows.UpdateWake, conversation.WakeRequest{Actor: operator(operatorA)})
	again := b.updateAt(2*time.Hour, workflows.UpdateWake, conversation.WakeRequest{Actor: operator(operatorA)})
	b.stopAt(48 * time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, woken.failure())
	require.Equal(t, conversation.StatusOpen, woken.state.Status)
	requireAppError(t, again.failure(), workflows.ErrTypeConflict)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventWoken}, eventTypes(changes), "the cancelled timer does not wake it again")
	require.Equal(t, conversation.ReasonManual, changes[1].Reason)
	require.Equal(t, operator(operatorA), changes[1].Actor)
}

func TestResolveCompletesRun(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	resolved := b.updateAt(time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{
		Actor: operator(operatorA), Resolution: "solved", Notes: "refund sent",
	})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	require.NoError(t, resolved.failure())
	require.Equal(t, conversation.StatusResolved, resolved.state.Status)
	require.Equal(t, "solved", resolved.state.Resolution)
	require.Equal(t, "refund sent", resolved.state.ResolutionNotes)
	require.Equal(t, startTime.Add(time.Minute), *resolved.state.ResolvedAt)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventResolved}, eventTypes(changes))
}

func TestResolveClearsSnoozeAndCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(24 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	b.updateAt(time.Hour, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "no_reply"})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventResolved}, eventTypes(changes))
	require.Nil(t, changes[1].State.SnoozedUntil)
	require.Equal(t, conversation.StatusResolved, changes[1].State.Status)
}

func resolvedState() conversation.State {
	s := openState()
	s.Status = conversation.StatusResolved
	s.Phase = conversation.PhaseAssigned
	s.AssigneeID = ptr(operatorA)
	s.Resolution = "solved"
	s.ResolutionNotes = "done"
	s.ResolvedAt = ptr(startTime.Add(-time.Hour))
	s.LastMessageSeq = 7
	s.MessagesSeen = 7
	return s
}

func TestStartResolvedCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())

	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	require.Equal(t, 1, b.store.Loads())
	require.Empty(t, b.store.Changes())
}

func TestStartResolvedReopenUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())

	// Delay 0: the update arrives with the start (UpdateWithStart).
	reopened := b.updateAt(0, workflows.UpdateReopen, conversation.ReopenRequest{Actor: operator(operatorA)})
	later := b.queryAt(time.Hour)
	b.stopAt(2 * time.Hour)
	b.execute()
	b.requireStopped()

	require.True(t, reopened.done)
	require.NoError(t, reopened.failure())
	require.Equal(t, conversation.StatusOpen, reopened.state.Status)
	require.Equal(t, conversation.PhaseAssigned, reopened.state.Phase, "back to its assignee")
	require.Empty(t, reopened.state.Resolution)
	require.Empty(t, reopened.state.ResolutionNotes)
	require.Nil(t, reopened.state.ResolvedAt)
	require.Equal(t, int64(initialVersion+1), reopened.state.Version)
	require.Equal(t, reopened.state, *later, "the run goes on")

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventReopened}, eventTypes(changes))
	require.Equal(t, operator(operatorA), changes[0].Actor)
}

func TestStartResolvedCustomerMessageReopens(t *testing.T) {
	t.Parallel()
	initial := resolvedState()
	initial.AssigneeID = nil
	b := setup(t, initial)

	// Delay 0: the relay's SignalWithStart.
	b.message(0, 8, conversation.ActorVisitor)
	later := b.queryAt(time.Hour)
	b.stopAt(2 * time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventReopened}, eventTypes(changes))
	require.Equal(t, conversation.ReasonCustomerReplied, changes[0].Reason)
	require.Equal(t, conversation.StatusOpen, changes[0].State.Status)
	require.Equal(t, conversation.PhaseQueued, changes[0].State.Phase)
	require.Equal(t, int64(8), changes[0].State.LastMessageSeq)
	require.Equal(t, int64(8), changes[0].State.MessagesSeen)
	want := changes[0].State
	want.StatusSeq = 9 // the reopen's seq, as the store reports it
	require.Equal(t, want, *later)
}

func TestStartResolvedDuplicateMessageCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())

	b.message(0, 7, conversation.ActorVisitor) // already seen before the resolve
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	require.Empty(t, b.store.Changes())
}

func TestUpdateWithStartBeforeLoad(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	claimed := b.updateAt(0, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, claimed.failure())
	require.Equal(t, conversation.PhaseAssigned, claimed.state.Phase)
	require.Equal(t, operatorA, *claimed.state.AssigneeID)
	require.Equal(t, 1, b.store.Loads())
}

func TestSnoozeRejections(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	past := startTime
	inPast := b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &past})
	now := b.updateAt(2*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: ptr(startTime.Add(2 * time.Minute))})
	nothing := b.updateAt(3*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA)})
	noActor := b.updateAt(4*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{UntilReply: true})
	tooFar := b.updateAt(5*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: ptr(startTime.Add(6*time.Minute + conversation.MaxSnooze))})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	requireAppError(t, inPast.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, now.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, nothing.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, noActor.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, tooFar.rejected, workflows.ErrTypeInvalid)
	require.Empty(t, b.store.Changes())
}

func TestSnoozeOfResolvedConflicts(t *testing.T) {
	t.Parallel()
	// A continued run starts with its state, no load: the validator sees it.
	b := setup(t, openState())
	state := resolvedState()
	b.in.State = &state

	until := startTime.Add(time.Hour)
	snoozed := b.updateAt(0, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	require.True(t, snoozed.done)
	requireAppError(t, snoozed.rejected, workflows.ErrTypeConflict)
	require.Empty(t, b.store.Changes())
	require.Zero(t, b.store.Loads())
}

func TestSnoozeOfResolvedBeforeLoadConflicts(t *testing.T) {
	t.Parallel()
	// A fresh run: the update comes before the state is loaded, passes the
	// validator on its input, and the handler finds the conflict.
	b := setup(t, resolvedState())

	until := startTime.Add(time.Hour)
	snoozed := b.updateAt(0, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	require.True(t, snoozed.done)
	requireAppError(t, snoozed.failure(), workflows.ErrTypeConflict)
	require.Empty(t, b.store.Changes())
	require.Equal(t, 1, b.store.Loads())
}

func TestSnoozeRacingResolveConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	// Both pass validation while the conversation is open; the snooze
	// handler finds it resolved once it holds the lock.
	var resolved, snoozed *outcome
	until := startTime.Add(time.Hour)
	b.env.RegisterDelayedCallback(func() {
		resolved = b.update(workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "spam"})
		snoozed = b.update(workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorB), Until: &until})
	}, time.Minute)
	b.execute()

	require.NoError(t, b.env.GetWorkflowError(), "the run completes after the snooze handler finished")
	require.NoError(t, resolved.failure())
	require.True(t, snoozed.done)
	requireAppError(t, snoozed.failure(), workflows.ErrTypeConflict)
	require.Equal(t, []string{conversation.EventResolved}, eventTypes(b.store.Changes()))
}

func TestResolveRejections(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	unknown := b.updateAt(time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "Not a key!"})
	long := b.updateAt(2*time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{
		Actor: operator(operatorA), Resolution: "solved", Notes: strings.Repeat("é", conversation.MaxResolutionNotes+1),
	})
	reopen := b.updateAt(3*time.Minute, workflows.UpdateReopen, conversation.ReopenRequest{Actor: operator(operatorA)})
	maxNotes := b.updateAt(4*time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{
		Actor: operator(operatorA), Resolution: "solved", Notes: strings.Repeat("é", conversation.MaxResolutionNotes),
	})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	requireAppError(t, unknown.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, long.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, reopen.rejected, workflows.ErrTypeConflict)
	require.NoError(t, maxNotes.failure())
	require.Equal(t, []string{conversation.EventResolved}, eventTypes(b.store.Changes()))
}

func TestAssign(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(24 * time.Hour)
	unassignQueued := b.updateAt(time.Minute, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorA)})
	toA := b.updateAt(2*time.Minute, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorB), OperatorID: ptr(operatorA)})
	toAAgain := b.updateAt(3*time.Minute, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorB), OperatorID: ptr(operatorA)})
	b.updateAt(4*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	toB := b.updateAt(5*time.Minute, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorA), OperatorID: ptr(operatorB)})
	unassign := b.updateAt(6*time.Minute, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorB)})
	b.updateAt(7*time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "solved"})
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())

	requireAppError(t, unassignQueued.rejected, workflows.ErrTypeConflict)
	require.NoError(t, toA.failure())
	require.Equal(t, conversation.PhaseAssigned, toA.state.Phase)
	require.Equal(t, operatorA, *toA.state.AssigneeID)
	requireAppError(t, toAAgain.rejected, workflows.ErrTypeConflict)

	require.NoError(t, toB.failure())
	require.Equal(t, conversation.StatusSnoozed, toB.state.Status, "assigning keeps the snooze")
	require.True(t, toB.state.SnoozedUntil.Equal(until))
	require.Equal(t, operatorB, *toB.state.AssigneeID)

	require.NoError(t, unassign.failure())
	require.Equal(t, conversation.StatusSnoozed, unassign.state.Status)
	require.Equal(t, conversation.PhaseQueued, unassign.state.Phase)
	require.Nil(t, unassign.state.AssigneeID)

	require.Equal(t, []string{
		conversation.EventAssigned, conversation.EventSnoozed, conversation.EventAssigned,
		conversation.EventUnassigned, conversation.EventResolved,
	}, eventTypes(b.store.Changes()))
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	sales := uuid.MustParse("6f1c5f7e-0000-4000-8000-0000000000d1")
	support := uuid.MustParse("6f1c5f7e-0000-4000-8000-0000000000d2")
	initial := openState()
	initial.DepartmentID = ptr(sales)
	initial.Phase = conversation.PhaseAssigned
	initial.AssigneeID = ptr(operatorA)
	b := setup(t, initial)

	noDepartment := b.updateAt(time.Minute, workflows.UpdateTransfer, conversation.TransferRequest{Actor: operator(operatorA)})
	toQueue := b.updateAt(2*time.Minute, workflows.UpdateTransfer, conversation.TransferRequest{Actor: operator(operatorA), DepartmentID: support})
	again := b.updateAt(3*time.Minute, workflows.UpdateTransfer, conversation.TransferRequest{Actor: operator(operatorA), DepartmentID: support})
	toB := b.updateAt(4*time.Minute, workflows.UpdateTransfer, conversation.TransferRequest{Actor: operator(operatorA), DepartmentID: sales, AssigneeID: ptr(operatorB)})
	b.updateAt(5*time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorB), Resolution: "solved"})
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())

	requireAppError(t, noDepartment.rejected, workflows.ErrTypeInvalid)

	require.NoError(t, toQueue.failure())
	require.Equal(t, support, *toQueue.state.DepartmentID)
	require.Nil(t, toQueue.state.AssigneeID, "no assignee given: back to the queue")
	require.Equal(t, conversation.PhaseQueued, toQueue.state.Phase)
	requireAppError(t, again.rejected, workflows.ErrTypeConflict)

	require.NoError(t, toB.failure())
	require.Equal(t, sales, *toB.state.DepartmentID)
	require.Equal(t, operatorB, *toB.state.AssigneeID)
	require.Equal(t, conversation.PhaseAssigned, toB.state.Phase)

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventTransferred, conversation.EventTransferred, conversation.EventResolved}, eventTypes(changes))
	require.Equal(t, operator(operatorA), changes[0].Actor)
	require.Equal(t, startTime.Add(2*time.Minute), changes[0].At)
}

func TestTransferOfResolvedConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())

	transfer := b.updateAt(0, workflows.UpdateTransfer, conversation.TransferRequest{
		Actor: operator(operatorA), DepartmentID: uuid.MustParse("6f1c5f7e-0000-4000-8000-0000000000d1"),
	})
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())

	require.True(t, transfer.done)
	requireAppError(t, transfer.failure(), workflows.ErrTypeConflict)
	require.Empty(t, b.store.Changes())
}

func TestVersionsStrictlyIncrease(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(2 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.env.RegisterDelayedCallback(func() {
		// Sent together, they queue on the workflow's lock.
		b.update(workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
		b.update(workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorA), OperatorID: ptr(operatorB)})
	}, 2*time.Minute)
	// the timer wakes it at 2 h
	b.message(3*time.Hour, 1, conversation.ActorVisitor)
	b.updateAt(4*time.Hour, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorB)})
	b.updateAt(5*time.Hour, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorB), Resolution: "solved"})
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())

	changes := b.store.Changes()
	types := eventTypes(changes)
	require.Len(t, types, 6)
	require.Equal(t, conversation.EventClaimed, types[0])
	// The lock serialises the other two, in no promised order.
	require.ElementsMatch(t, []string{conversation.EventSnoozed, conversation.EventAssigned}, types[1:3])
	require.Equal(t, []string{conversation.EventWoken, conversation.EventUnassigned, conversation.EventResolved}, types[3:])
	for i, ch := range changes {
		require.Equal(t, int64(initialVersion+1+i), ch.State.Version, "change %d (%s)", i, ch.EventType)
	}
	require.Equal(t, startTime.Add(2*time.Hour), changes[3].At)
	require.Equal(t, conversation.ReasonSnoozeExpired, changes[3].Reason)
}

func TestPersistFailureRollsBack(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())
	failed := false
	b.store.fail = func(ch conversation.Change) error {
		if ch.EventType == conversation.EventClaimed && !failed {
			failed = true
			return temporal.NewNonRetryableApplicationError("row is gone", "Broken", nil)
		}
		return nil
	}

	first := b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	afterFailure := b.queryAt(2 * time.Minute)
	second := b.updateAt(3*time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorB), OperatorID: operatorB})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.True(t, first.done)
	require.Nil(t, first.rejected)
	require.Error(t, first.err)
	require.Equal(t, conversation.PhaseQueued, afterFailure.Phase)
	require.Nil(t, afterFailure.AssigneeID)
	require.Equal(t, conversation.StatusOpen, afterFailure.Status)

	require.NoError(t, second.failure())
	require.Equal(t, operatorB, *second.state.AssigneeID)
	changes := b.store.Changes()
	require.Len(t, changes, 1)
	// The failed change's version is not reused.
	require.Equal(t, int64(initialVersion+2), changes[0].State.Version)
}

func TestPersistRetriesUntilItSucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())
	attempts := 0
	b.store.fail = func(conversation.Change) error {
		attempts++
		if attempts <= 5 {
			return errors.New("connection refused")
		}
		return nil
	}

	claimed := b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, claimed.failure())
	require.Equal(t, 6, attempts)
	require.Len(t, b.store.Changes(), 1)
}

func TestReopenWithoutAssigneeQueues(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.updateAt(time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "duplicate"})
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())

	// The next run, as the API starts it with UpdateWithStart.
	next := setup(t, b.store.Changes()[0].State)
	reopened := next.updateAt(0, workflows.UpdateReopen, conversation.ReopenRequest{Actor: operator(operatorA)})
	next.stopAt(time.Hour)
	next.execute()
	next.requireStopped()

	require.NoError(t, reopened.failure())
	require.Equal(t, conversation.PhaseQueued, reopened.state.Phase)
	require.Equal(t, int64(initialVersion+2), reopened.state.Version)
}

func TestContinueAsNewCarriesState(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(10 * time.Hour)
	b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.message(2*time.Minute, 1, conversation.ActorVisitor)
	b.message(2*time.Minute, 2, conversation.ActorOperator)
	b.updateAt(3*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	b.env.RegisterDelayedCallback(func() {
		b.env.SetContinueAsNewSuggested(true)
		b.env.SignalWorkflow(workflows.SignalStarted, workflows.StartedSignal{CreatedAt: startTime})
	}, 4*time.Minute)
	b.execute()

	err := b.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	var next workflows.ConversationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, workspaceID, next.WorkspaceID)
	require.Equal(t, conversationID, next.ConversationID)
	require.NotNil(t, next.State)
	require.Equal(t, conversation.StatusSnoozed, next.State.Status)
	require.True(t, next.State.SnoozedUntil.Equal(until))
	require.Equal(t, operatorA, *next.State.AssigneeID)
	require.Equal(t, int64(2), next.State.MessagesSeen)
	require.Equal(t, int64(2), next.State.LastMessageSeq)
	require.Equal(t, int64(initialVersion+2), next.State.Version)

	// The next run takes over from there: no load, the same deadline.
	c := setup(t, openState())
	c.env.SetStartTime(startTime.Add(4 * time.Minute))
	c.in = next
	c.message(time.Minute, 2, conversation.ActorVisitor) // a redelivery stays a duplicate
	c.stopAt(24 * time.Hour)
	c.execute()
	c.requireStopped()

	require.Zero(t, c.store.Loads())
	changes := c.store.Changes()
	require.Equal(t, []string{conversation.EventWoken}, eventTypes(changes))
	require.Equal(t, until, changes[0].At)
	require.Equal(t, int64(initialVersion+3), changes[0].State.Version)
	require.Equal(t, int64(2), changes[0].State.MessagesSeen)
}

func TestContinueAsNewInput(t *testing.T) {
	t.Parallel()
	in := workflows.ConversationInput{WorkspaceID: workspaceID, ConversationID: conversationID}
	state := openState()
	state.MessagesSeen = 9

	next := workflows.ContinueAsNewInput(in, state)
	require.Equal(t, workspaceID, next.WorkspaceID)
	require.Equal(t, conversationID, next.ConversationID)
	require.Equal(t, &state, next.State)
	require.Nil(t, in.State, "the old input is not changed")
}

func (b *testBundle) messages(d time.Duration, batch ...workflows.MessageSignal) {
	b.signalAt(d, workflows.SignalMessages, workflows.MessagesSignal{Messages: batch})
}

func visitorMessage(seq int64) workflows.MessageSignal {
	return workflows.MessageSignal{
		MessageID: uuid.NewSHA1(conversationID, []byte{byte(seq)}), Seq: seq, SenderType: conversation.ActorVisitor,
		CreatedAt: startTime, Reasons: []string{conversation.SignalTurn},
	}
}

// TestCustomerMessageOlderThanSnoozeDoesNotWake: order is by seq, not by
// arrival. A message the customer wrote before the snooze (seq below the
// snooze event's) but that reaches the workflow after it wakes nothing; one
// written after does.
func TestCustomerMessageOlderThanSnoozeDoesNotWake(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	until := startTime.Add(24 * time.Hour)
	// The customer's message 1 is committed before the snooze (which so
	// takes seq 2) but reaches the workflow after it.
	b.store.committed = 1
	b.updateAt(time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until, UntilReply: true})
	b.messages(2*time.Minute, visitorMessage(1))
	stillSnoozed := b.queryAt(3 * time.Minute)
	b.messages(4*time.Minute, visitorMessage(3)) // written after it
	after := b.queryAt(5 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, conversation.StatusSnoozed, stillSnoozed.Status)
	require.Equal(t, int64(2), stillSnoozed.StatusSeq)
	require.Equal(t, int64(1), stillSnoozed.MessagesSeen, "counted, just not a reply to the snooze")
	require.Equal(t, conversation.StatusOpen, after.Status)
	require.Equal(t, []string{conversation.EventSnoozed, conversation.EventWoken}, eventTypes(b.store.Changes()))
	require.Equal(t, int64(4), after.StatusSeq, "the wake's seq")
}

// TestCustomerMessageOlderThanResolveDoesNotReopen: the same for a resolve,
// in a run that loads a resolved conversation (a late message starts one).
func TestCustomerMessageOlderThanResolveDoesNotReopen(t *testing.T) {
	t.Parallel()
	initial := openState()
	initial.Status = conversation.StatusResolved
	initial.Resolution = "solved"
	initial.StatusSeq = 40
	initial.LastMessageSeq = 30
	b := setup(t, initial)
	// Buffered before the run starts, as SignalWithStart delivers them.
	b.messages(0, visitorMessage(39))
	b.execute()

	require.Empty(t, b.store.Changes(), "a message from before the resolve reopens nothing")

	b = setup(t, initial)
	b.messages(0, visitorMessage(39), visitorMessage(41))
	b.execute()
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventReopened}, eventTypes(changes))
	require.Equal(t, conversation.ReasonCustomerReplied, changes[0].Reason)
}

// TestBatchCountsEachMessageOnce: a batch redelivered whole, and single
// signals mixed in, count every seq once, in order.
func TestBatchCountsEachMessageOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	b.messages(time.Minute, visitorMessage(1), visitorMessage(2), visitorMessage(3))
	b.messages(2*time.Minute, visitorMessage(1), visitorMessage(2), visitorMessage(3)) // redelivered
	b.message(3*time.Minute, 4, conversation.ActorOperator)
	after := b.queryAt(4 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, int64(4), after.MessagesSeen)
	require.Equal(t, int64(4), after.LastMessageSeq)
	require.Empty(t, b.store.Changes())
}

func keywordMessage(seq int64, priority string, dept *uuid.UUID) workflows.MessageSignal {
	m := visitorMessage(seq)
	m.Reasons = append(m.Reasons, conversation.SignalKeywordRule)
	m.Keyword = &conversation.KeywordMatch{RuleID: uuid.NewSHA1(conversationID, []byte("rule")), Priority: priority, DepartmentID: dept}
	return m
}

// TestKeywordRuleRaisesPriority: a matched rule raises the priority, never
// lowers it, and a conversation people have keeps its department; the
// event names the rule and the message.
func TestKeywordRuleRaisesPriority(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())
	billing := uuid.New()

	b.messages(time.Minute, keywordMessage(1, conversation.PriorityHigh, &billing))
	high := b.queryAt(2 * time.Minute)
	b.messages(3*time.Minute, keywordMessage(2, conversation.PriorityNormal, nil)) // would lower: nothing
	b.messages(4*time.Minute, keywordMessage(3, conversation.PriorityHigh, nil))   // the same: nothing
	b.messages(5*time.Minute, keywordMessage(4, conversation.PriorityUrgent, nil))
	urgent := b.queryAt(6 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, conversation.PriorityHigh, high.Priority)
	require.Nil(t, high.DepartmentID, "only a conversation the bot has moves to the rule's department")
	require.Equal(t, conversation.PhaseQueued, high.Phase)
	require.Equal(t, conversation.PriorityUrgent, urgent.Priority)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventPriorityChanged, conversation.EventPriorityChanged}, eventTypes(changes))
	require.Equal(t, conversation.ReasonKeywordRule, changes[0].Reason)
	require.Equal(t, conversation.ActorSystem, changes[0].Actor.Type)
	var data map[string]string
	require.NoError(t, json.Unmarshal(changes[0].Data, &data))
	require.Equal(t, keywordMessage(1, "", nil).Keyword.RuleID.String(), data["keyword_rule_id"])
	require.Equal(t, visitorMessage(1).MessageID.String(), data["message_id"])
}

// TestKeywordRuleHandsOffFromTheBot: in the bot phase a match takes the
// conversation to people, in the rule's department, whatever the
// priority; without a department it stays in its own.
func TestKeywordRuleHandsOffFromTheBot(t *testing.T) {
	t.Parallel()
	sales, billing := uuid.New(), uuid.New()
	initial := openState()
	initial.Phase = conversation.PhaseBot
	initial.DepartmentID = &sales
	initial.Priority = conversation.PriorityUrgent
	b := setup(t, initial)

	b.messages(time.Minute, keywordMessage(1, conversation.PriorityHigh, &billing))
	after := b.queryAt(2 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, conversation.PhaseQueued, after.Phase)
	require.Equal(t, &billing, after.DepartmentID)
	require.Equal(t, conversation.PriorityUrgent, after.Priority, "a rule never lowers the priority")
	require.Equal(t, []string{conversation.EventHandedOff}, eventTypes(b.store.Changes()))

	initial.DepartmentID = &sales
	b = setup(t, initial)
	b.messages(time.Minute, keywordMessage(1, conversation.PriorityNormal, nil))
	after = b.queryAt(2 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	require.Equal(t, conversation.PhaseQueued, after.Phase)
	require.Equal(t, &sales, after.DepartmentID)
}

// TestKeywordRuleOnResolvedConversation: a matching message written after
// the resolve reopens the conversation and raises its priority; one
// written before changes nothing.
func TestKeywordRuleOnResolvedConversation(t *testing.T) {
	t.Parallel()
	initial := resolvedState()
	initial.StatusSeq = 10
	initial.LastMessageSeq = 9
	b := setup(t, initial)
	b.messages(0, keywordMessage(9, conversation.PriorityUrgent, nil))
	b.execute()
	require.Empty(t, b.store.Changes(), "older than the resolve: nothing")

	b = setup(t, initial)
	b.messages(0, keywordMessage(11, conversation.PriorityUrgent, nil))
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventReopened, conversation.EventPriorityChanged}, eventTypes(changes))
	require.Equal(t, conversation.PriorityUrgent, changes[1].State.Priority)
}

func TestPriorityUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t, openState())

	bad := b.updateAt(time.Minute, workflows.UpdatePriority, conversation.PriorityRequest{Actor: operator(operatorA), Priority: "asap"})
	same := b.updateAt(2*time.Minute, workflows.UpdatePriority, conversation.PriorityRequest{Actor: operator(operatorA), Priority: conversation.PriorityNormal})
	low := b.updateAt(3*time.Minute, workflows.UpdatePriority, conversation.PriorityRequest{Actor: operator(operatorA), Priority: conversation.PriorityLow})
	b.updateAt(4*time.Minute, workflows.UpdateResolve, conversation.ResolveRequest{Actor: operator(operatorA), Resolution: "solved"})
	b.execute()

	require.NoError(t, b.env.GetWorkflowError())
	requireAppError(t, bad.rejected, workflows.ErrTypeInvalid)
	requireAppError(t, same.rejected, workflows.ErrTypeConflict)
	require.NoError(t, low.failure())
	require.Equal(t, conversation.PriorityLow, low.state.Priority)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventPriorityChanged, conversation.EventResolved}, eventTypes(changes))
	require.Empty(t, changes[0].Reason, "an operator's change has no reason")
}

package workflows_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/workflows"
)

var departmentID = uuid.MustParse("6f1c5f7e-0000-4000-8000-0000000000d1")

func queuedIn(dept uuid.UUID) conversation.State {
	s := openState()
	s.DepartmentID = &dept
	return s
}

func offerTo(op uuid.UUID, dept uuid.UUID) conversation.Offer {
	return conversation.Offer{ID: uuid.New(), DepartmentID: dept, OperatorID: op, Mode: "round_robin"}
}

// An offer from the outbox assigns a waiting conversation, taking the
// offer with the change; an offer for a conversation that moved on goes
// back; an offer taken back meanwhile changes nothing.
func TestOfferAssigns(t *testing.T) {
	t.Parallel()
	b := setup(t, queuedIn(departmentID))
	elsewhere := offerTo(operatorB, uuid.New()) // another department's
	first := offerTo(operatorA, departmentID)
	b.signalAt(time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{elsewhere}})
	b.signalAt(2*time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{first}})
	// Assigned now: a late second offer goes back.
	late := offerTo(operatorB, departmentID)
	b.signalAt(3*time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{late}})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventAssigned}, eventTypes(changes))
	require.Equal(t, conversation.ReasonDispatch, changes[0].Reason)
	require.Equal(t, &first.ID, changes[0].OfferID)
	require.Equal(t, &operatorA, changes[0].State.AssigneeID)
	require.Equal(t, conversation.PhaseAssigned, changes[0].State.Phase)
	require.JSONEq(t, `{"offer_id":"`+first.ID.String()+`","mode":"round_robin"}`, string(changes[0].Data))
	require.Equal(t, []uuid.UUID{elsewhere.ID, late.ID}, b.store.released)
}

func TestOfferTakenBackChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, queuedIn(departmentID))
	gone := offerTo(operatorA, departmentID)
	b.store.gone = map[uuid.UUID]bool{gone.ID: true}
	b.signalAt(time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{gone}})
	next := offerTo(operatorB, departmentID)
	b.signalAt(2*time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{next}})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventAssigned}, eventTypes(changes))
	require.Equal(t, &operatorB, changes[0].State.AssigneeID)
	require.Empty(t, b.store.released, "a taken-back offer is not released twice")
}

// A change that queues the conversation can bring its own offer back
// (an operator had room): the workflow assigns at once.
func TestOwnChangeOffer(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Phase, initial.AssigneeID = conversation.PhaseAssigned, &operatorA
	b := setup(t, initial)
	offer := offerTo(operatorB, departmentID)
	b.store.offer = func(ch conversation.Change) *conversation.Offer {
		if ch.EventType == conversation.EventUnassigned {
			return &offer
		}
		return nil
	}
	unassigned := b.updateAt(time.Second, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorA)})
	later := b.queryAt(time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, unassigned.failure())
	require.Equal(t, conversation.PhaseQueued, unassigned.state.Phase)
	require.Equal(t, []string{conversation.EventUnassigned, conversation.EventAssigned}, eventTypes(b.store.Changes()))
	require.Equal(t, &operatorB, later.AssigneeID)
}

// A reopen goes back to the assignee only when they are online.
func TestReopenToQueueWhenAssigneeOffline(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())
	b.store.offline = map[uuid.UUID]bool{operatorA: true}
	reopened := b.updateAt(0, workflows.UpdateReopen, conversation.ReopenRequest{Actor: operator(operatorB)})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, reopened.failure())
	require.Equal(t, conversation.PhaseQueued, reopened.state.Phase)
	require.Nil(t, reopened.state.AssigneeID)
}

func TestCustomerReopensToQueueWhenAssigneeOffline(t *testing.T) {
	t.Parallel()
	b := setup(t, resolvedState())
	b.store.offline = map[uuid.UUID]bool{operatorA: true}
	b.message(0, 8, conversation.ActorVisitor)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventReopened}, eventTypes(changes))
	require.Equal(t, conversation.PhaseQueued, changes[0].State.Phase)
	require.Nil(t, changes[0].State.AssigneeID)
}

// Offer mode: the conversation is offered (an event, a pending offer); the
// offered operator accepts (assigned, taking the offer) while someone else
// cannot; an unanswered offer expires at its timeout.
func TestOfferModeAcceptAndExpire(t *testing.T) {
	t.Parallel()
	b := setup(t, queuedIn(departmentID))
	first := offerTo(operatorA, departmentID)
	first.Mode, first.Timeout = "offer", 30*time.Second
	b.signalAt(time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{first}})
	pending := b.queryAt(2 * time.Second)
	// Unanswered: expired at 31 s. Offered again (the store's next offer).
	second := offerTo(operatorB, departmentID)
	second.Mode, second.Timeout = "offer", 30*time.Second
	b.signalAt(40*time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{second}})
	wrong := b.updateAt(50*time.Second, workflows.UpdateAcceptOffer, conversation.OfferAnswer{Actor: operator(operatorA)})
	accepted := b.updateAt(55*time.Second, workflows.UpdateAcceptOffer, conversation.OfferAnswer{Actor: operator(operatorB)})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NotNil(t, pending.Offer)
	require.Equal(t, operatorA, pending.Offer.OperatorID)
	require.Equal(t, startTime.Add(31*time.Second), pending.Offer.ExpiresAt)
	require.Error(t, wrong.failure(), "offered to someone else")
	require.NoError(t, accepted.failure())
	require.Equal(t, conversation.PhaseAssigned, accepted.state.Phase)
	require.Equal(t, &operatorB, accepted.state.AssigneeID)
	require.Nil(t, accepted.state.Offer)

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventOffered, conversation.EventOfferExpired, conversation.EventOffered, conversation.EventAssigned}, eventTypes(changes))
	require.Equal(t, &second.ID, changes[3].OfferID, "the assignment takes the offer")
	require.Nil(t, changes[0].OfferID, "an offer is not taken by being made")
}

func TestOfferModeDecline(t *testing.T) {
	t.Parallel()
	b := setup(t, queuedIn(departmentID))
	o := offerTo(operatorA, departmentID)
	o.Mode, o.Timeout = "offer", 30*time.Second
	b.signalAt(time.Second, workflows.SignalMessages, workflows.MessagesSignal{Offers: []conversation.Offer{o}})
	declined := b.updateAt(5*time.Second, workflows.UpdateDeclineOffer, conversation.OfferAnswer{Actor: operator(operatorA)})
	again := b.updateAt(6*time.Second, workflows.UpdateDeclineOffer, conversation.OfferAnswer{Actor: operator(operatorA)})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, declined.failure())
	require.Nil(t, declined.state.Offer)
	require.Equal(t, conversation.PhaseQueued, declined.state.Phase)
	require.Error(t, again.failure(), "nothing left to decline")
	require.Equal(t, []string{conversation.EventOffered, conversation.EventOfferDeclined}, eventTypes(b.store.Changes()),
		"no expiry after the decline")
}

// A conversation of an inbox with routing rules starts unrouted: the
// workflow routes it first (the rule's department, recorded on the
// event), and only then may dispatch take it.
func TestRoutesAtStart(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Unrouted = true
	b := setup(t, initial)
	billing, rule := uuid.New(), uuid.New()
	b.store.route = &activities.RouteResult{RuleID: &rule, RuleName: "Refunds", DepartmentID: &billing}
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventRouted}, eventTypes(changes))
	require.Equal(t, &billing, changes[0].State.DepartmentID)
	require.False(t, changes[0].State.Unrouted)
	require.JSONEq(t, `{"routing_rule_id":"`+rule.String()+`","routing_rule":"Refunds"}`, string(changes[0].Data))
}

// The unclaimed ladder: a conversation entering a queue with a ladder
// climbs it at its times (notify, raise, widen), each an event; claimed
// before a step, it climbs no further.
func TestUnclaimedLadder(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Phase, initial.AssigneeID = conversation.PhaseAssigned, &operatorA
	b := setup(t, initial)
	fallback := uuid.New()
	b.store.ladder = func(ch conversation.Change) *conversation.LadderConfig {
		if ch.EventType == conversation.EventUnassigned {
			return &conversation.LadderConfig{NotifyAfter: time.Minute, RaiseAfter: 2 * time.Minute, WidenAfter: 3 * time.Minute, FallbackID: &fallback}
		}
		return nil
	}
	b.updateAt(time.Second, workflows.UpdateAssign, conversation.AssignRequest{Actor: operator(operatorA)}) // back to the queue
	later := b.queryAt(3*time.Minute + 2*time.Second)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventUnassigned, conversation.EventEscalated, conversation.EventPriorityChanged, conversation.EventTransferred}, eventTypes(changes))
	require.Equal(t, conversation.ReasonUnclaimed, changes[1].Reason)
	require.JSONEq(t, `{"step":"notify","waited_seconds":60}`, string(changes[1].Data))
	require.Equal(t, startTime.Add(61*time.Second), changes[1].At)
	require.Equal(t, conversation.PriorityHigh, changes[2].State.Priority)
	require.Equal(t, &fallback, changes[3].State.DepartmentID)
	require.Equal(t, startTime.Add(181*time.Second), changes[3].At)
	require.Nil(t, later.Ladder, "the fallback has no ladder of its own here")
}

func TestUnclaimedLadderStopsWhenClaimed(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Ladder = conversation.LadderConfig{NotifyAfter: time.Minute, RaiseAfter: 2 * time.Minute}.Start(departmentID, startTime)
	b := setup(t, initial)
	b.updateAt(90*time.Second, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	require.Equal(t, []string{conversation.EventEscalated, conversation.EventClaimed}, eventTypes(b.store.Changes()))
}

// Reply within the department's limit: assigned while the customer waits,
// the conversation goes back to the queue at the deadline unless its
// operator replied.
func TestReplyWithinLimit(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.CustomerWaiting = true
	b := setup(t, initial)
	b.store.replyWithin = 2 * time.Minute
	b.updateAt(time.Second, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	later := b.queryAt(5 * time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventClaimed, conversation.EventUnassigned}, eventTypes(changes))
	require.Equal(t, conversation.ReasonNoReply, changes[1].Reason)
	require.Equal(t, startTime.Add(121*time.Second), changes[1].At)
	require.Equal(t, conversation.PhaseQueued, later.Phase)
	require.Nil(t, later.AssigneeID)
}

func TestReplyWithinLimitReplied(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.CustomerWaiting = true
	b := setup(t, initial)
	b.store.replyWithin = 2 * time.Minute
	b.updateAt(time.Second, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.messages(time.Minute, workflows.MessageSignal{MessageID: uuid.New(), Seq: 5, SenderType: conversation.ActorOperator,
		SenderID: &operatorA, CreatedAt: startTime.Add(time.Minute), Reasons: []string{conversation.SignalTurn}})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	require.Equal(t, []string{conversation.EventClaimed}, eventTypes(b.store.Changes()), "replied in time: it stays")
}

// A release from the outbox returns the conversation to the queue if the
// operator who went away still has it, and does nothing otherwise.
func TestReleaseFromAwayOperator(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Phase, initial.AssigneeID = conversation.PhaseAssigned, &operatorA
	b := setup(t, initial)
	b.signalAt(time.Second, workflows.SignalMessages, workflows.MessagesSignal{Releases: []workflows.Release{{OperatorID: operatorB, Reason: "operator_away"}}})
	b.signalAt(2*time.Second, workflows.SignalMessages, workflows.MessagesSignal{Releases: []workflows.Release{{OperatorID: operatorA, Reason: "operator_away"}}})
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventUnassigned}, eventTypes(changes), "only operator A's release counts")
	require.Equal(t, conversation.ReasonOperatorAway, changes[0].Reason)
	require.Nil(t, changes[0].State.AssigneeID)
}

package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/workflows"
)

func botState() conversation.State {
	s := openState()
	s.Phase = conversation.PhaseBot
	return s
}

func botInput(seq int64) workflows.MessageSignal {
	m := visitorMessage(seq)
	m.Reasons = []string{conversation.SignalTurn, conversation.SignalBotInput}
	return m
}

func kinds(steps []activities.BotStepInput) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Kind
	}
	return out
}

// TestBotStartsAndHearsItsInput: a conversation that starts with the bot
// takes the flow's first step, then one step per visitor message that is
// the flow's input, each named uniquely.
func TestBotStartsAndHearsItsInput(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.messages(time.Minute, botInput(1), visitorMessage(2)) // the second is no bot input
	b.messages(2*time.Minute, botInput(3), botInput(3))     // redelivered: once
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	steps := b.store.BotSteps()
	require.Equal(t, []string{activities.BotStart, activities.BotMessage, activities.BotMessage}, kinds(steps))
	require.Equal(t, botInput(1).MessageID, steps[1].MessageID)
	require.Equal(t, botInput(3).MessageID, steps[2].MessageID)
	names := map[string]bool{}
	for _, s := range steps {
		require.False(t, names[s.Step], "step %s named twice", s.Step)
		names[s.Step] = true
		require.Equal(t, conversationID, s.ConversationID)
	}
	require.Empty(t, b.store.Changes())
}

// TestBotHandoff: the flow hands off (fallback, to Billing, high): the
// conversation is queued there with the priority raised, one handed_off
// event with the flow's reason; the bot hears nothing after.
func TestBotHandoff(t *testing.T) {
	t.Parallel()
	billing := uuid.New()
	b := setup(t, botState())
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		if in.Kind == activities.BotMessage {
			return activities.BotStepResult{Await: "handed_off", Handoff: &activities.BotHandoff{
				Reason: "fallback", DepartmentID: &billing, Priority: conversation.PriorityHigh,
			}}, nil
		}
		return activities.BotStepResult{Await: "input"}, nil
	}
	b.messages(time.Minute, botInput(1))
	after := b.queryAt(2 * time.Minute)
	b.messages(3*time.Minute, botInput(2))
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, conversation.PhaseQueued, after.Phase)
	require.Equal(t, &billing, after.DepartmentID)
	require.Equal(t, conversation.PriorityHigh, after.Priority)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventHandedOff}, eventTypes(changes))
	require.Equal(t, "fallback", changes[0].Reason)
	require.Equal(t, conversation.ActorSystem, changes[0].Actor.Type)
	require.Len(t, b.store.BotSteps(), 2, "silent after the handoff")
}

// TestBotEndResolves: a flow that ends resolves the conversation (the run
// completes).
func TestBotEndResolves(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		if in.Kind == activities.BotMessage {
			return activities.BotStepResult{Await: "done", Replies: 1}, nil
		}
		return activities.BotStepResult{Await: "input"}, nil
	}
	b.messages(time.Minute, botInput(1))
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventResolved}, eventTypes(changes))
	require.Equal(t, conversation.ReasonFlowEnded, changes[0].Reason)
}

// TestBotWaitTimer: a wait node's timer fires at its time (time skipped)
// and is the flow's next input; a message that moves the flow on first
// cancels it.
func TestBotWaitTimer(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	var firedAt time.Time
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		switch in.Kind {
		case activities.BotStart:
			at := startTime.Add(10 * time.Minute)
			return activities.BotStepResult{Await: "timer", TimerToken: "wait#1", TimerAt: &at}, nil
		case activities.BotTimer:
			firedAt = b.env.Now()
			require.Equal(t, "wait#1", in.Token)
			at := b.env.Now().Add(time.Hour)
			return activities.BotStepResult{Await: "timer", TimerToken: "wait#2", TimerAt: &at}, nil
		}
		return activities.BotStepResult{Await: "input"}, nil // a message: no more waiting
	}
	b.messages(30*time.Minute, botInput(1)) // before wait#2 is due
	b.stopAt(3 * time.Hour)
	b.execute()
	b.requireStopped()

	require.Equal(t, startTime.Add(10*time.Minute), firedAt.UTC())
	require.Equal(t, []string{activities.BotStart, activities.BotTimer, activities.BotMessage}, kinds(b.store.BotSteps()),
		"wait#2 was cancelled by the message")
}

// TestBotHTTPRetriesThenFailure: an http node's call is retried as the
// node says; when every attempt failed the flow takes its failure edge.
func TestBotHTTPRetriesThenFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		if in.Kind == activities.BotStart {
			return activities.BotStepResult{Await: "http", HTTPNode: "lookup", HTTPTimeoutMS: 1000, HTTPRetries: 2}, nil
		}
		return activities.BotStepResult{Await: "input"}, nil
	}
	b.store.call = func(activities.BotCallInput) (activities.BotStepResult, error) {
		return activities.BotStepResult{}, errors.New("connection refused")
	}
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.Len(t, b.store.calls, 3, "one attempt and two retries")
	steps := b.store.BotSteps()
	require.Equal(t, []string{activities.BotStart, activities.BotHTTPFailed}, kinds(steps))
	require.Equal(t, "lookup", steps[1].Node)
	require.Contains(t, steps[1].Err, "connection refused")
}

// TestBotHTTPAnswer: a call that answers is the flow's next step.
func TestBotHTTPAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		return activities.BotStepResult{Await: "http", HTTPNode: "lookup", HTTPRetries: 0}, nil
	}
	b.store.call = func(activities.BotCallInput) (activities.BotStepResult, error) {
		return activities.BotStepResult{Await: "done", Replies: 1}, nil
	}
	b.execute()
	require.NoError(t, b.env.GetWorkflowError())
	require.Len(t, b.store.calls, 1)
	require.Equal(t, []string{conversation.EventResolved}, eventTypes(b.store.Changes()))
}

// TestBotStepFailureHandsOff: a bot that cannot take its step gives the
// conversation to people (reason error).
func TestBotStepFailureHandsOff(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.store.bot = func(activities.BotStepInput) (activities.BotStepResult, error) {
		return activities.BotStepResult{}, temporal.NewNonRetryableApplicationError("flow does not parse", "BadFlow", nil)
	}
	after := b.queryAt(time.Minute)
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()
	require.Equal(t, conversation.PhaseQueued, after.Phase)
	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventHandedOff}, eventTypes(changes))
	require.Equal(t, "error", changes[0].Reason)
}

// TestTakeOverSilencesTheBotAndHandBack: an operator claims a conversation
// the bot has (take over): the bot hears nothing more; handed back at a
// node, the flow resumes there.
func TestTakeOverSilencesTheBotAndHandBack(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	claimed := b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.messages(2*time.Minute, botInput(1))
	noNode := b.updateAt(3*time.Minute, workflows.UpdateHandBack, conversation.HandBackRequest{Actor: operator(operatorA)})
	back := b.updateAt(4*time.Minute, workflows.UpdateHandBack, conversation.HandBackRequest{Actor: operator(operatorA), Node: "menu"})
	again := b.updateAt(5*time.Minute, workflows.UpdateHandBack, conversation.HandBackRequest{Actor: operator(operatorA), Node: "menu"})
	b.messages(6*time.Minute, botInput(2))
	b.stopAt(time.Hour)
	b.execute()
	b.requireStopped()

	require.NoError(t, claimed.failure())
	requireAppError(t, noNode.rejected, workflows.ErrTypeInvalid)
	require.NoError(t, back.failure())
	require.Equal(t, conversation.PhaseBot, back.state.Phase)
	require.Nil(t, back.state.AssigneeID)
	requireAppError(t, again.rejected, workflows.ErrTypeConflict)
	steps := b.store.BotSteps()
	require.Equal(t, []string{activities.BotStart, activities.BotResume, activities.BotMessage}, kinds(steps),
		"nothing while people had it")
	require.Equal(t, "menu", steps[1].Node)
	require.Equal(t, []string{conversation.EventClaimed, conversation.EventHandedBack}, eventTypes(b.store.Changes()))
}

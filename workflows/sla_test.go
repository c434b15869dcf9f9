package workflows_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/workflows"
)

// slaPolicies serves SelectSLA from a policy that a test may replace (an
// edit: the version moves).
type slaPolicies struct {
	mu      sync.Mutex
	policy  *sla.Policy
	version int64
}

func (p *slaPolicies) set(policy *sla.Policy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.policy = policy
	p.version++
}

func (p *slaPolicies) selectSLA(in activities.SelectSLAInput) activities.SelectSLAResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.KnownVersion != nil && *in.KnownVersion == p.version {
		return activities.SelectSLAResult{Unchanged: true}
	}
	return activities.SelectSLAResult{Selection: sla.Selection{Policy: p.policy, Version: p.version}}
}

func withSLA(b *testBundle, policy *sla.Policy) *slaPolicies {
	p := &slaPolicies{}
	p.set(policy)
	b.store.slaSel = p.selectSLA
	return p
}

// slaEvents lists what the workflow recorded, as "kind:metric@minutes".
func slaEvents(b *testBundle) ([]string, []time.Time) {
	var out []string
	var at []time.Time
	for _, r := range b.store.SLARecords() {
		for _, e := range r.Events {
			out = append(out, e.Kind+":"+e.Metric)
			at = append(at, e.At)
		}
		for _, d := range r.Due {
			out = append(out, "step"+string(rune('0'+d.Index))+":"+d.Metric)
			at = append(at, d.At)
		}
	}
	return out, at
}

func turn(b *testBundle, d time.Duration, seq int64, sender string, createdAt time.Time) {
	b.signalAt(d, workflows.SignalMessage, workflows.MessageSignal{
		MessageID: uuid.NewSHA1(conversationID, []byte{byte(seq)}), Seq: seq, SenderType: sender,
		CreatedAt: createdAt, Reasons: []string{conversation.SignalTurn},
	})
}

// TestSLABreachAndLadder: an assigned conversation's first response warns
// at 80 % and breaches at its deadline to the second; the ladder notifies
// at the warning (with the record), raises the priority at the breach and
// gives the conversation back to the queue five minutes later, each step
// once, each a change with its reason.
func TestSLABreachAndLadder(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Phase, initial.AssigneeID, initial.CustomerWaiting = conversation.PhaseAssigned, &operatorA, true
	b := setup(t, initial)
	withSLA(b, &sla.Policy{
		ID: uuid.New(), Name: "Standard", Enabled: true, WarnAtPercent: 80,
		Targets: []sla.Target{{Metric: sla.FirstResponse, Seconds: 600}, {Metric: sla.Resolution, Seconds: 7200}},
		Ladder: []sla.Step{
			{Metric: sla.FirstResponse, At: sla.AtWarning, Actions: []sla.Action{{Kind: sla.ActionNotifyAssignee}}},
			{Metric: sla.FirstResponse, At: sla.AtBreach, Actions: []sla.Action{{Kind: sla.ActionRaisePriority, Priority: conversation.PriorityUrgent}}},
			{Metric: sla.FirstResponse, At: sla.AtBreach, AfterSeconds: 300, Actions: []sla.Action{{Kind: sla.ActionReassign}}},
		},
	})
	b.stopAt(50 * time.Minute)
	b.execute()
	b.requireStopped()

	kinds, at := slaEvents(b)
	require.Equal(t, []string{
		"activated:first_response", "activated:resolution",
		"warned:first_response", "step0:first_response",
		"breached:first_response", "step1:first_response",
		"step2:first_response",
	}, kinds)
	require.Equal(t, startTime.Add(8*time.Minute), at[2])
	require.Equal(t, startTime.Add(10*time.Minute), at[4], "breached_at is the deadline")
	require.Equal(t, startTime.Add(15*time.Minute), at[6])

	changes := b.store.Changes()
	require.Equal(t, []string{conversation.EventPriorityChanged, conversation.EventUnassigned}, eventTypes(changes))
	for _, ch := range changes {
		require.Equal(t, conversation.ReasonSLAEscalation, ch.Reason)
	}
	require.Equal(t, conversation.PriorityUrgent, changes[0].State.Priority)
	require.Equal(t, startTime.Add(10*time.Minute), changes[0].At)
	require.Equal(t, startTime.Add(15*time.Minute), changes[1].At)
	require.JSONEq(t, `{"metric":"first_response","cycle":1,"step":2,"moment":"breach"}`, string(changes[1].Data))

	last := b.store.SLARecords()[len(b.store.SLARecords())-1]
	require.NotNil(t, last.Summary)
	require.True(t, last.Summary.Breached, "the queue shows the breach")
}

// TestSLATurnsAndSnooze: the first operator reply meets first response at
// the message's instant; the customer's next message starts a
// next-response cycle; a snooze pauses it and the wake resumes it, so it
// breaches later by the time it slept.
func TestSLATurnsAndSnooze(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.Phase, initial.AssigneeID, initial.CustomerWaiting = conversation.PhaseAssigned, &operatorA, true
	b := setup(t, initial)
	withSLA(b, &sla.Policy{
		ID: uuid.New(), Name: "Chat", Enabled: true,
		Targets: []sla.Target{{Metric: sla.FirstResponse, Seconds: 600}, {Metric: sla.NextResponse, Seconds: 300}},
		Pauses:  sla.Pauses{Snoozed: true},
	})
	turn(b, 2*time.Minute+time.Second, 5, conversation.ActorOperator, startTime.Add(2*time.Minute)) // arrives a second late
	turn(b, 5*time.Minute, 6, conversation.ActorVisitor, startTime.Add(5*time.Minute))
	until := startTime.Add(time.Hour)
	b.updateAt(6*time.Minute, workflows.UpdateSnooze, conversation.SnoozeRequest{Actor: operator(operatorA), Until: &until})
	b.stopAt(70 * time.Minute)
	b.execute()
	b.requireStopped()

	kinds, at := slaEvents(b)
	require.Equal(t, []string{
		"activated:first_response",
		"fulfilled:first_response",
		"activated:next_response",
		"paused:next_response",
		"resumed:next_response",
		"breached:next_response",
	}, kinds)
	require.Equal(t, startTime.Add(2*time.Minute), at[1], "met_at is the reply's own instant")
	require.Equal(t, startTime.Add(time.Hour), at[4], "the wake")
	require.Equal(t, startTime.Add(time.Hour+4*time.Minute), at[5], "1 minute counted before the snooze, 4 after")
}

// TestSLAPolicyEdit: a policy edited while a clock runs reaches it when it
// next matters: the warning timer finds the new version and measures the
// clock against the new target instead of warning.
func TestSLAPolicyEdit(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.CustomerWaiting = true
	b := setup(t, initial)
	policy := sla.Policy{ID: uuid.New(), Name: "Chat", Enabled: true, WarnAtPercent: 50,
		Targets: []sla.Target{{Metric: sla.FirstResponse, Seconds: 600}}}
	p := withSLA(b, &policy)
	b.env.RegisterDelayedCallback(func() {
		edited := policy
		edited.Targets = []sla.Target{{Metric: sla.FirstResponse, Seconds: 1800}}
		p.set(&edited)
	}, 2*time.Minute)
	b.stopAt(40 * time.Minute)
	b.execute()
	b.requireStopped()

	kinds, at := slaEvents(b)
	require.Equal(t, []string{"activated:first_response", "warned:first_response", "breached:first_response"}, kinds)
	require.Equal(t, startTime.Add(15*time.Minute), at[1], "50 % of the edited 30 minutes")
	require.Equal(t, startTime.Add(30*time.Minute), at[2])
}

// TestSLAStartsAtHandoff: no clock runs while the bot has the
// conversation; they start at the handoff.
func TestSLAStartsAtHandoff(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	b.store.bot = func(in activities.BotStepInput) (activities.BotStepResult, error) {
		if in.Kind == activities.BotMessage {
			return activities.BotStepResult{Await: "handed_off", Handoff: &activities.BotHandoff{Reason: "asked_for_human"}}, nil
		}
		return activities.BotStepResult{Await: "input"}, nil
	}
	withSLA(b, &sla.Policy{ID: uuid.New(), Name: "Chat", Enabled: true, Targets: []sla.Target{{Metric: sla.FirstResponse, Seconds: 600}}})
	b.messages(3*time.Minute, botInput(1))
	b.stopAt(20 * time.Minute)
	b.execute()
	b.requireStopped()
	kinds, at := slaEvents(b)
	require.Equal(t, []string{"activated:first_response", "breached:first_response"}, kinds)
	require.Equal(t, startTime.Add(3*time.Minute), at[0])
	require.Equal(t, startTime.Add(13*time.Minute), at[1])
}

// TestSLAPriorityRaised: raising the priority measures the running clock
// against the tighter target from then on, keeping what it counted.
func TestSLAPriorityRaised(t *testing.T) {
	t.Parallel()
	initial := queuedIn(departmentID)
	initial.CustomerWaiting = true
	b := setup(t, initial)
	withSLA(b, &sla.Policy{ID: uuid.New(), Name: "Chat", Enabled: true, WarnAtPercent: 80, Targets: []sla.Target{
		{Metric: sla.FirstResponse, Seconds: 1800}, {Metric: sla.FirstResponse, Priority: conversation.PriorityHigh, Seconds: 10},
	}})
	b.updateAt(4*time.Second, workflows.UpdatePriority, conversation.PriorityRequest{Actor: operator(operatorA), Priority: conversation.PriorityHigh})
	b.stopAt(time.Minute)
	b.execute()
	b.requireStopped()
	kinds, at := slaEvents(b)
	require.Equal(t, []string{"activated:first_response", "warned:first_response", "breached:first_response"}, kinds)
	require.Equal(t, startTime.Add(8*time.Second), at[1])
	require.Equal(t, startTime.Add(10*time.Second), at[2])
	require.Equal(t, 3, b.store.slaSelects,
		"the start and the two timers' version checks: no policy's conditions name a priority, so the run's own policy gives the new targets")
}

// TestSLABackFromTheBotReads: a conversation given back to its bot has
// its clocks cancelled; taken over again after its policy changed, its new
// resolution cycle runs under the policy as it is now.
func TestSLABackFromTheBotReads(t *testing.T) {
	t.Parallel()
	b := setup(t, botState())
	p := withSLA(b, &sla.Policy{ID: uuid.New(), Name: "Old", Enabled: true, Targets: []sla.Target{{Metric: sla.Resolution, Seconds: 3600}}})
	b.updateAt(time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.updateAt(3*time.Minute, workflows.UpdateHandBack, conversation.HandBackRequest{Actor: operator(operatorA), Node: "menu"})
	b.env.RegisterDelayedCallback(func() {
		p.set(&sla.Policy{ID: uuid.New(), Name: "New", Enabled: true, Targets: []sla.Target{{Metric: sla.Resolution, Seconds: 600}}})
	}, 4*time.Minute)
	b.updateAt(5*time.Minute, workflows.UpdateClaim, conversation.ClaimRequest{Actor: operator(operatorA), OperatorID: operatorA})
	b.stopAt(30 * time.Minute)
	b.execute()
	b.requireStopped()
	kinds, at := slaEvents(b)
	require.Equal(t, []string{"activated:resolution", "cancelled:resolution", "activated:resolution", "breached:resolution"}, kinds)
	require.Equal(t, startTime.Add(3*time.Minute), at[1])
	require.Equal(t, startTime.Add(15*time.Minute), at[3], "the new policy's 10 minutes from the take-over")
	require.Equal(t, "New", b.store.SLARecords()[2].PolicyName)
}

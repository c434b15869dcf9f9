package workflows

// Replay note: ConversationWorkflow runs for the whole life of a
// conversation and is replayed from its history on every worker restart.
// Guard every change to its logic with workflow.GetVersion.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/sla"
)

// a is the activities' receiver for naming them: workflows execute
// a.PersistChange and the SDK calls the method of that name on the
// worker's registered *activities.Activities.
var a *activities.Activities

// activityOptions: a lifecycle change must eventually persist, also when
// PostgreSQL is down for a while, so attempts are unlimited and the backoff
// is capped low enough that the change lands soon after it is back.
var activityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Second,
		MaximumAttempts:    0, // unlimited
	},
}

// localActivitiesChange is the GetVersion id of running the load and the
// persist as local activities: in the worker, within the workflow task
// that asks for them, so a change (a wake, a claim) costs one workflow task
// and no activity task; the server records a marker instead of scheduling,
// starting and completing an activity. Runs recorded before keep the
// activity tasks they have in their history.
const localActivitiesChange = "local-activities"

// localActivityOptions: as activityOptions, a change retries until it
// lands (for a month: a conversation's change that cannot land for longer
// fails its update or is logged, as any other failure); the SDK turns long
// backoffs into timers.
var localActivityOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	// Retries included; the default (StartToCloseTimeout) would give up
	// after 10 s of PostgreSQL being away.
	ScheduleToCloseTimeout: 30 * 24 * time.Hour,
	RetryPolicy:            activityOptions.RetryPolicy,
}

// execute runs one of the conversation's activities: as a local activity,
// or, in a run recorded before that change, as an activity task.
func execute(ctx workflow.Context, activity any, arg any) workflow.Future {
	if workflow.GetVersion(ctx, localActivitiesChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions), activity, arg)
	}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localActivityOptions), activity, arg)
}

// ConversationWorkflow owns one conversation's lifecycle: it is the only
// writer of its status, phase, assignee and snooze. Operators change it with
// updates (claim, assign, snooze, wake, resolve, reopen), the outbox relay
// tells it about messages with signals, and a durable timer ends a snooze.
// Every change is persisted by the PersistChange activity before the update
// returns. A run ends when the conversation is resolved; a reopen starts a
// new run with the same workflow id.
func ConversationWorkflow(ctx workflow.Context, in ConversationInput) error {
	c := &workflowRun{
		in:       in,
		logger:   workflow.GetLogger(ctx),
		lock:     workflow.NewMutex(ctx),
		messages: workflow.GetSignalChannel(ctx, SignalMessage),
		batches:  workflow.GetSignalChannel(ctx, SignalMessages),
		started:  workflow.GetSignalChannel(ctx, SignalStarted),
	}
	if in.State != nil {
		// A continued run has its state at once, so validators judge the
		// updates that were waiting for it.
		c.setState(*in.State)
	}
	c.sla = in.SLA
	// Handlers before any blocking call: updates sent with the start
	// (UpdateWithStart) are delivered before a fresh run has loaded its
	// state; their validators judge only the input and the handlers wait.
	if err := c.registerHandlers(ctx); err != nil {
		return err
	}
	if !c.loaded {
		if err := c.load(ctx); err != nil {
			return err
		}
	}
	return c.run(ctx)
}

// workflowRun is one run of ConversationWorkflow. Everything a later run
// needs is in state; the other fields are rebuilt by each run.
type workflowRun struct {
	in     ConversationInput
	logger log.Logger

	state  conversation.State
	loaded bool

	// lock serialises every mutation of state: update handlers and the main
	// loop both change it, and a change is persisted (a blocking activity)
	// before it becomes the state.
	lock workflow.Mutex

	messages workflow.ReceiveChannel
	batches  workflow.ReceiveChannel
	started  workflow.ReceiveChannel

	// The snooze timer: a context of its own so a moved deadline cancels it.
	timer       workflow.Future
	timerAt     time.Time
	cancelTimer workflow.CancelFunc
	// expiredAt is a deadline whose timer fired but whose wake could not be
	// persisted; it is not armed again (that would spin).
	expiredAt *time.Time

	// The bot's wait timer and http call (bot.go).
	botTimer       workflow.Future
	botTimerToken  string
	cancelBotTimer workflow.CancelFunc
	call           workflow.Future
	callNode       string

	// offers are dispatch decisions the workflow's own changes brought
	// back, to be taken (dispatch.go).
	offers []conversation.Offer
	// The pending offer's expiry (offer mode), the unclaimed ladder's
	// next step and the reply deadline (dispatch.go, ladder.go).
	offerTimer, ladderTimer, replyTimer deadline

	// sla is the conversation's SLA clocks (sla.go); nil until people
	// have it, or in a run recorded before them. slaTimer is on the
	// earliest thing they have due.
	sla      *sla.Tracker
	slaTimer deadline
	// slaMoved: the clocks changed since the main loop last set the
	// timer (a handler changed them after the loop had moved on).
	slaMoved bool
}

// load reads the conversation's lifecycle from PostgreSQL.
func (c *workflowRun) load(ctx workflow.Context) error {
	in := activities.LoadConversationInput{WorkspaceID: c.in.WorkspaceID, ConversationID: c.in.ConversationID}
	var state conversation.State
	if err := execute(ctx, a.LoadConversation, in).Get(ctx, &state); err != nil {
		return fmt.Errorf("loading conversation %s: %w", c.in.ConversationID, err)
	}
	c.setState(state)
	return nil
}

func (c *workflowRun) setState(state conversation.State) {
	c.state = state
	if c.state.WorkspaceID == uuid.Nil {
		c.state.WorkspaceID = c.in.WorkspaceID
	}
	if c.state.ConversationID == uuid.Nil {
		c.state.ConversationID = c.in.ConversationID
	}
	c.loaded = true
}

// run is the main loop: it handles message signals and the snooze timer
// until the conversation is resolved or Temporal suggests continuing as new.
func (c *workflowRun) run(ctx workflow.Context) error {
	if c.botStarting() {
		if err := c.startBot(ctx); err != nil {
			return err
		}
	}
	if c.state.Unrouted {
		if err := c.route(ctx); err != nil {
			return err
		}
	}
	if err := c.startClocks(ctx); err != nil {
		return err
	}
	for {
		c.syncTimer(ctx)
		c.syncBotTimer(ctx)
		c.syncOfferTimer(ctx)
		c.syncLadderTimer(ctx)
		c.syncReplyTimer(ctx)
		c.slaMoved = false
		c.syncSLATimer(ctx)

		if c.state.Status == conversation.StatusResolved {
			if err := c.settle(ctx); err != nil {
				return err
			}
			if c.state.Status == conversation.StatusResolved {
				c.logger.Info("Conversation resolved; run complete", "Version", c.state.Version)
				return nil
			}
			continue // a customer message or a reopen update opened it again
		}

		// Not while a bot's call is under way: its result belongs to this run.
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && c.call == nil {
			if err := c.settle(ctx); err != nil {
				return err
			}
			if c.state.Status == conversation.StatusResolved {
				continue // complete rather than carry a resolved run over
			}
			c.logger.Info("Continuing as new", "Version", c.state.Version)
			next := ContinueAsNewInput(c.in, c.state)
			next.SLA = c.sla
			return workflow.NewContinueAsNewError(ctx, ConversationWorkflow, next)
		}

		version := c.state.Version
		err := workflow.Await(ctx, func() bool {
			return c.messages.Len() > 0 ||
				c.batches.Len() > 0 ||
				c.started.Len() > 0 ||
				(c.timer != nil && c.timer.IsReady()) ||
				(c.botTimer != nil && c.botTimer.IsReady()) ||
				c.offerTimer.ready() || c.ladderTimer.ready() || c.replyTimer.ready() || c.slaTimer.ready() || c.slaMoved ||
				(c.call != nil && c.call.IsReady()) ||
				len(c.offers) > 0 ||
				c.state.Version != version ||
				(workflow.GetInfo(ctx).GetContinueAsNewSuggested() && c.call == nil)
		})
		if err != nil {
			return err
		}
		c.drainStarted()
		if _, err := c.drainMessages(ctx); err != nil {
			return err
		}
		if _, err := c.drainOffers(ctx); err != nil {
			return err
		}
		if err := c.handleTimer(ctx); err != nil {
			return err
		}
		if err := c.handleBotTimer(ctx); err != nil {
			return err
		}
		if err := c.handleOfferTimer(ctx); err != nil {
			return err
		}
		if err := c.handleLadderTimer(ctx); err != nil {
			return err
		}
		if err := c.handleReplyTimer(ctx); err != nil {
			return err
		}
		if err := c.handleSLATimer(ctx); err != nil {
			return err
		}
		if err := c.handleCall(ctx); err != nil {
			return err
		}
	}
}

// ContinueAsNewInput is the input of the run that continues a run with
// input in whose state is now state.
func ContinueAsNewInput(in ConversationInput, state conversation.State) ConversationInput {
	in.State = &state
	return in
}

// settle waits until no update handler runs and no signal is buffered, so a
// run ends (resolved, or continuing as new) without losing any of them.
// Processing a signal may persist a change, during which new updates can
// arrive, hence the loop.
func (c *workflowRun) settle(ctx workflow.Context) error {
	for {
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		c.drainStarted()
		n, err := c.drainMessages(ctx)
		if err != nil {
			return err
		}
		// An offer left behind would hold its conversation out of the
		// queue: take it before the run ends.
		m, err := c.drainOffers(ctx)
		if err != nil {
			return err
		}
		if n+m == 0 && workflow.AllHandlersFinished(ctx) {
			return nil
		}
	}
}

func (c *workflowRun) drainStarted() {
	var s StartedSignal
	for c.started.ReceiveAsync(&s) {
		// Nothing to do: the signal only makes sure this run exists.
		c.logger.Debug("Conversation started signal", "CreatedAt", s.CreatedAt)
		s = StartedSignal{}
	}
}

// drainMessages handles every buffered message signal, batches and
// single ones, and says how many messages there were.
func (c *workflowRun) drainMessages(ctx workflow.Context) (int, error) {
	n := 0
	for {
		var batch MessagesSignal
		if !c.batches.ReceiveAsync(&batch) {
			break
		}
		for _, m := range batch.Messages {
			n++
			if err := c.onMessage(ctx, m); err != nil {
				return n, err
			}
		}
		for _, o := range batch.Offers {
			n++
			if err := c.onOffer(ctx, o); err != nil {
				return n, err
			}
		}
		for _, r := range batch.Releases {
			n++
			if err := c.onRelease(ctx, r); err != nil {
				return n, err
			}
		}
	}
	for {
		var m MessageSignal
		if !c.messages.ReceiveAsync(&m) {
			return n, nil
		}
		n++
		if err := c.onMessage(ctx, m); err != nil {
			return n, err
		}
	}
}

// onMessage counts a message once, and lets a customer's reply wake a
// snoozed conversation or reopen a resolved one. It returns an error only
// when the workflow is being cancelled; a change that fails to persist is
// logged, the message stays counted.
func (c *workflowRun) onMessage(ctx workflow.Context, m MessageSignal) error {
	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()

	// The relay delivers at least once, mostly in seq order. Runs recorded
	// before late messages were accepted treat everything at or below the
	// high-water mark as a duplicate.
	if workflow.GetVersion(ctx, lateMessagesChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if m.Seq <= c.state.LastMessageSeq {
			c.logger.Debug("Duplicate message signal ignored", "Seq", m.Seq, "LastMessageSeq", c.state.LastMessageSeq)
			return nil
		}
		c.state.LastMessageSeq = m.Seq
	} else if !c.state.AcceptMessage(m.Seq, m.RelayEpoch) {
		c.logger.Debug("Duplicate message signal ignored", "Seq", m.Seq, "LastMessageSeq", c.state.LastMessageSeq)
		return nil
	}
	c.state.MessagesSeen++
	c.heard(m)
	if !m.CreatedAt.IsZero() {
		// How long the message took to reach the workflow: the durable
		// path's lag (the relay, Temporal, the worker's queue).
		workflow.GetMetricsHandler(ctx).Timer(MetricMessageToWorkflow).Record(workflow.Now(ctx).Sub(m.CreatedAt))
	}

	if m.SenderType != conversation.ActorVisitor {
		return c.slaHeard(ctx, m)
	}
	if err := c.customerWrote(ctx, m); err != nil {
		return err
	}
	if err := c.keywordMatched(ctx, m); err != nil {
		return err
	}
	if err := c.botMessage(ctx, m); err != nil {
		return err
	}
	return c.slaHeard(ctx, m)
}

// customerWrote lets a customer's message wake a snoozed conversation or
// reopen a resolved one.
func (c *workflowRun) customerWrote(ctx workflow.Context, m MessageSignal) error {
	if c.state.Status != conversation.StatusSnoozed && c.state.Status != conversation.StatusResolved {
		return nil
	}
	// Order is by seq, not by arrival: a message written before the event
	// that snoozed or resolved the conversation (a lower seq), however late
	// it arrives, wakes and reopens nothing.
	if workflow.GetVersion(ctx, orderBySeqChange, workflow.DefaultVersion, 1) != workflow.DefaultVersion &&
		m.Seq < c.state.StatusSeq {
		c.logger.Info("Customer message older than the status ignored", "Seq", m.Seq, "StatusSeq", c.state.StatusSeq)
		return nil
	}
	system := conversation.Actor{Type: conversation.ActorSystem}
	var err error
	if c.state.Status == conversation.StatusSnoozed {
		_, err = c.commitLocked(ctx, system, conversation.ReasonCustomerReplied, wake)
	} else {
		var away bool
		if away, err = c.assigneeAway(ctx); err == nil {
			_, err = c.commitLocked(ctx, system, conversation.ReasonCustomerReplied, func(s *conversation.State, now time.Time) string {
				if away {
					s.AssigneeID = nil // to the queue: dispatch finds someone online
				}
				return reopen(s, now)
			})
		}
	}
	return c.logged(err, "Customer reply did not change the conversation", m.Seq)
}

// keywordMatched applies the workspace keyword rule a customer's message
// matched: the conversation's priority rises to the rule's (never falls),
// and a conversation the bot has goes to people, in the rule's department
// when it names one. A resolved conversation (the message was older than
// the resolve) is left alone.
func (c *workflowRun) keywordMatched(ctx workflow.Context, m MessageSignal) error {
	k := m.Keyword
	if k == nil || !slices.Contains(m.Reasons, conversation.SignalKeywordRule) ||
		c.state.Status == conversation.StatusResolved {
		return nil
	}
	raise := conversation.PriorityRank(k.Priority) > conversation.PriorityRank(c.state.Priority)
	handoff := c.state.Phase == conversation.PhaseBot
	if !raise && !handoff {
		return nil
	}
	// Built by hand: workflowcheck cannot see that json.Marshal of a struct
	// is deterministic (its encoders iterate maps).
	data := json.RawMessage(fmt.Sprintf(`{"keyword_rule_id":%q,"message_id":%q}`, k.RuleID, m.MessageID))
	_, err := c.commitDataLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonKeywordRule, data,
		func(s *conversation.State, _ time.Time) string {
			if raise {
				s.Priority = k.Priority
			}
			if !handoff {
				return conversation.EventPriorityChanged
			}
			s.Phase = conversation.PhaseQueued
			if k.DepartmentID != nil {
				dept := *k.DepartmentID
				s.DepartmentID = &dept
			}
			return conversation.EventHandedOff
		})
	return c.logged(err, "Keyword rule did not change the conversation", m.Seq)
}

// logged logs a change a message asked for that did not persist, and
// returns only cancellation: the message stays counted.
func (c *workflowRun) logged(err error, msg string, seq int64) error {
	if err == nil {
		return nil
	}
	if temporal.IsCanceledError(err) {
		return err
	}
	c.logger.Error(msg, "Seq", seq, "Error", err)
	return nil
}

// orderBySeqChange is the GetVersion id of judging a customer message by
// its seq against conversation.State.StatusSeq.
const orderBySeqChange = "order-by-seq"

// MetricMessageToWorkflow is the timer of a message's way from its commit
// to its workflow (exported as switchboard_message_to_workflow_seconds).
const MetricMessageToWorkflow = "switchboard_message_to_workflow"

// lateMessagesChange is the GetVersion id of accepting a message below the
// high-water mark whose seq was never seen (conversation.State.MessageGaps).
const lateMessagesChange = "late-messages"

// syncTimer keeps the snooze timer on the current deadline: none unless
// snoozed until a time, and a moved deadline cancels the old timer.
func (c *workflowRun) syncTimer(ctx workflow.Context) {
	var want *time.Time
	if c.state.Status == conversation.StatusSnoozed && c.state.SnoozedUntil != nil {
		want = c.state.SnoozedUntil
	}
	if c.timer != nil && (want == nil || !want.Equal(c.timerAt)) {
		c.cancelTimer()
		c.timer, c.cancelTimer = nil, nil
	}
	if want == nil || c.timer != nil || (c.expiredAt != nil && c.expiredAt.Equal(*want)) {
		return
	}
	c.expiredAt = nil
	tctx, cancel := workflow.WithCancel(ctx)
	// A deadline already past gives a timer that is ready at once.
	c.timer = workflow.NewTimerWithOptions(tctx, want.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: "snooze"})
	c.timerAt = *want
	c.cancelTimer = cancel
}

// handleTimer wakes the conversation when the snooze timer fired.
func (c *workflowRun) handleTimer(ctx workflow.Context) error {
	if c.timer == nil || !c.timer.IsReady() {
		return nil
	}
	timer, at := c.timer, c.timerAt
	c.timer, c.cancelTimer = nil, nil
	if err := timer.Get(ctx, nil); err != nil {
		return nil // cancelled: the deadline moved
	}

	if err := c.lock.Lock(ctx); err != nil {
		return err
	}
	defer c.lock.Unlock()
	// An update may have moved or ended the snooze while this waited.
	if c.state.Status != conversation.StatusSnoozed || c.state.SnoozedUntil == nil || !c.state.SnoozedUntil.Equal(at) {
		return nil
	}
	if _, err := c.commitLocked(ctx, conversation.Actor{Type: conversation.ActorSystem}, conversation.ReasonSnoozeExpired, wake); err != nil {
		if temporal.IsCanceledError(err) {
			return err
		}
		c.logger.Error("Snooze expired but the wake did not persist", "SnoozedUntil", at, "Error", err)
		c.expiredAt = &at
	}
	return nil
}

// commitLocked applies mutate to a copy of the state, persists the result
// as one change, and only then makes it the state; on failure the state
// stays as it was. c.lock must be held.
//
// A failed change's version is not reused: the activity may have written
// it before failing, and the next change must still be newer than the row.
func (c *workflowRun) commitLocked(ctx workflow.Context, actor conversation.Actor, reason string, mutate func(s *conversation.State, now time.Time) string) (conversation.State, error) {
	return c.commitDataLocked(ctx, actor, reason, nil, mutate)
}

// commitDataLocked is commitLocked with data for the event log.
func (c *workflowRun) commitDataLocked(ctx workflow.Context, actor conversation.Actor, reason string, data json.RawMessage, mutate func(s *conversation.State, now time.Time) string) (conversation.State, error) {
	return c.commitChangeLocked(ctx, conversation.Change{Actor: actor, Reason: reason, Data: data}, mutate)
}

// commitChangeLocked is commitLocked with the change's actor, reason, data
// and offer given in change. A dispatch offer the change led to is kept
// for the main loop to take.
func (c *workflowRun) commitChangeLocked(ctx workflow.Context, change conversation.Change, mutate func(s *conversation.State, now time.Time) string) (conversation.State, error) {
	now := workflow.Now(ctx)
	next := c.state
	eventType := mutate(&next, now)
	if next.Status != conversation.StatusOpen || next.Phase != conversation.PhaseQueued {
		next.Offer = nil // no longer waiting: nothing to accept
	}
	if eventType != conversation.EventRouted && next.Phase != conversation.PhaseBot {
		// Whatever moved it first (a claim, a keyword rule, the handoff)
		// routed it: dispatch may take it from here.
		next.Unrouted = false
	}
	next.Version++
	change.State, change.EventType, change.At = next, eventType, now
	reason := change.Reason

	var res activities.PersistResult
	if err := execute(ctx, a.PersistChange, change).Get(ctx, &res); err != nil {
		c.state.Version = next.Version
		return c.state, fmt.Errorf("persisting %s of conversation %s: %w", eventType, c.state.ConversationID, err)
	}
	if res.StatusSeq > 0 {
		next.StatusSeq = res.StatusSeq
	}
	if res.Offer != nil {
		c.offers = append(c.offers, *res.Offer)
	}
	next.Ladder = nextLadder(&next, res.Ladder, now)
	next.ReplyBy = nextReplyBy(&next, res.ReplyWithin, now)
	prev := c.state
	c.state = next
	c.logger.Info("Conversation changed", "EventType", eventType, "Version", next.Version, "Reason", reason, "EventSeq", res.Seq)
	if err := c.slaChanged(ctx, &prev, &next); err != nil {
		return c.state, err
	}
	return c.state, nil
}

// command is one lifecycle update: validate checks its input whatever the
// state, check its precondition on the state, apply makes the change.
type command[Req any] struct {
	name     string
	actor    func(Req) conversation.Actor
	reason   string
	validate func(now time.Time, req Req) error
	check    func(s *conversation.State, req Req) error
	apply    func(s *conversation.State, now time.Time, req Req) string
	// after, if set, runs once the change persisted, under the lock.
	after func(ctx workflow.Context, c *workflowRun, req Req) error
	// takes, if set, names the dispatch offer the change takes (it is
	// made only while the offer stands).
	takes func(s *conversation.State) *uuid.UUID
	// data, if set, is what the event log records beside the change.
	data func(req Req) json.RawMessage
	// prepare, if set, runs under the lock before the change and may
	// return a step that runs before apply (what apply cannot know from
	// the state, read by an activity).
	prepare func(ctx workflow.Context, c *workflowRun) (func(s *conversation.State), error)
}

func (c *workflowRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (conversation.State, error) {
		if !c.loaded {
			return conversation.State{}, errors.New("conversation state is not loaded yet")
		}
		return c.state, nil
	}); err != nil {
		return fmt.Errorf("registering query %s: %w", QueryState, err)
	}

	errs := []error{
		register(ctx, c, claimCommand),
		register(ctx, c, assignCommand),
		register(ctx, c, snoozeCommand),
		register(ctx, c, wakeCommand),
		register(ctx, c, resolveCommand),
		register(ctx, c, reopenCommand),
		// Registering a handler adds no command to the history: runs
		// started before transfers existed replay unchanged.
		register(ctx, c, transferCommand),
		register(ctx, c, priorityCommand),
		register(ctx, c, handBackCommand),
		register(ctx, c, acceptOfferCommand),
		register(ctx, c, declineOfferCommand),
	}
	return errors.Join(errs...)
}

func register[Req any](ctx workflow.Context, c *workflowRun, cmd command[Req]) error {
	validator := func(ctx workflow.Context, req Req) error {
		if err := validateActor(cmd.actor(req)); err != nil {
			return err
		}
		if err := cmd.validate(workflow.Now(ctx), req); err != nil {
			return err
		}
		// Before the state is loaded only the input can be judged; the
		// handler checks the state once it is there.
		if !c.loaded {
			return nil
		}
		return cmd.check(&c.state, req)
	}
	handler := func(ctx workflow.Context, req Req) (conversation.State, error) {
		if err := workflow.Await(ctx, func() bool { return c.loaded }); err != nil {
			return conversation.State{}, err
		}
		if err := c.lock.Lock(ctx); err != nil {
			return conversation.State{}, err
		}
		defer c.lock.Unlock()
		// Again, under the lock: another update may have changed the state
		// since this one was validated (two claims both pass validation),
		// and time has passed.
		if err := validateActor(cmd.actor(req)); err != nil {
			return c.state, err
		}
		if err := cmd.validate(workflow.Now(ctx), req); err != nil {
			return c.state, err
		}
		if err := cmd.check(&c.state, req); err != nil {
			return c.state, err
		}
		var before func(s *conversation.State)
		if cmd.prepare != nil {
			var err error
			if before, err = cmd.prepare(ctx, c); err != nil {
				return c.state, err
			}
		}
		change := conversation.Change{Actor: cmd.actor(req), Reason: cmd.reason}
		if cmd.takes != nil {
			change.OfferID = cmd.takes(&c.state)
		}
		if cmd.data != nil {
			change.Data = cmd.data(req)
		}
		st, err := c.commitChangeLocked(ctx, change, func(s *conversation.State, now time.Time) string {
			if before != nil {
				before(s)
			}
			return cmd.apply(s, now, req)
		})
		if err != nil || cmd.after == nil {
			return st, err
		}
		if err := cmd.after(ctx, c, req); err != nil {
			return c.state, err
		}
		return c.state, nil
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, cmd.name, handler, workflow.UpdateHandlerOptions{Validator: validator})
	if err != nil {
		return fmt.Errorf("registering update %s: %w", cmd.name, err)
	}
	return nil
}

func conflict(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrTypeConflict)
}

func invalid(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalid)
}

func validateActor(a conversation.Actor) error {
	switch a.Type {
	case conversation.ActorOperator, conversation.ActorVisitor, conversation.ActorSystem:
		return nil
	}
	return invalid("actor type %q is not one of %s, %s, %s", a.Type, conversation.ActorOperator, conversation.ActorVisitor, conversation.ActorSystem)
}

func noInput[Req any](time.Time, Req) error { return nil }

var claimCommand = command[conversation.ClaimRequest]{
	name:  UpdateClaim,
	actor: func(r conversation.ClaimRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.ClaimRequest) error {
		if r.OperatorID == uuid.Nil {
			return invalid("operator id is required")
		}
		return nil
	},
	check: func(s *conversation.State, _ conversation.ClaimRequest) error {
		if s.Status != conversation.StatusOpen {
			return conflict("conversation is %s, only an open conversation can be claimed", s.Status)
		}
		// Also for the operator who holds it: of concurrent claims exactly
		// one succeeds.
		if s.Phase == conversation.PhaseAssigned {
			return conflict("conversation is already assigned")
		}
		return nil
	},
	apply: func(s *conversation.State, _ time.Time, r conversation.ClaimRequest) string {
		id := r.OperatorID
		s.Phase = conversation.PhaseAssigned
		s.AssigneeID = &id
		return conversation.EventClaimed
	},
}

var assignCommand = command[conversation.AssignRequest]{
	name:  UpdateAssign,
	actor: func(r conversation.AssignRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.AssignRequest) error {
		if r.OperatorID != nil && *r.OperatorID == uuid.Nil {
			return invalid("operator id is the nil uuid; omit it to unassign")
		}
		return nil
	},
	check: func(s *conversation.State, r conversation.AssignRequest) error {
		if s.Status == conversation.StatusResolved {
			return conflict("conversation is resolved")
		}
		if r.OperatorID == nil {
			if s.AssigneeID == nil {
				return conflict("conversation is not assigned")
			}
			return nil
		}
		if s.AssigneeID != nil && *s.AssigneeID == *r.OperatorID {
			return conflict("conversation is already assigned to operator %s", *r.OperatorID)
		}
		return nil
	},
	apply: func(s *conversation.State, _ time.Time, r conversation.AssignRequest) string {
		if r.OperatorID == nil {
			s.Phase = conversation.PhaseQueued
			s.AssigneeID = nil
			return conversation.EventUnassigned
		}
		id := *r.OperatorID
		s.Phase = conversation.PhaseAssigned
		s.AssigneeID = &id
		return conversation.EventAssigned
	},
}

var snoozeCommand = command[conversation.SnoozeRequest]{
	name:  UpdateSnooze,
	actor: func(r conversation.SnoozeRequest) conversation.Actor { return r.Actor },
	validate: func(now time.Time, r conversation.SnoozeRequest) error {
		if r.Until == nil && !r.UntilReply {
			return invalid("snooze needs a time (until), the customer's reply (until_reply), or both")
		}
		if r.Until != nil && !r.Until.After(now) {
			return invalid("snooze time %s is not in the future", r.Until.UTC().Format(time.RFC3339))
		}
		if r.Until != nil && r.Until.Sub(now) > conversation.MaxSnooze {
			return invalid("snooze time %s is more than a year away", r.Until.UTC().Format(time.RFC3339))
		}
		return nil
	},
	check: func(s *conversation.State, _ conversation.SnoozeRequest) error {
		if s.Status == conversation.StatusResolved {
			return conflict("conversation is resolved")
		}
		return nil // snoozing a snoozed conversation moves its deadline
	},
	apply: func(s *conversation.State, _ time.Time, r conversation.SnoozeRequest) string {
		s.Status = conversation.StatusSnoozed
		s.SnoozedUntil = nil
		if r.Until != nil {
			until := *r.Until
			s.SnoozedUntil = &until
		}
		s.SnoozeUntilReply = r.UntilReply
		return conversation.EventSnoozed
	},
}

var wakeCommand = command[conversation.WakeRequest]{
	name:     UpdateWake,
	actor:    func(r conversation.WakeRequest) conversation.Actor { return r.Actor },
	reason:   conversation.ReasonManual,
	validate: noInput[conversation.WakeRequest],
	check: func(s *conversation.State, _ conversation.WakeRequest) error {
		if s.Status != conversation.StatusSnoozed {
			return conflict("conversation is %s, not snoozed", s.Status)
		}
		return nil
	},
	apply: func(s *conversation.State, now time.Time, _ conversation.WakeRequest) string { return wake(s, now) },
}

var resolveCommand = command[conversation.ResolveRequest]{
	name:  UpdateResolve,
	actor: func(r conversation.ResolveRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.ResolveRequest) error {
		if !conversation.ValidResolutionKey(r.Resolution) {
			return invalid("resolution %q is not a resolution type's key", r.Resolution)
		}
		if n := utf8.RuneCountInString(r.Notes); n > conversation.MaxResolutionNotes {
			return invalid("notes are %d characters, at most %d are allowed", n, conversation.MaxResolutionNotes)
		}
		return nil
	},
	check: func(s *conversation.State, _ conversation.ResolveRequest) error {
		if s.Status == conversation.StatusResolved {
			return conflict("conversation is already resolved")
		}
		return nil
	},
	apply: func(s *conversation.State, now time.Time, r conversation.ResolveRequest) string {
		s.Status = conversation.StatusResolved
		s.Resolution = r.Resolution
		s.ResolutionNotes = r.Notes
		s.ResolvedAt = &now
		s.SnoozedUntil = nil
		s.SnoozeUntilReply = false
		return conversation.EventResolved
	},
}

var reopenCommand = command[conversation.ReopenRequest]{
	name:     UpdateReopen,
	actor:    func(r conversation.ReopenRequest) conversation.Actor { return r.Actor },
	validate: noInput[conversation.ReopenRequest],
	check: func(s *conversation.State, _ conversation.ReopenRequest) error {
		if s.Status != conversation.StatusResolved {
			return conflict("conversation is %s, not resolved", s.Status)
		}
		return nil
	},
	apply: func(s *conversation.State, now time.Time, _ conversation.ReopenRequest) string { return reopen(s, now) },
	prepare: func(ctx workflow.Context, c *workflowRun) (func(s *conversation.State), error) {
		away, err := c.assigneeAway(ctx)
		if err != nil || !away {
			return nil, err
		}
		return func(s *conversation.State) { s.AssigneeID = nil }, nil
	},
}

var transferCommand = command[conversation.TransferRequest]{
	name:  UpdateTransfer,
	actor: func(r conversation.TransferRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.TransferRequest) error {
		if r.DepartmentID == uuid.Nil {
			return invalid("department id is required")
		}
		if r.AssigneeID != nil && *r.AssigneeID == uuid.Nil {
			return invalid("assignee id is the nil uuid; omit it to queue the conversation")
		}
		if !conversation.PlainText(r.Note, conversation.MaxTransferNote) {
			return invalid("note must be at most %d characters, without control characters", conversation.MaxTransferNote)
		}
		return nil
	},
	data: func(r conversation.TransferRequest) json.RawMessage {
		if r.Note == "" {
			return nil
		}
		// Built by hand (workflowcheck); conversation.PlainText made %q valid JSON.
		return json.RawMessage(fmt.Sprintf(`{"note":%q}`, r.Note))
	},
	check: func(s *conversation.State, r conversation.TransferRequest) error {
		if s.Status == conversation.StatusResolved {
			return conflict("conversation is resolved")
		}
		if s.DepartmentID != nil && *s.DepartmentID == r.DepartmentID && conversation.SameID(s.AssigneeID, r.AssigneeID) {
			return conflict("conversation is already there")
		}
		return nil
	},
	apply: func(s *conversation.State, _ time.Time, r conversation.TransferRequest) string {
		dept := r.DepartmentID
		s.DepartmentID = &dept
		if r.AssigneeID == nil {
			s.AssigneeID = nil
			s.Phase = conversation.PhaseQueued
		} else {
			id := *r.AssigneeID
			s.AssigneeID = &id
			s.Phase = conversation.PhaseAssigned
		}
		return conversation.EventTransferred
	},
}

var priorityCommand = command[conversation.PriorityRequest]{
	name:  UpdatePriority,
	actor: func(r conversation.PriorityRequest) conversation.Actor { return r.Actor },
	validate: func(_ time.Time, r conversation.PriorityRequest) error {
		if conversation.PriorityRank(r.Priority) < 0 {
			return invalid("priority %q is not one of %v", r.Priority, conversation.Priorities)
		}
		return nil
	},
	check: func(s *conversation.State, r conversation.PriorityRequest) error {
		if s.Status == conversation.StatusResolved {
			return conflict("conversation is resolved")
		}
		if s.Priority == r.Priority {
			return conflict("conversation is already %s priority", r.Priority)
		}
		return nil
	},
	apply: func(s *conversation.State, _ time.Time, r conversation.PriorityRequest) string {
		s.Priority = r.Priority
		return conversation.EventPriorityChanged
	},
}

// wake ends a snooze.
func wake(s *conversation.State, _ time.Time) string {
	s.Status = conversation.StatusOpen
	s.SnoozedUntil = nil
	s.SnoozeUntilReply = false
	return conversation.EventWoken
}

// reopen opens a resolved conversation again, back with its assignee if it
// has one, else in the queue (the caller drops an assignee who is not
// online: assigneeAway).
func reopen(s *conversation.State, _ time.Time) string {
	s.Status = conversation.StatusOpen
	s.Phase = conversation.PhaseQueued
	if s.AssigneeID != nil {
		s.Phase = conversation.PhaseAssigned
	}
	s.Resolution = ""
	s.ResolutionNotes = ""
	s.ResolvedAt = nil
	s.SnoozedUntil = nil
	s.SnoozeUntilReply = false
	return conversation.EventReopened
}

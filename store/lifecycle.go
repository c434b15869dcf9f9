package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// LifecycleChange is one change, with its log entry.
type LifecycleChange struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	Lifecycle      conversation.Lifecycle
	EventType      string
	ActorType      string
	ActorID        *uuid.UUID
	Reason         string
	Data           json.RawMessage
	At             time.Time
	// OfferID is the dispatch offer an assignment takes; the change is
	// made only while the offer is still there (else ErrOfferGone).
	OfferID *uuid.UUID
}

// Applied is what persisting a change produced.
type Applied struct {
	Conversation Conversation
	Event        Event
	// Fresh is false when the change had already been applied (a retried
	// activity); Conversation then holds the current row and Event is zero.
	Fresh bool
	// PreviousDepartmentID and PreviousAssigneeID are the routing before a
	// fresh change: who could see the conversation until now.
	PreviousDepartmentID *uuid.UUID
	PreviousAssigneeID   *uuid.UUID
	// Offer is the dispatch decision for this conversation, when the change
	// left it queued and an operator has room (or, for a replayed change,
	// the decision still waiting): its workflow makes the assignment.
	Offer *Offer
	// Dispatched counts the decisions the change led to, Offer's included:
	// the others wait in the outbox for the relay.
	Dispatched int
	// QueuesMoved are the departments whose queue the conversation left or
	// joined: their waiting visitors' spots changed.
	QueuesMoved []uuid.UUID
	// Ladder is the unclaimed ladder of the queue the change made the
	// conversation enter (nil: it entered none, or that department has
	// none): its workflow times the steps from the change.
	Ladder *conversation.LadderConfig
	// ReplyWithin is the department's reply limit when the change gave
	// the conversation to an operator (zero: none, or not assigned now).
	ReplyWithin time.Duration
	// Notifications are the items the change put in operators' inboxes
	// (a conversation given or offered to them, a snooze of theirs run
	// out).
	Notifications []Notification
}

// ApplyLifecycle writes a workflow's change and appends it to the event log
// in one transaction, once: a change whose version is not newer than the
// row's is a retry and changes nothing.
func (s *Store) ApplyLifecycle(ctx context.Context, c LifecycleChange) (Applied, error) {
	var out Applied
	data := c.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		l := c.Lifecycle
		r, err := q.ConversationApplyLifecycle(ctx, dbsqlc.ConversationApplyLifecycleParams{
			Status: l.Status, Phase: l.Phase, AssigneeID: nullUUID(l.AssigneeID), DepartmentID: nullUUID(l.DepartmentID),
			Priority: l.Priority, SnoozedUntil: l.SnoozedUntil, SnoozeUntilReply: l.SnoozeUntilReply,
			Resolution: strPtr(l.Resolution), ResolutionNotes: strPtr(l.ResolutionNotes), ResolvedAt: l.ResolvedAt,
			Version: l.Version, WorkflowMessageSeq: l.LastMessageSeq, At: c.At, WorkspaceID: c.WorkspaceID, ID: c.ConversationID,
			Routed: !l.Unrouted,
		})
		if errors.Is(interpretError(err), ErrNotFound) {
			return nil // already applied, or no such conversation: told apart below
		}
		if err != nil {
			return interpretError(err)
		}
		conv := conversationFromRow(appliedRow(r))
		prevDept, prevAssignee := uuidPtr(r.PrevDepartmentID), uuidPtr(r.PrevAssigneeID)
		if c.OfferID != nil {
			if _, err := q.DispatchOfferTake(ctx, dbsqlc.DispatchOfferTakeParams{WorkspaceID: c.WorkspaceID, ID: *c.OfferID}); err != nil {
				if errors.Is(interpretError(err), ErrNotFound) {
					return ErrOfferGone // the whole change rolls back
				}
				return err
			}
		}
		if !conversation.SameID(prevDept, conv.DepartmentID) {
			// Where a conversation came from is part of its history.
			data = withDepartments(data, prevDept, conv.DepartmentID)
		}
		if r.PrevStatus == conversation.StatusOpen && r.PrevPhase == conversation.PhaseBot &&
			(conv.Status != conversation.StatusOpen || conv.Phase != conversation.PhaseBot) && r.FlowID.Valid {
			// The conversation leaves its bot flow: count how, and let the
			// handoff event carry what the bot gathered.
			if err := leaveFlow(ctx, q, c, r, conv, &data); err != nil {
				return err
			}
		}
		ev, err := q.ConversationEventInsert(ctx, dbsqlc.ConversationEventInsertParams{
			ID: newID(), WorkspaceID: c.WorkspaceID, ConversationID: c.ConversationID, Seq: r.LastSeq,
			Version: &l.Version, Type: c.EventType, ActorType: c.ActorType, ActorID: nullUUID(c.ActorID),
			Reason: c.Reason, Data: data, CreatedAt: c.At,
		})
		if err != nil {
			return interpretError(err)
		}
		out = Applied{
			Conversation: conv, Event: eventFromRow(ev), Fresh: true,
			PreviousDepartmentID: prevDept, PreviousAssigneeID: prevAssignee,
		}
		if out.Notifications, err = lifecycleNotifications(ctx, q, c, conv, prevAssignee); err != nil {
			return err
		}
		m := moveOf(r, conv)
		if out.QueuesMoved, err = queuesMoved(ctx, q, c, m, conv); err != nil {
			return err
		}
		out.Offer, out.Dispatched, err = dispatchAfter(ctx, q, c.EventType, r, m, conv)
		if err != nil {
			return err
		}
		if out.Ladder, err = enteredLadder(ctx, q, m, conv); err != nil {
			return err
		}
		out.ReplyWithin, err = replyLimit(ctx, q, r, conv)
		return err
	})
	if err != nil {
		return Applied{}, fmt.Errorf("applying %s to conversation %s: %w", c.EventType, c.ConversationID, err)
	}
	if !out.Fresh {
		conv, err := s.Conversation(ctx, c.WorkspaceID, c.ConversationID)
		if err != nil {
			return Applied{}, fmt.Errorf("reading conversation %s after a replayed change: %w", c.ConversationID, err)
		}
		out.Conversation = conv
		if conv.Status == conversation.StatusOpen && conv.Phase == conversation.PhaseQueued {
			// The first attempt may have dispatched this conversation; its
			// workflow never heard of it.
			o, err := s.q.DispatchOfferForConversation(ctx, dbsqlc.DispatchOfferForConversationParams{WorkspaceID: c.WorkspaceID, ConversationID: c.ConversationID})
			if err == nil {
				out.Offer = offerFromRow(o)
			} else if !errors.Is(interpretError(err), ErrNotFound) {
				return Applied{}, fmt.Errorf("reading the dispatch offer of conversation %s: %w", c.ConversationID, err)
			}
		}
	}
	return out, nil
}

// dispatchAfter dispatches what a change gave a chance to: the
// conversation itself when it entered a queue or its operator passed on
// it (offer mode: declined, or the offer expired), and the departments of
// an operator who gained room (their conversation resolved, snoozed,
// moved away; or an offer to them taken back because the conversation
// left its queue). It returns the decision for the conversation itself,
// if any.
func dispatchAfter(ctx context.Context, q *dbsqlc.Queries, eventType string, r dbsqlc.ConversationApplyLifecycleRow, m queueMove, conv Conversation) (*Offer, int, error) {
	var depts, freed []uuid.UUID
	if m.entered() {
		depts = append(depts, *m.now)
	}
	passed := m.stayed() && (eventType == conversation.EventOfferDeclined || eventType == conversation.EventOfferExpired)
	// Offers and declines exist only for a conversation that waited for
	// dispatch: nothing to take back for any other.
	if m.waited != nil && (!m.stayed() || passed) {
		o, err := q.DispatchOfferDeleteForConversation(ctx, dbsqlc.DispatchOfferDeleteForConversationParams{WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID})
		switch {
		case err == nil:
			freed = append(freed, o.OperatorID)
			if passed {
				// The next offer skips them; the conversation is offered again.
				reason := "declined"
				if eventType == conversation.EventOfferExpired {
					reason = "expired"
				}
				if err := q.DispatchDeclineInsert(ctx, dbsqlc.DispatchDeclineInsertParams{
					WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, OperatorID: o.OperatorID, Reason: reason,
				}); err != nil {
					return nil, 0, fmt.Errorf("recording a decline: %w", interpretError(err))
				}
				depts = append(depts, *m.now)
			}
		case !errors.Is(interpretError(err), ErrNotFound):
			return nil, 0, fmt.Errorf("taking back a dispatch offer: %w", err)
		}
		if !m.stayed() {
			// This wait is over: a later one offers it to everyone again.
			if err := q.DispatchDeclinesClear(ctx, dbsqlc.DispatchDeclinesClearParams{WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID}); err != nil {
				return nil, 0, fmt.Errorf("clearing declines: %w", err)
			}
		}
	}
	prevAssignee := uuidPtr(r.PrevAssigneeID)
	held := r.PrevStatus == conversation.StatusOpen && r.PrevPhase == conversation.PhaseAssigned && prevAssignee != nil
	if held && (conv.Status != conversation.StatusOpen || conv.Phase != conversation.PhaseAssigned || !conversation.SameID(prevAssignee, conv.AssigneeID)) {
		freed = append(freed, *prevAssignee)
	}
	more, err := operatorDepartments(ctx, q, conv.WorkspaceID, freed...)
	if err != nil {
		return nil, 0, err
	}
	return dispatchIn(ctx, q, conv.WorkspaceID, append(depts, more...), conv.ID, time.Now())
}

// queueMove is which department's queue a conversation waited in before a
// change and waits in after it: in its queue at all (for the visitors'
// spots), and waiting for dispatch (routed as well).
type queueMove struct {
	was, is     *uuid.UUID // in a queue
	waited, now *uuid.UUID // waiting for dispatch
}

func moveOf(r dbsqlc.ConversationApplyLifecycleRow, conv Conversation) queueMove {
	in := func(status, phase string, dept *uuid.UUID) *uuid.UUID {
		if status == conversation.StatusOpen && phase == conversation.PhaseQueued {
			return dept
		}
		return nil
	}
	m := queueMove{was: in(r.PrevStatus, r.PrevPhase, uuidPtr(r.PrevDepartmentID)), is: in(conv.Status, conv.Phase, conv.DepartmentID)}
	if r.PrevRouted {
		m.waited = m.was
	}
	if conv.Routed {
		m.now = m.is
	}
	return m
}

// stayed: it waits for dispatch in the same queue as before.
func (m queueMove) stayed() bool { return m.now != nil && conversation.SameID(m.waited, m.now) }

// entered: it waits for dispatch in a queue it did not wait in before
// (queued, moved, or routed just now).
func (m queueMove) entered() bool { return m.now != nil && !conversation.SameID(m.waited, m.now) }

// queuesMoved names the queues a change moved (the conversation left or
// joined them) and counts a conversation taken from a queue by someone
// (the department's pace, for waiting visitors' estimates).
func queuesMoved(ctx context.Context, q *dbsqlc.Queries, c LifecycleChange, m queueMove, conv Conversation) ([]uuid.UUID, error) {
	was, is := m.was, m.is
	if conversation.SameID(was, is) {
		return nil, nil
	}
	var moved []uuid.UUID
	if was != nil {
		moved = append(moved, *was)
		if conv.Status == conversation.StatusOpen && conv.Phase == conversation.PhaseAssigned {
			if err := q.DepartmentAssignmentCount(ctx, dbsqlc.DepartmentAssignmentCountParams{
				WorkspaceID: c.WorkspaceID, DepartmentID: *was, At: c.At,
			}); err != nil {
				return nil, fmt.Errorf("counting the department's pace: %w", interpretError(err))
			}
		}
	}
	if is != nil {
		moved = append(moved, *is)
	}
	return moved, nil
}

// enteredLadder returns the unclaimed ladder of the queue a change made
// the conversation enter, if that department has one.
func enteredLadder(ctx context.Context, q *dbsqlc.Queries, m queueMove, conv Conversation) (*conversation.LadderConfig, error) {
	if !m.entered() {
		return nil, nil
	}
	d, err := q.DepartmentGet(ctx, dbsqlc.DepartmentGetParams{WorkspaceID: conv.WorkspaceID, ID: *conv.DepartmentID})
	if err != nil {
		return nil, fmt.Errorf("reading the unclaimed ladder: %w", interpretError(err))
	}
	cfg := departmentFromRow(d).UnclaimedLadder.Config()
	if cfg == (conversation.LadderConfig{FallbackID: cfg.FallbackID}) {
		return nil, nil // no step
	}
	return &cfg, nil
}

// replyLimit returns the department's reply limit when a change gave the
// conversation to an operator (newly assigned, or to another).
func replyLimit(ctx context.Context, q *dbsqlc.Queries, r dbsqlc.ConversationApplyLifecycleRow, conv Conversation) (time.Duration, error) {
	assigned := conv.Status == conversation.StatusOpen && conv.Phase == conversation.PhaseAssigned && conv.AssigneeID != nil
	if !assigned || conv.DepartmentID == nil ||
		(r.PrevStatus == conversation.StatusOpen && r.PrevPhase == conversation.PhaseAssigned && conversation.SameID(uuidPtr(r.PrevAssigneeID), conv.AssigneeID)) {
		return 0, nil
	}
	d, err := q.DepartmentGet(ctx, dbsqlc.DepartmentGetParams{WorkspaceID: conv.WorkspaceID, ID: *conv.DepartmentID})
	if err != nil {
		return 0, fmt.Errorf("reading the reply limit: %w", interpretError(err))
	}
	if d.ReplyWithinSeconds == nil {
		return 0, nil
	}
	return time.Duration(*d.ReplyWithinSeconds) * time.Second, nil
}

// lifecycleNotifications are the items a change puts in an operator's
// inbox: a conversation given to them by someone else (a person, or
// dispatch), offered to them (offer mode), or one of theirs woken because
// its snooze ran out. They are keyed by the change's version, so a
// retried change adds none.
func lifecycleNotifications(ctx context.Context, q *dbsqlc.Queries, c LifecycleChange, conv Conversation, prevAssignee *uuid.UUID) ([]Notification, error) {
	var to uuid.UUID
	var kind string
	switch {
	case c.EventType == conversation.EventOffered:
		var offer struct {
			OperatorID uuid.UUID `json:"operator_id"`
		}
		if json.Unmarshal(c.Data, &offer) != nil || offer.OperatorID == uuid.Nil {
			return nil, nil
		}
		to, kind = offer.OperatorID, NotificationOffered
	case conv.AssigneeID == nil:
		return nil, nil
	case c.EventType == conversation.EventWoken && c.Reason == conversation.ReasonSnoozeExpired:
		to, kind = *conv.AssigneeID, NotificationFollowUp
	case !conversation.SameID(prevAssignee, conv.AssigneeID) && (c.ActorID == nil || *c.ActorID != *conv.AssigneeID):
		to, kind = *conv.AssigneeID, NotificationAssigned
	default:
		return nil, nil
	}
	text := conv.Subject
	if text == "" {
		text = conv.LastMessagePreview
	}
	item, err := insertNotification(ctx, q, NewNotification{
		WorkspaceID: conv.WorkspaceID, OperatorID: to, Kind: kind,
		DedupeKey: fmt.Sprintf("%s:%s:%d", kind, conv.ID, c.Lifecycle.Version),
		ActorID:   c.ActorID, ConversationID: &conv.ID, ContactID: conv.ContactID, Preview: text, At: c.At,
	})
	if err != nil || item == nil {
		return nil, err
	}
	return []Notification{*item}, nil
}

func offerFromRow(o dbsqlc.DispatchOffer) *Offer {
	return &Offer{
		ID: o.ID, WorkspaceID: o.WorkspaceID, ConversationID: o.ConversationID, DepartmentID: o.DepartmentID,
		OperatorID: o.OperatorID, Mode: o.Mode, CreatedAt: o.CreatedAt,
	}
}

func appliedRow(r dbsqlc.ConversationApplyLifecycleRow) dbsqlc.Conversation {
	return dbsqlc.Conversation{
		ID: r.ID, WorkspaceID: r.WorkspaceID, VisitorID: r.VisitorID, ContactID: r.ContactID, Subject: r.Subject,
		Status: r.Status, Phase: r.Phase, AssigneeID: r.AssigneeID, DepartmentID: r.DepartmentID, Priority: r.Priority,
		SnoozedUntil: r.SnoozedUntil, SnoozeUntilReply: r.SnoozeUntilReply, Resolution: r.Resolution,
		ResolutionNotes: r.ResolutionNotes, ResolvedAt: r.ResolvedAt, LifecycleVersion: r.LifecycleVersion,
		WorkflowMessageSeq: r.WorkflowMessageSeq, LastSeq: r.LastSeq, MessageCount: r.MessageCount,
		LastMessageAt: r.LastMessageAt, LastMessagePreview: r.LastMessagePreview, LastActivityAt: r.LastActivityAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, InboxID: r.InboxID,
		LastSpeaker: r.LastSpeaker, StatusSeq: r.StatusSeq,
		FlowID: r.FlowID, FlowVersion: r.FlowVersion, Fields: r.Fields, BotState: r.BotState, QueuedAt: r.QueuedAt,
		Routed: r.Routed, ChosenDepartmentID: r.ChosenDepartmentID,
		HandedOffAt: r.HandedOffAt, FirstAssignedAt: r.FirstAssignedAt, FirstResponseAt: r.FirstResponseAt,
		TagIDs: r.TagIDs, Sla: r.Sla,
		IdempotencyOwner: r.IdempotencyOwner, IdempotencyKey: r.IdempotencyKey, IdempotencyFingerprint: r.IdempotencyFingerprint,
	}
}

// Event is one entry of a conversation's lifecycle log.
type Event struct {
	ID             uuid.UUID `json:"id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	// Version is the lifecycle change's (nil: an operator's change the
	// workflow has no part in, such as a tag).
	Version   *int64          `json:"version"`
	Type      string          `json:"type"`
	ActorType string          `json:"actor_type"`
	ActorID   *uuid.UUID      `json:"actor_id"`
	Reason    string          `json:"reason"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

func eventFromRow(r dbsqlc.ConversationEvent) Event {
	return Event{
		ID: r.ID, ConversationID: r.ConversationID, Seq: r.Seq, Version: r.Version, Type: r.Type,
		ActorType: r.ActorType, ActorID: uuidPtr(r.ActorID), Reason: r.Reason, Data: r.Data, CreatedAt: r.CreatedAt,
	}
}

// Events returns up to limit lifecycle events with seq > afterSeq, in order.
func (s *Store) Events(ctx context.Context, workspaceID, conversationID uuid.UUID, afterSeq int64, limit int) ([]Event, error) {
	rows, err := s.q.ConversationEventListAfter(ctx, dbsqlc.ConversationEventListAfterParams{WorkspaceID: workspaceID, ConversationID: conversationID, Seq: afterSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = eventFromRow(r)
	}
	return out, nil
}

// withDepartments adds a move's from and to departments to an event's data
// (a JSON object; anything else is replaced).
func withDepartments(data json.RawMessage, from, to *uuid.UUID) json.RawMessage {
	m := map[string]any{}
	_ = json.Unmarshal(data, &m) // not an object: start afresh
	m["from_department_id"], m["to_department_id"] = from, to
	out, _ := json.Marshal(m) // strings, uuids and what came as JSON always encode
	return out
}

// Wakes is what the event log says of a conversation's snooze timers.
type Wakes struct {
	N       int64
	FirstAt time.Time
}

// SnoozeWakes returns, for each of the conversations that woke because a
// snooze expired, how often and when first.
func (s *Store) SnoozeWakes(ctx context.Context, workspaceID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Wakes, error) {
	rows, err := s.q.ConversationEventWakes(ctx, dbsqlc.ConversationEventWakesParams{WorkspaceID: workspaceID, ConversationIDs: ids})
	if err != nil {
		return nil, fmt.Errorf("reading wakes: %w", err)
	}
	out := make(map[uuid.UUID]Wakes, len(rows))
	for _, r := range rows {
		out[r.ConversationID] = Wakes{N: r.Wakes, FirstAt: r.FirstAt}
	}
	return out, nil
}

// leaveFlow counts a conversation's way out of its bot flow and, for a
// handoff, adds the bot's handoff (reason, note, variables, path) to the
// event's data.
func leaveFlow(ctx context.Context, q *dbsqlc.Queries, c LifecycleChange, r dbsqlc.ConversationApplyLifecycleRow, conv Conversation, data *json.RawMessage) error {
	var version int32
	if r.FlowVersion != nil {
		version = *r.FlowVersion
	}
	if err := q.FlowOutcomeAdd(ctx, dbsqlc.FlowOutcomeAddParams{
		WorkspaceID: c.WorkspaceID, FlowID: r.FlowID.UUID, Version: version, Day: day(c.At),
		DepartmentID: nullUUID(conv.DepartmentID), Outcome: flowOutcome(c),
	}); err != nil {
		return interpretError(err)
	}
	if c.EventType != conversation.EventHandedOff {
		return nil
	}
	m := map[string]any{}
	_ = json.Unmarshal(*data, &m) // not an object: start afresh
	m["flow_id"], m["flow_version"] = r.FlowID.UUID, version
	var bot BotState
	if len(r.BotState) > 0 && json.Unmarshal(r.BotState, &bot) == nil {
		m["variables"], m["path"] = bot.Flow.Variables, bot.Flow.Path
		if h := bot.Handoff; h != nil {
			m["note"] = h.Note
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding the handoff's data: %w", err)
	}
	*data = out
	return nil
}

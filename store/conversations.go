package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Conversation as operators see it.
type Conversation struct {
	ID                 uuid.UUID  `json:"id"`
	WorkspaceID        uuid.UUID  `json:"workspace_id"`
	VisitorID          uuid.UUID  `json:"visitor_id"`
	ContactID          *uuid.UUID `json:"contact_id"`
	Subject            string     `json:"subject"`
	Status             string     `json:"status"`
	Phase              string     `json:"phase"`
	AssigneeID         *uuid.UUID `json:"assignee_id"`
	DepartmentID       *uuid.UUID `json:"department_id"`
	InboxID            *uuid.UUID `json:"inbox_id"`
	Priority           string     `json:"priority"`
	SnoozedUntil       *time.Time `json:"snoozed_until"`
	SnoozeUntilReply   bool       `json:"snooze_until_reply"`
	Resolution         string     `json:"resolution,omitempty"`
	ResolutionNotes    string     `json:"resolution_notes,omitempty"`
	ResolvedAt         *time.Time `json:"resolved_at"`
	Version            int64      `json:"version"`
	WorkflowMessageSeq int64      `json:"-"`
	StatusSeq          int64      `json:"-"`
	LastSeq            int64      `json:"last_seq"`
	MessageCount       int32      `json:"message_count"`
	LastMessageAt      *time.Time `json:"last_message_at"`
	LastMessagePreview string     `json:"last_message_preview"`
	LastActivityAt     time.Time  `json:"last_activity_at"`
	// QueuedAt is when the conversation entered its department's queue;
	// nil when it is not waiting there.
	QueuedAt *time.Time `json:"queued_at"`
	// LastSpeaker is who wrote last: customer, agent (an operator or the
	// bot), or empty before anyone did.
	LastSpeaker string `json:"last_speaker"`
	// Routed is false while the conversation waits for its workflow to
	// apply its inbox's routing rules (it is not dispatched until then).
	Routed    bool      `json:"routed"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// FlowID and FlowVersion are the bot flow the conversation started in.
	FlowID      *uuid.UUID `json:"flow_id"`
	FlowVersion *int       `json:"flow_version"`
	// Fields are what a bot flow stored on the conversation (its answers).
	Fields json.RawMessage `json:"fields"`
	// Times are the conversation's service times, for analytics.
	Times Times `json:"times"`
	// TagIDs are the workspace tags on the conversation (GET /tags names
	// them).
	TagIDs []uuid.UUID `json:"tag_ids"`
	// SLA is what the conversation shows of its service level (the
	// policy, the clocks that run, whether one breached): sla.Summary;
	// null when no policy applies.
	SLA json.RawMessage `json:"sla"`
}

// Times are when a conversation was first handed to people (created
// without a bot, or handed off by it), first assigned and first answered
// by an operator, and what they make: the wait (handed off → first
// assigned), the first response (handed off → first operator reply) and
// the handle time (first assigned → resolved), in seconds; nil until they
// happen.
type Times struct {
	HandedOffAt          *time.Time `json:"handed_off_at"`
	FirstAssignedAt      *time.Time `json:"first_assigned_at"`
	FirstResponseAt      *time.Time `json:"first_response_at"`
	WaitSeconds          *float64   `json:"wait_seconds"`
	FirstResponseSeconds *float64   `json:"first_response_seconds"`
	HandleSeconds        *float64   `json:"handle_seconds"`
}

func timesOf(handedOff, assigned, responded, resolved *time.Time) Times {
	t := Times{HandedOffAt: handedOff, FirstAssignedAt: assigned, FirstResponseAt: responded}
	t.WaitSeconds = secondsBetween(handedOff, assigned)
	t.FirstResponseSeconds = secondsBetween(handedOff, responded)
	t.HandleSeconds = secondsBetween(assigned, resolved)
	return t
}

// secondsBetween is to − from in seconds (never below 0), nil unless both
// are known.
func secondsBetween(from, to *time.Time) *float64 {
	if from == nil || to == nil {
		return nil
	}
	d := max(to.Sub(*from).Seconds(), 0)
	d = math.Round(d*1000) / 1000
	return &d
}

// Lifecycle is the part of c that only its workflow writes.
func (c Conversation) Lifecycle() conversation.Lifecycle {
	return conversation.Lifecycle{
		Status: c.Status, Phase: c.Phase, AssigneeID: c.AssigneeID, DepartmentID: c.DepartmentID,
		Priority: c.Priority, SnoozedUntil: c.SnoozedUntil, SnoozeUntilReply: c.SnoozeUntilReply,
		Resolution: c.Resolution, ResolutionNotes: c.ResolutionNotes, ResolvedAt: c.ResolvedAt,
		Version: c.Version, LastMessageSeq: c.WorkflowMessageSeq, StatusSeq: c.StatusSeq, Unrouted: !c.Routed,
	}
}

// VisitorConversation is what the widget may see of a conversation.
type VisitorConversation struct {
	ID     uuid.UUID `json:"id"`
	Status string    `json:"status"`
	// Waiting: the conversation waits in a queue for a person (its spot:
	// QueueSpot, and queue.position events).
	Waiting   bool      `json:"waiting"`
	LastSeq   int64     `json:"last_seq"`
	CreatedAt time.Time `json:"created_at"`
}

// ForVisitor is the widget's view of c.
func (c Conversation) ForVisitor() VisitorConversation {
	return VisitorConversation{
		ID: c.ID, Status: c.Status, LastSeq: c.LastSeq, CreatedAt: c.CreatedAt,
		Waiting: c.Status == conversation.StatusOpen && c.Phase == conversation.PhaseQueued,
	}
}

func conversationFromRow(r dbsqlc.Conversation) Conversation {
	return Conversation{
		ID: r.ID, WorkspaceID: r.WorkspaceID, VisitorID: r.VisitorID, ContactID: uuidPtr(r.ContactID),
		Subject: r.Subject, Status: r.Status, Phase: r.Phase, AssigneeID: uuidPtr(r.AssigneeID),
		DepartmentID: uuidPtr(r.DepartmentID), InboxID: uuidPtr(r.InboxID), Priority: r.Priority, SnoozedUntil: r.SnoozedUntil,
		SnoozeUntilReply: r.SnoozeUntilReply, Resolution: deref(r.Resolution), ResolutionNotes: deref(r.ResolutionNotes),
		ResolvedAt: r.ResolvedAt, Version: r.LifecycleVersion, WorkflowMessageSeq: r.WorkflowMessageSeq, StatusSeq: r.StatusSeq, LastSeq: r.LastSeq, MessageCount: r.MessageCount,
		LastMessageAt: r.LastMessageAt, LastMessagePreview: r.LastMessagePreview, LastActivityAt: r.LastActivityAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, QueuedAt: r.QueuedAt, Routed: r.Routed, LastSpeaker: deref(r.LastSpeaker),
		FlowID: uuidPtr(r.FlowID), FlowVersion: intPtr(r.FlowVersion), Fields: jsonObject(r.Fields),
		Times:  timesOf(r.HandedOffAt, r.FirstAssignedAt, r.FirstResponseAt, r.ResolvedAt),
		TagIDs: uuidsOrEmpty(r.TagIDs), SLA: jsonOrNull(r.Sla),
	}
}

// jsonOrNull is a nullable jsonb column as JSON (null when null).
func jsonOrNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`null`)
	}
	return b
}

// uuidsOrEmpty renders a uuid[] column as a JSON array, never null.
func uuidsOrEmpty(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
}

// jsonObject is a jsonb object column as JSON ({} when empty).
func jsonObject(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`{}`)
	}
	return b
}

// NewConversation is a conversation a visitor starts.
type NewConversation struct {
	WorkspaceID uuid.UUID
	VisitorID   uuid.UUID
	Subject     string
	// FirstMessage, when non-empty, is stored as the visitor's first message.
	FirstMessage string
	// FirstMessageKeyword is the keyword rule FirstMessage matched.
	FirstMessageKeyword *conversation.KeywordMatch
	// ChosenDepartmentID is the department the visitor picked (one of
	// their inbox's), for a visitor_choice routing rule.
	ChosenDepartmentID *uuid.UUID
	// IdempotencyKey, when set, makes a retry find the first attempt's
	// conversation instead of starting another. It is the visitor's (or,
	// when the visitor is verified, its contact's) and also keys the first
	// message.
	IdempotencyKey string
}

// fingerprint identifies what a start asked for, to tell a retry from a
// reuse of its key for something else.
func (n NewConversation) fingerprint() []byte {
	h := sha256.New()
	for _, part := range []string{n.Subject, n.FirstMessage} {
		var size [8]byte
		binary.BigEndian.PutUint64(size[:], uint64(len(part)))
		h.Write(size[:])
		h.Write([]byte(part))
	}
	return h.Sum(nil)
}

// Started is the result of StartConversation.
type Started struct {
	Conversation Conversation
	// FirstMessage is the visitor's first message, if one was sent.
	FirstMessage *Message
	// Created is false when the idempotency key matched an earlier start,
	// which is returned instead and nothing was written.
	Created bool
}

// StartConversation creates a conversation (queued for an operator), its
// outbox row that starts the workflow, and optionally its first message,
// in one transaction.
//
// With an idempotency key the insert is ON CONFLICT DO NOTHING on the
// key's unique index: a retry (even one racing the first attempt) returns
// the first conversation and writes nothing, so no second outbox row and
// no second workflow; the first attempt's outbox row starts the workflow
// conversation/<id> even when the process died right after the commit.
// The same key with another subject or message is ErrIdempotencyKeyReused.
func (s *Store) StartConversation(ctx context.Context, n NewConversation) (Started, error) {
	var out Started
	fp := n.fingerprint()
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.ConversationInsert(ctx, dbsqlc.ConversationInsertParams{
			ID: newID(), WorkspaceID: n.WorkspaceID, VisitorID: n.VisitorID, Subject: n.Subject, Phase: conversation.PhaseQueued,
			IdempotencyKey: strPtr(n.IdempotencyKey), IdempotencyFingerprint: fp, ChosenDepartmentID: nullUUID(n.ChosenDepartmentID),
		})
		if errors.Is(err, pgx.ErrNoRows) && n.IdempotencyKey != "" {
			return replayStart(ctx, q, n, fp, &out)
		}
		if err != nil {
			return interpretError(err)
		}
		payload, _ := json.Marshal(map[string]time.Time{"created_at": r.CreatedAt})
		if err := q.OutboxInsert(ctx, dbsqlc.OutboxInsertParams{
			WorkspaceID: n.WorkspaceID, ConversationID: r.ID, Kind: OutboxConversationStarted, Payload: payload,
		}); err != nil {
			return err
		}
		conv := conversationFromRow(r)
		out = Started{Conversation: conv, Created: true}
		if r.FlowID.Valid && r.FlowVersion != nil {
			if err := q.FlowOutcomeAdd(ctx, dbsqlc.FlowOutcomeAddParams{
				WorkspaceID: n.WorkspaceID, FlowID: r.FlowID.UUID, Version: *r.FlowVersion, Day: day(r.CreatedAt),
				DepartmentID: r.DepartmentID, Outcome: FlowStarted,
			}); err != nil {
				return interpretError(err)
			}
		}
		if conv.Phase == conversation.PhaseQueued && conv.DepartmentID != nil && conv.Routed {
			// An online operator with room takes it at once. The decision's
			// outbox row follows the start's: one signal brings both.
			if _, _, err := dispatchIn(ctx, q, n.WorkspaceID, []uuid.UUID{*conv.DepartmentID}, uuid.Nil, time.Now()); err != nil {
				return err
			}
		}
		if n.FirstMessage == "" {
			return nil
		}
		var sent Sent
		vid := n.VisitorID
		if err := sendMessage(ctx, q, NewMessage{
			WorkspaceID: n.WorkspaceID, ConversationID: r.ID, SenderType: conversation.SenderVisitor, SenderID: &vid,
			Body: n.FirstMessage, IdempotencyKey: n.IdempotencyKey, Keyword: n.FirstMessageKeyword,
		}, r.CreatedAt, &sent); err != nil {
			return err
		}
		out.FirstMessage = &sent.Message
		out.Conversation.LastSeq = sent.Message.Seq
		out.Conversation.MessageCount = 1
		out.Conversation.LastMessageAt = &sent.Message.CreatedAt
		out.Conversation.LastMessagePreview = preview(sent.Message.Body)
		return nil
	})
	if err != nil {
		return Started{}, fmt.Errorf("starting conversation: %w", err)
	}
	return out, nil
}

// replayStart reads the conversation an earlier start with n's key made.
// The insert that found the key waited for that start to commit, so it is
// visible here (read committed: a new statement, a new snapshot).
func replayStart(ctx context.Context, q *dbsqlc.Queries, n NewConversation, fp []byte, out *Started) error {
	key := n.IdempotencyKey
	r, err := q.ConversationGetByIdempotencyKey(ctx, dbsqlc.ConversationGetByIdempotencyKeyParams{
		WorkspaceID: n.WorkspaceID, VisitorID: n.VisitorID, IdempotencyKey: key,
	})
	if err != nil {
		// No such visitor (the insert found none either).
		return interpretError(err)
	}
	if !bytes.Equal(r.IdempotencyFingerprint, fp) {
		return ErrIdempotencyKeyReused
	}
	*out = Started{Conversation: conversationFromRow(r)}
	if n.FirstMessage == "" {
		return nil
	}
	m, err := q.MessageGetFirstByIdempotencyKey(ctx, dbsqlc.MessageGetFirstByIdempotencyKeyParams{
		WorkspaceID: n.WorkspaceID, ConversationID: r.ID, IdempotencyKey: &key,
	})
	if err != nil {
		return fmt.Errorf("reading the first message of conversation %s: %w", r.ID, interpretError(err))
	}
	first := messageFromRow(m)
	out.FirstMessage = &first
	return nil
}

// Conversation returns one conversation of a workspace.
func (s *Store) Conversation(ctx context.Context, workspaceID, id uuid.UUID) (Conversation, error) {
	r, err := s.q.ConversationGet(ctx, dbsqlc.ConversationGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Conversation{}, interpretError(err)
	}
	return conversationFromRow(r), nil
}

// VisitorConversation returns a conversation only if it is the visitor's.
func (s *Store) VisitorConversation(ctx context.Context, workspaceID, visitorID, id uuid.UUID) (Conversation, error) {
	r, err := s.q.ConversationGetForVisitor(ctx, dbsqlc.ConversationGetForVisitorParams{WorkspaceID: workspaceID, ID: id, VisitorID: visitorID})
	if err != nil {
		return Conversation{}, interpretError(err)
	}
	return conversationFromRow(r), nil
}

// VisitorConversations lists a visitor's conversations, newest first.
func (s *Store) VisitorConversations(ctx context.Context, workspaceID, visitorID uuid.UUID, limit int) ([]Conversation, error) {
	rows, err := s.q.ConversationListForVisitor(ctx, dbsqlc.ConversationListForVisitorParams{WorkspaceID: workspaceID, VisitorID: visitorID, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing visitor conversations: %w", err)
	}
	out := make([]Conversation, len(rows))
	for i, r := range rows {
		out[i] = conversationFromRow(r)
	}
	return out, nil
}

// ConversationFilter narrows an inbox list; zero fields do not filter.
type ConversationFilter struct {
	Status       string
	Phase        string
	DepartmentID *uuid.UUID
	AssigneeID   *uuid.UUID
	Unassigned   *bool
	Priority     string
	TagID        *uuid.UUID
}

// Cursor is the keyset position after which a page starts.
type Cursor struct {
	At time.Time
	ID uuid.UUID
}

// ListConversations returns up to limit conversations of the viewer's
// workspace that the viewer may see, after the cursor, newest activity
// first, and the cursor of the next page (nil at the end).
func (s *Store) ListConversations(ctx context.Context, v access.Viewer, f ConversationFilter, after *Cursor, limit int) ([]Conversation, *Cursor, error) {
	departments := v.Departments
	if departments == nil {
		departments = []uuid.UUID{}
	}
	p := dbsqlc.ConversationListParams{
		WorkspaceID: v.WorkspaceID, Status: strPtr(f.Status), Phase: strPtr(f.Phase),
		DepartmentID: nullUUID(f.DepartmentID), AssigneeID: nullUUID(f.AssigneeID), Unassigned: f.Unassigned,
		Priority: strPtr(f.Priority), TagID: nullUUID(f.TagID),
		SeesAll: v.SeesAll(), ViewerID: v.OperatorID, ViewerDepartments: departments,
		ViewerSupervises: v.Role == access.RoleSupervisor,
		RowLimit:         int32(limit + 1),
	}
	if after != nil {
		p.CursorAt = &after.At
		p.CursorID = uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	rows, err := s.q.ConversationList(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("listing conversations: %w", err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = &Cursor{At: last.LastActivityAt, ID: last.ID}
	}
	out := make([]Conversation, len(rows))
	for i, r := range rows {
		out[i] = conversationFromRow(r)
	}
	return out, next, nil
}

// CustomerHistory lists the other conversations of conv's customer (its
// contact's, or its anonymous visitor's), newest first, those v may see,
// at most limit.
func (s *Store) CustomerHistory(ctx context.Context, v access.Viewer, conv Conversation, limit int) ([]Conversation, error) {
	var rows []dbsqlc.Conversation
	var err error
	// Read a few more than asked: some may be out of the viewer's sight.
	n := int32(3*limit + 1)
	if conv.ContactID != nil {
		rows, err = s.q.ConversationsOfContact(ctx, dbsqlc.ConversationsOfContactParams{
			WorkspaceID: conv.WorkspaceID, ContactID: uuid.NullUUID{UUID: *conv.ContactID, Valid: true}, RowLimit: n,
		})
	} else {
		rows, err = s.q.ConversationsOfVisitor(ctx, dbsqlc.ConversationsOfVisitorParams{
			WorkspaceID: conv.WorkspaceID, VisitorID: conv.VisitorID, RowLimit: n,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("reading the customer's conversations: %w", err)
	}
	out := []Conversation{}
	for _, r := range rows {
		c := conversationFromRow(r)
		if c.ID == conv.ID || !v.CanSee(c.DepartmentID, c.AssigneeID) {
			continue
		}
		if out = append(out, c); len(out) == limit {
			break
		}
	}
	return out, nil
}

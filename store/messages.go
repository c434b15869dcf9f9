package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Message is one message of a conversation.
type Message struct {
	ID             uuid.UUID  `json:"id"`
	WorkspaceID    uuid.UUID  `json:"-"`
	ConversationID uuid.UUID  `json:"conversation_id"`
	Seq            int64      `json:"seq"`
	SenderType     string     `json:"sender_type"`
	SenderID       *uuid.UUID `json:"sender_id"`
	Body           string     `json:"body"`
	// QuickReplies are a bot message's buttons: the visitor answers by
	// sending one's text.
	QuickReplies   []string `json:"quick_replies,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	// SignalReasons say why the conversation's workflow was told of the
	// message (conversation.Signal*); none: it was not.
	SignalReasons []string `json:"-"`
	// KeywordRuleID is the keyword rule a customer's message matched.
	KeywordRuleID *uuid.UUID `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
}

func messageFromRow(r dbsqlc.Message) Message {
	return Message{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Seq: r.Seq, SenderType: r.SenderType,
		SenderID: uuidPtr(r.SenderID), Body: r.Body, QuickReplies: nilIfEmpty(r.QuickReplies),
		IdempotencyKey: deref(r.IdempotencyKey), SignalReasons: r.SignalReasons,
		KeywordRuleID: uuidPtr(r.KeywordRuleID), CreatedAt: r.CreatedAt,
	}
}

// NewMessage is a message to store.
type NewMessage struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	SenderType     string // visitor, operator, bot, system
	SenderID       *uuid.UUID
	Body           string
	IdempotencyKey string // optional
	// VisitorID, when set, restricts the send to what that visitor may
	// write to: its own conversations and, when it is verified, its
	// contact's (from its other devices). Anything else is ErrNotFound.
	VisitorID *uuid.UUID
	// Keyword is the workspace keyword rule a customer's message matched
	// (keywords.Match on the hot path); the workflow applies it. Ignored
	// for anyone else's message.
	Keyword *conversation.KeywordMatch
	// QuickReplies: a bot message's buttons.
	QuickReplies []string
}

// Sent is the result of a send.
type Sent struct {
	Message   Message
	VisitorID uuid.UUID // the conversation's visitor, for routing the event
	// ContactID is the conversation's contact: every device of it receives
	// the event.
	ContactID *uuid.UUID
	// DepartmentID and AssigneeID are the conversation's routing when the
	// message was stored: which operators may receive the event.
	DepartmentID *uuid.UUID
	AssigneeID   *uuid.UUID
	// Created is false when the idempotency key matched an earlier message,
	// which is returned instead and nothing was written.
	Created bool
}

const previewLen = 140

func preview(body string) string {
	if len(body) <= previewLen {
		return body
	}
	cut := previewLen
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut]
}

// errReplay rolls back a send whose idempotency key was already used.
var errReplay = errors.New("idempotent replay")

// SendMessage stores a message in one statement (one round trip, one
// transaction): the conversation's next seq and counters, the message, and
// the outbox row that will carry it to the conversation's workflow.
func (s *Store) SendMessage(ctx context.Context, n NewMessage) (Sent, error) {
	var sent Sent
	// One statement is its own transaction: no BEGIN/COMMIT round trips.
	err := sendMessage(ctx, s.q, n, time.Now(), &sent)
	if errors.Is(err, errReplay) {
		r, gerr := s.q.MessageGetByIdempotencyKey(ctx, dbsqlc.MessageGetByIdempotencyKeyParams{
			WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, SenderID: nullUUID(n.SenderID), IdempotencyKey: &n.IdempotencyKey,
		})
		if gerr != nil {
			return Sent{}, fmt.Errorf("reading replayed message: %w", interpretError(gerr))
		}
		return Sent{Message: messageFromRow(r), VisitorID: sent.VisitorID, ContactID: sent.ContactID}, nil
	}
	if err != nil {
		return Sent{}, fmt.Errorf("sending message to %s: %w", n.ConversationID, err)
	}
	return sent, nil
}

func sendMessage(ctx context.Context, q *dbsqlc.Queries, n NewMessage, at time.Time, sent *Sent) error {
	id := newID()
	p := dbsqlc.MessageSendParams{
		WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, VisitorID: nullUUID(n.VisitorID),
		ID: id, SenderType: n.SenderType, SenderID: nullUUID(n.SenderID), Body: n.Body,
		IdempotencyKey: strPtr(n.IdempotencyKey), CreatedAt: at, Preview: preview(n.Body),
	}
	if len(n.QuickReplies) > 0 {
		p.QuickReplies = n.QuickReplies
	}
	if k := n.Keyword; k != nil {
		p.KeywordRuleID, p.KeywordPriority, p.KeywordDepartmentID = nullUUID(&k.RuleID), &k.Priority, nullUUID(k.DepartmentID)
	}
	r, err := q.MessageSend(ctx, p)
	if err != nil {
		return interpretError(err)
	}
	sent.VisitorID = r.VisitorID
	sent.ContactID = uuidPtr(r.ContactID)
	sent.DepartmentID, sent.AssigneeID = uuidPtr(r.DepartmentID), uuidPtr(r.AssigneeID)
	if !r.MessageID.Valid {
		return errReplay // the idempotency key was used: nothing was written
	}
	sent.Message = Message{
		ID: id, WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, Seq: *r.Seq, SenderType: n.SenderType,
		SenderID: n.SenderID, Body: n.Body, QuickReplies: nilIfEmpty(n.QuickReplies), IdempotencyKey: n.IdempotencyKey, SignalReasons: r.SignalReasons,
		CreatedAt: *r.CreatedAt,
	}
	if slices.Contains(r.SignalReasons, conversation.SignalKeywordRule) {
		sent.Message.KeywordRuleID = &n.Keyword.RuleID
	}
	sent.Created = true
	return nil
}

// Messages returns up to limit messages with seq > afterSeq, in order.
func (s *Store) Messages(ctx context.Context, workspaceID, conversationID uuid.UUID, afterSeq int64, limit int) ([]Message, error) {
	rows, err := s.q.MessageListAfter(ctx, dbsqlc.MessageListAfterParams{WorkspaceID: workspaceID, ConversationID: conversationID, Seq: afterSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[i] = messageFromRow(r)
	}
	return out, nil
}

// MessagesBefore returns the up to limit messages with seq < beforeSeq,
// oldest first: the page of history just before what a client has.
func (s *Store) MessagesBefore(ctx context.Context, workspaceID, conversationID uuid.UUID, beforeSeq int64, limit int) ([]Message, error) {
	rows, err := s.q.MessageListBefore(ctx, dbsqlc.MessageListBeforeParams{WorkspaceID: workspaceID, ConversationID: conversationID, Seq: beforeSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = messageFromRow(r)
	}
	return out, nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Message returns one message of a conversation.
func (s *Store) Message(ctx context.Context, workspaceID, conversationID, id uuid.UUID) (Message, error) {
	r, err := s.q.MessageGet(ctx, dbsqlc.MessageGetParams{WorkspaceID: workspaceID, ConversationID: conversationID, ID: id})
	if err != nil {
		return Message{}, interpretError(err)
	}
	return messageFromRow(r), nil
}

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/flow"
)

// BotState is what conversations.bot_state holds while and after a bot
// flow runs: the interpreter's state, and what a step left for the next
// one to act on. It stays in PostgreSQL, out of Temporal's history: the
// variables hold what customers wrote.
type BotState struct {
	Flow flow.State `json:"flow"`
	// HTTP is the call the flow waits for (a flow http effect).
	HTTP *flow.Effect `json:"http,omitempty"`
	// TimerAt is when the timer the flow waits for is due.
	TimerAt *time.Time `json:"timer_at,omitempty"`
	// Handoff is how the flow handed the conversation to people (reason,
	// note, variables, path): the handed_off event carries it.
	Handoff *flow.Effect `json:"handoff,omitempty"`
}

// BotConversation is what a bot step reads of its conversation, locked.
type BotConversation struct {
	ID           uuid.UUID
	WorkspaceID  uuid.UUID
	VisitorID    uuid.UUID
	ContactID    *uuid.UUID
	Status       string
	Phase        string
	DepartmentID *uuid.UUID
	InboxID      *uuid.UUID
	FlowID       *uuid.UUID
	FlowVersion  int
	// Bot is nil before the flow started.
	Bot *BotState
	// LastSeq is the conversation's last seq; FirstMessage what the
	// visitor opened it with.
	LastSeq      int64
	FirstMessage string
}

// BotReply is a message the bot writes.
type BotReply struct {
	Text         string
	QuickReplies []string
}

// BotField is a value the flow stores: on the conversation (Scope
// "conversation") or its contact ("contact"; the conversation's fields
// too, so the people who take over see it, and the contact's attributes
// when the conversation has a contact).
type BotField struct {
	Scope string
	Key   string
	Value string
}

// BotWrite is what one bot step writes.
type BotWrite struct {
	State   BotState
	Replies []BotReply
	Fields  []BotField
	Hops    []flow.Hop
}

// BotStep runs one step of a conversation's bot in one transaction: it
// claims step (a name unique in the conversation), locks the conversation,
// lets decide compute what to write from what is stored, and writes it.
// Taken is false when the step was claimed before (a retried activity):
// nothing is written again. Sent are the bot's messages, to publish.
func (s *Store) BotStep(ctx context.Context, workspaceID, conversationID uuid.UUID, step string, at time.Time,
	decide func(BotConversation) (BotWrite, error)) (taken bool, sent []Sent, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.FlowStepInsert(ctx, dbsqlc.FlowStepInsertParams{WorkspaceID: workspaceID, ConversationID: conversationID, Step: step})
		if err != nil {
			return interpretError(err) // a conversation not of the workspace: ErrNotFound
		}
		if n == 0 {
			return nil
		}
		r, err := q.ConversationBotLock(ctx, dbsqlc.ConversationBotLockParams{WorkspaceID: workspaceID, ID: conversationID})
		if err != nil {
			return interpretError(err)
		}
		c := BotConversation{
			ID: r.ID, WorkspaceID: r.WorkspaceID, VisitorID: r.VisitorID, ContactID: uuidPtr(r.ContactID),
			Status: r.Status, Phase: r.Phase, DepartmentID: uuidPtr(r.DepartmentID), InboxID: uuidPtr(r.InboxID),
			FlowID: uuidPtr(r.FlowID), LastSeq: r.LastSeq, FirstMessage: r.FirstMessage,
		}
		if r.FlowVersion != nil {
			c.FlowVersion = int(*r.FlowVersion)
		}
		if len(r.BotState) > 0 {
			c.Bot = &BotState{}
			if err := json.Unmarshal(r.BotState, c.Bot); err != nil {
				return fmt.Errorf("decoding the bot state of conversation %s: %w", conversationID, err)
			}
		}
		w, err := decide(c)
		if err != nil {
			return err
		}
		taken = true
		state, err := json.Marshal(w.State)
		if err != nil {
			return fmt.Errorf("encoding the bot state: %w", err)
		}
		if err := q.ConversationBotSave(ctx, dbsqlc.ConversationBotSaveParams{WorkspaceID: workspaceID, ID: conversationID, BotState: state}); err != nil {
			return err
		}
		for _, f := range w.Fields {
			if err := q.ConversationSetField(ctx, dbsqlc.ConversationSetFieldParams{WorkspaceID: workspaceID, ID: conversationID, Key: f.Key, Value: f.Value}); err != nil {
				return err
			}
			if f.Scope == flow.StoreContact && c.ContactID != nil {
				if err := q.ContactSetAttribute(ctx, dbsqlc.ContactSetAttributeParams{WorkspaceID: workspaceID, ID: *c.ContactID, Key: f.Key, Value: f.Value}); err != nil {
					return err
				}
			}
		}
		if len(w.Hops) > 0 && c.FlowID != nil {
			nodes, edges := make([]string, len(w.Hops)), make([]string, len(w.Hops))
			for i, h := range w.Hops {
				nodes[i], edges[i] = h.Node, h.Edge
			}
			if err := q.FlowHopsAdd(ctx, dbsqlc.FlowHopsAddParams{
				WorkspaceID: workspaceID, FlowID: *c.FlowID, Version: int32(c.FlowVersion), Day: day(at), Nodes: nodes, Edges: edges,
			}); err != nil {
				return interpretError(err)
			}
		}
		for i, rep := range w.Replies {
			var out Sent
			if err := sendMessage(ctx, q, NewMessage{
				WorkspaceID: workspaceID, ConversationID: conversationID, SenderType: conversation.SenderBot,
				Body: rep.Text, QuickReplies: rep.QuickReplies,
			}, at.Add(time.Duration(i)*time.Microsecond), &out); err != nil {
				return err
			}
			sent = append(sent, out)
		}
		return nil
	})
	if err != nil {
		return false, nil, fmt.Errorf("bot step %s of conversation %s: %w", step, conversationID, err)
	}
	return taken, sent, nil
}

// DepartmentOnline says whether an active operator of the department is
// online now.
func (s *Store) DepartmentOnline(ctx context.Context, workspaceID, departmentID uuid.UUID) (bool, error) {
	n, err := s.q.DepartmentMemberCountOnline(ctx, dbsqlc.DepartmentMemberCountOnlineParams{WorkspaceID: workspaceID, DepartmentID: departmentID})
	if err != nil {
		return false, fmt.Errorf("counting online operators of department %s: %w", departmentID, err)
	}
	return n > 0, nil
}

// day is the calendar day (UTC) counters are kept by.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// flowOutcome names how a conversation left its bot flow in a change from
// the bot phase, for the outcome counters: a handoff's reason, "ended"
// (the flow ended and the bot resolved it), "manual" (people took over),
// "keyword" (a keyword rule), or the event type otherwise.
func flowOutcome(c LifecycleChange) string {
	switch {
	case c.EventType == conversation.EventHandedOff && c.Reason == conversation.ReasonKeywordRule:
		return "keyword"
	case c.EventType == conversation.EventHandedOff && c.Reason != "":
		return c.Reason
	case c.EventType == conversation.EventResolved && c.ActorType == conversation.ActorSystem:
		return "ended"
	case c.ActorType == conversation.ActorOperator:
		return "manual"
	}
	return c.EventType
}

// BotState reads a conversation's bot state; nil before its flow started.
func (s *Store) BotState(ctx context.Context, workspaceID, conversationID uuid.UUID) (*BotState, error) {
	b, err := s.q.ConversationBotState(ctx, dbsqlc.ConversationBotStateParams{WorkspaceID: workspaceID, ID: conversationID})
	if err != nil {
		return nil, interpretError(err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var st BotState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding the bot state of conversation %s: %w", conversationID, err)
	}
	return &st, nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Note is an operator's private note on a conversation: part of its
// timeline (it takes a seq), never the visitor's to see.
type Note struct {
	ID             uuid.UUID   `json:"id"`
	WorkspaceID    uuid.UUID   `json:"-"`
	ConversationID uuid.UUID   `json:"conversation_id"`
	Seq            int64       `json:"seq"`
	AuthorID       uuid.UUID   `json:"author_id"`
	Body           string      `json:"body"`
	Mentions       []uuid.UUID `json:"mentions"`
	IdempotencyKey string      `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	EditedAt       *time.Time  `json:"edited_at"`
}

func noteFromRow(r dbsqlc.ConversationNote) Note {
	mentions := r.Mentions
	if mentions == nil {
		mentions = []uuid.UUID{}
	}
	return Note{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Seq: r.Seq, AuthorID: r.AuthorID,
		Body: r.Body, Mentions: mentions, IdempotencyKey: deref(r.IdempotencyKey), CreatedAt: r.CreatedAt, EditedAt: r.EditedAt,
	}
}

// NewNote is a note to write. Mentions are the operators the body names
// (resolved by the caller); the author is never notified of their own.
type NewNote struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	AuthorID       uuid.UUID
	Body           string
	Mentions       []uuid.UUID
	IdempotencyKey string
}

// NoteWritten is a note as written and the notification items the write
// created (its new mentions), to push to their operators.
type NoteWritten struct {
	Note          Note
	Notifications []Notification
	// Created is false when the idempotency key matched an earlier note,
	// which is returned instead and nothing was written.
	Created bool
}

// AddNote writes a note and, in the same transaction, an item in the
// notification inbox of every operator it mentions.
func (s *Store) AddNote(ctx context.Context, n NewNote) (NoteWritten, error) {
	var out NoteWritten
	mentions := mentionsOf(n.Mentions, n.AuthorID)
	at := time.Now()
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.NoteInsert(ctx, dbsqlc.NoteInsertParams{
			WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, ID: newID(), AuthorID: n.AuthorID,
			Body: n.Body, Mentions: mentions, IdempotencyKey: strPtr(n.IdempotencyKey), CreatedAt: at,
		})
		if errors.Is(err, pgx.ErrNoRows) && n.IdempotencyKey != "" {
			old, gerr := q.NoteGetByIdempotencyKey(ctx, dbsqlc.NoteGetByIdempotencyKeyParams{
				WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, AuthorID: n.AuthorID, IdempotencyKey: &n.IdempotencyKey,
			})
			if gerr != nil {
				return interpretError(gerr)
			}
			out.Note = noteFromRow(old)
			return nil
		}
		if err != nil {
			return interpretError(err)
		}
		out.Note, out.Created = noteFromRow(dbsqlc.ConversationNote(r)), true
		out.Notifications, err = notifyMentions(ctx, q, out.Note, mentions, at)
		return err
	})
	if err != nil {
		return NoteWritten{}, fmt.Errorf("adding a note to conversation %s: %w", n.ConversationID, err)
	}
	return out, nil
}

// EditNote replaces a note's body (and so its mentions); operators newly
// mentioned get an item, those mentioned before do not get a second.
// check sees the note as it is, under lock, and may refuse the edit.
func (s *Store) EditNote(ctx context.Context, workspaceID, conversationID, id uuid.UUID, body string, mentions []uuid.UUID, check func(Note) error) (NoteWritten, error) {
	var out NoteWritten
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.NoteGetForUpdate(ctx, dbsqlc.NoteGetForUpdateParams{WorkspaceID: workspaceID, ConversationID: conversationID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		if err := check(noteFromRow(old)); err != nil {
			return err
		}
		mentions = mentionsOf(mentions, old.AuthorID)
		at := time.Now()
		r, err := q.NoteUpdate(ctx, dbsqlc.NoteUpdateParams{
			WorkspaceID: workspaceID, ConversationID: conversationID, ID: id, Body: body, Mentions: mentions, EditedAt: &at,
		})
		if err != nil {
			return interpretError(err)
		}
		out.Note, out.Created = noteFromRow(r), true
		out.Notifications, err = notifyMentions(ctx, q, out.Note, mentions, at)
		return err
	})
	if err != nil {
		return NoteWritten{}, fmt.Errorf("editing note %s: %w", id, err)
	}
	return out, nil
}

// DeleteNote removes a note for good (its words leave the database);
// check sees it under lock and may refuse. The items that pointed at it
// stay in their inboxes, linked to the conversation.
func (s *Store) DeleteNote(ctx context.Context, workspaceID, conversationID, id uuid.UUID, check func(Note) error) (Note, error) {
	var out Note
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.NoteGetForUpdate(ctx, dbsqlc.NoteGetForUpdateParams{WorkspaceID: workspaceID, ConversationID: conversationID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		out = noteFromRow(old)
		if err := check(out); err != nil {
			return err
		}
		_, err = q.NoteDelete(ctx, dbsqlc.NoteDeleteParams{WorkspaceID: workspaceID, ConversationID: conversationID, ID: id})
		return err
	})
	if err != nil {
		return Note{}, fmt.Errorf("deleting note %s: %w", id, err)
	}
	return out, nil
}

// Notes returns up to limit notes of a conversation with seq > afterSeq,
// in order.
func (s *Store) Notes(ctx context.Context, workspaceID, conversationID uuid.UUID, afterSeq int64, limit int) ([]Note, error) {
	rows, err := s.q.NoteListAfter(ctx, dbsqlc.NoteListAfterParams{WorkspaceID: workspaceID, ConversationID: conversationID, Seq: afterSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing notes: %w", err)
	}
	out := make([]Note, len(rows))
	for i, r := range rows {
		out[i] = noteFromRow(r)
	}
	return out, nil
}

// mentionsOf is the set of operators to notify: each once, in the order
// given, never the author.
func mentionsOf(ids []uuid.UUID, author uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if id != author && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// notifyMentions puts an item in the inbox of each operator the note
// mentions; one per note and operator, so an edit that mentions someone
// again adds nothing.
func notifyMentions(ctx context.Context, q *dbsqlc.Queries, n Note, mentions []uuid.UUID, at time.Time) ([]Notification, error) {
	return notifyEach(ctx, q, NewNotification{
		WorkspaceID: n.WorkspaceID, Kind: NotificationMention, DedupeKey: "mention:" + n.ID.String(),
		ActorID: &n.AuthorID, ConversationID: &n.ConversationID, NoteID: &n.ID, Preview: preview(n.Body), At: at,
	}, mentions)
}

// notifyEach puts the item in the inbox of each operator of to (once per
// operator and dedupe key) and returns those it added.
func notifyEach(ctx context.Context, q *dbsqlc.Queries, item NewNotification, to []uuid.UUID) ([]Notification, error) {
	var out []Notification
	for _, op := range to {
		item.OperatorID = op
		added, err := insertNotification(ctx, q, item)
		if err != nil {
			return nil, err
		}
		if added != nil {
			out = append(out, *added)
		}
	}
	return out, nil
}

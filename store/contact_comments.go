package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Comment is an operator's comment on a contact.
type Comment struct {
	ID        uuid.UUID   `json:"id"`
	ContactID uuid.UUID   `json:"contact_id"`
	AuthorID  uuid.UUID   `json:"author_id"`
	Body      string      `json:"body"`
	Mentions  []uuid.UUID `json:"mentions"`
	CreatedAt time.Time   `json:"created_at"`
	EditedAt  *time.Time  `json:"edited_at"`
}

func commentFromRow(r dbsqlc.ContactComment) Comment {
	return Comment{
		ID: r.ID, ContactID: r.ContactID, AuthorID: r.AuthorID, Body: r.Body, Mentions: uuidsOrEmpty(r.Mentions),
		CreatedAt: r.CreatedAt, EditedAt: r.EditedAt,
	}
}

// CommentWritten is a comment as written and the items its mentions added.
type CommentWritten struct {
	Comment       Comment
	Notifications []Notification
}

// AddComment writes a comment on a contact and an item for every operator
// it mentions (the author excepted), in one transaction.
func (s *Store) AddComment(ctx context.Context, workspaceID, contactID, author uuid.UUID, body string, mentions []uuid.UUID) (CommentWritten, error) {
	var out CommentWritten
	mentions = mentionsOf(mentions, author)
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.ContactCommentInsert(ctx, dbsqlc.ContactCommentInsertParams{
			ID: newID(), WorkspaceID: workspaceID, ContactID: contactID, AuthorID: author, Body: body,
			Mentions: mentions, CreatedAt: time.Now(),
		})
		if err != nil {
			return interpretError(err)
		}
		out.Comment = commentFromRow(r)
		out.Notifications, err = notifyComment(ctx, q, workspaceID, out.Comment, mentions)
		return err
	})
	if err != nil {
		return CommentWritten{}, fmt.Errorf("commenting on contact %s: %w", contactID, err)
	}
	return out, nil
}

// EditComment replaces a comment's body; check sees it under lock and may
// refuse. Newly mentioned operators get an item.
func (s *Store) EditComment(ctx context.Context, workspaceID, contactID, id uuid.UUID, body string, mentions []uuid.UUID, check func(Comment) error) (CommentWritten, error) {
	var out CommentWritten
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.ContactCommentGetForUpdate(ctx, dbsqlc.ContactCommentGetForUpdateParams{WorkspaceID: workspaceID, ContactID: contactID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		if err := check(commentFromRow(old)); err != nil {
			return err
		}
		mentions = mentionsOf(mentions, old.AuthorID)
		at := time.Now()
		r, err := q.ContactCommentUpdate(ctx, dbsqlc.ContactCommentUpdateParams{WorkspaceID: workspaceID, ID: id, Body: body, Mentions: mentions, EditedAt: &at})
		if err != nil {
			return interpretError(err)
		}
		out.Comment = commentFromRow(r)
		out.Notifications, err = notifyComment(ctx, q, workspaceID, out.Comment, mentions)
		return err
	})
	if err != nil {
		return CommentWritten{}, fmt.Errorf("editing comment %s: %w", id, err)
	}
	return out, nil
}

// DeleteComment removes a comment; check sees it under lock and may
// refuse.
func (s *Store) DeleteComment(ctx context.Context, workspaceID, contactID, id uuid.UUID, check func(Comment) error) (Comment, error) {
	var out Comment
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.ContactCommentGetForUpdate(ctx, dbsqlc.ContactCommentGetForUpdateParams{WorkspaceID: workspaceID, ContactID: contactID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		out = commentFromRow(old)
		if err := check(out); err != nil {
			return err
		}
		_, err = q.ContactCommentDelete(ctx, dbsqlc.ContactCommentDeleteParams{WorkspaceID: workspaceID, ID: id})
		return err
	})
	if err != nil {
		return Comment{}, fmt.Errorf("deleting comment %s: %w", id, err)
	}
	return out, nil
}

// Comments lists a contact's comments, oldest first (at most limit).
func (s *Store) Comments(ctx context.Context, workspaceID, contactID uuid.UUID, limit int) ([]Comment, error) {
	rows, err := s.q.ContactCommentList(ctx, dbsqlc.ContactCommentListParams{WorkspaceID: workspaceID, ContactID: contactID, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("listing comments: %w", err)
	}
	out := make([]Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromRow(r)
	}
	return out, nil
}

func notifyComment(ctx context.Context, q *dbsqlc.Queries, workspaceID uuid.UUID, c Comment, mentions []uuid.UUID) ([]Notification, error) {
	return notifyEach(ctx, q, NewNotification{
		WorkspaceID: workspaceID, Kind: NotificationMention, DedupeKey: "mention:" + c.ID.String(),
		ActorID: &c.AuthorID, ContactID: &c.ContactID, Preview: preview(c.Body), At: time.Now(),
	}, mentions)
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Contact is a customer known to the workspace, across the visitors
// (browsers, devices) that verified as them.
type Contact struct {
	ID          uuid.UUID `json:"id"`
	WorkspaceID uuid.UUID `json:"-"`
	ExternalID  *string   `json:"external_id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	// CSNotes are for admins only; the API leaves them out for others.
	CSNotes string `json:"-"`
	// TagIDs are the workspace tags on the contact.
	TagIDs    []uuid.UUID `json:"tag_ids"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func contactFromRow(r dbsqlc.Contact) Contact {
	return Contact{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ExternalID: r.ExternalID, Name: r.Name, Email: r.Email,
		CSNotes: r.CsNotes, TagIDs: uuidsOrEmpty(r.TagIDs), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// Contact returns one contact of a workspace.
func (s *Store) Contact(ctx context.Context, workspaceID, id uuid.UUID) (Contact, error) {
	r, err := s.q.ContactGet(ctx, dbsqlc.ContactGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Contact{}, interpretError(err)
	}
	return contactFromRow(r), nil
}

// ContactChange is a partial update; nil fields stay as they are.
type ContactChange struct {
	Name    *string
	Email   *string
	CSNotes *string
}

// UpdateContact applies a change and returns the contact before and after.
func (s *Store) UpdateContact(ctx context.Context, workspaceID, id uuid.UUID, ch ContactChange) (before, after Contact, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		before = contactFromRow(old)
		p := dbsqlc.ContactUpdateParams{WorkspaceID: workspaceID, ID: id, Name: old.Name, Email: old.Email, CsNotes: old.CsNotes}
		if ch.Name != nil {
			p.Name = *ch.Name
		}
		if ch.Email != nil {
			p.Email = *ch.Email
		}
		if ch.CSNotes != nil {
			p.CsNotes = *ch.CSNotes
		}
		r, err := q.ContactUpdate(ctx, p)
		if err != nil {
			return interpretError(err)
		}
		after = contactFromRow(r)
		return nil
	})
	if err != nil {
		return Contact{}, Contact{}, fmt.Errorf("updating contact %s: %w", id, err)
	}
	return before, after, nil
}

// ContactVisibleConversation returns a conversation the visitor may read:
// its own, or, when the visitor is verified, one of its contact's.
func (s *Store) ContactVisibleConversation(ctx context.Context, workspaceID, visitorID, id uuid.UUID) (Conversation, error) {
	r, err := s.q.ContactConversationGetForVisitor(ctx, dbsqlc.ContactConversationGetForVisitorParams{
		WorkspaceID: workspaceID, ID: id, VisitorID: visitorID,
	})
	if err != nil {
		return Conversation{}, interpretError(err)
	}
	return conversationFromRow(r), nil
}

// ContactVisibleConversations lists what ContactVisibleConversation allows,
// newest first.
func (s *Store) ContactVisibleConversations(ctx context.Context, workspaceID, visitorID uuid.UUID, limit int) ([]Conversation, error) {
	rows, err := s.q.ContactConversationListForVisitor(ctx, dbsqlc.ContactConversationListForVisitorParams{
		WorkspaceID: workspaceID, VisitorID: visitorID, RowLimit: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("listing visitor %s's conversations: %w", visitorID, err)
	}
	out := make([]Conversation, len(rows))
	for i, r := range rows {
		out[i] = conversationFromRow(r)
	}
	return out, nil
}

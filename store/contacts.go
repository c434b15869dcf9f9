package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
	Phone       string    `json:"phone"`
	AvatarURL   string    `json:"avatar_url"`
	// Attributes are the contact's custom attributes (typed by the
	// workspace's definitions; a bot flow's answers are text).
	Attributes map[string]any `json:"attributes"`
	// CSNotes are for admins only; the API leaves them out for others.
	CSNotes string `json:"-"`
	// TagIDs are the workspace tags on the contact.
	TagIDs     []uuid.UUID `json:"tag_ids"`
	LastSeenAt *time.Time  `json:"last_seen_at"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

func contactFromRow(r dbsqlc.Contact) Contact {
	attrs := map[string]any{}
	if len(r.Attributes) > 0 {
		_ = json.Unmarshal(r.Attributes, &attrs) // a jsonb object always decodes
	}
	return Contact{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ExternalID: r.ExternalID, Name: r.Name, Email: r.Email,
		Phone: r.Phone, AvatarURL: r.AvatarUrl, Attributes: attrs, LastSeenAt: r.LastSeenAt,
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

// ContactChange is a partial update; nil fields stay as they are. In
// Attributes a nil value removes the attribute.
type ContactChange struct {
	Name       *string
	Email      *string
	Phone      *string
	AvatarURL  *string
	CSNotes    *string
	Attributes map[string]any
}

// UpdateContact applies a change and returns the contact before and after.
func (s *Store) UpdateContact(ctx context.Context, workspaceID, id uuid.UUID, ch ContactChange) (before, after Contact, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		before = contactFromRow(old)
		r, err := editContact(ctx, q, before, ch)
		if err != nil {
			return err
		}
		after = contactFromRow(r)
		return nil
	})
	if err != nil {
		return Contact{}, Contact{}, fmt.Errorf("updating contact %s: %w", id, err)
	}
	return before, after, nil
}

// editContact writes cur with the change applied.
func editContact(ctx context.Context, q *dbsqlc.Queries, cur Contact, ch ContactChange) (dbsqlc.Contact, error) {
	p := dbsqlc.ContactEditParams{
		WorkspaceID: cur.WorkspaceID, ID: cur.ID, Name: cur.Name, Email: cur.Email, Phone: cur.Phone,
		AvatarUrl: cur.AvatarURL, CsNotes: cur.CSNotes,
	}
	for _, f := range []struct {
		to   *string
		from *string
	}{{&p.Name, ch.Name}, {&p.Email, ch.Email}, {&p.Phone, ch.Phone}, {&p.AvatarUrl, ch.AvatarURL}, {&p.CsNotes, ch.CSNotes}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	attrs := maps.Clone(cur.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	for k, v := range ch.Attributes {
		if v == nil {
			delete(attrs, k)
		} else {
			attrs[k] = v
		}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return dbsqlc.Contact{}, err
	}
	p.Attributes = raw
	r, err := q.ContactEdit(ctx, p)
	return r, interpretError(err)
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

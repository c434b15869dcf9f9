package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// ClaimedIdentity is who a visitor says it is.
type ClaimedIdentity struct {
	ExternalID string
	Name       string
	Email      string
}

// VerifyVisitorIdentity records a verified identity: the contact with the
// external id is created or updated (empty name or email keep the stored
// ones) and the visitor becomes one of its devices.
func (s *Store) VerifyVisitorIdentity(ctx context.Context, workspaceID, visitorID uuid.UUID, id ClaimedIdentity) (Contact, error) {
	var contact Contact
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		ext := id.ExternalID
		r, err := q.ContactUpsertByExternalID(ctx, dbsqlc.ContactUpsertByExternalIDParams{
			ID: newID(), WorkspaceID: workspaceID, ExternalID: &ext, Name: id.Name, Email: id.Email,
		})
		if err != nil {
			return interpretError(err)
		}
		contact = contactFromRow(r)
		_, err = q.VisitorLinkContact(ctx, dbsqlc.VisitorLinkContactParams{
			WorkspaceID: workspaceID, ID: visitorID, ContactID: uuid.NullUUID{UUID: r.ID, Valid: true},
		})
		return interpretError(err)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("verifying visitor %s as %q: %w", visitorID, id.ExternalID, err)
	}
	return contact, nil
}

// ClaimVisitorIdentity records an unverified identity on the visitor alone:
// no contact is created or linked, and any earlier verified link is cut.
func (s *Store) ClaimVisitorIdentity(ctx context.Context, workspaceID, visitorID uuid.UUID, id ClaimedIdentity) error {
	_, err := s.q.VisitorSetClaimedIdentity(ctx, dbsqlc.VisitorSetClaimedIdentityParams{
		WorkspaceID: workspaceID, ID: visitorID,
		ClaimedExternalID: id.ExternalID, ClaimedName: id.Name, ClaimedEmail: id.Email,
	})
	if err != nil {
		return fmt.Errorf("recording visitor %s's claimed identity: %w", visitorID, interpretError(err))
	}
	return nil
}

// VisitorIdentity is what a visitor proved about itself and what its
// workspace requires of visitors.
type VisitorIdentity struct {
	RequireIdentity bool
	// ContactID is the contact the visitor verified as; nil when it has
	// not (anonymous, or only an unverified claim).
	ContactID *uuid.UUID
}

// Verified reports whether the visitor proved who it is.
func (v VisitorIdentity) Verified() bool { return v.ContactID != nil }

// VisitorIdentity reads a visitor's identity state; ErrNotFound when there
// is no such visitor in the workspace.
func (s *Store) VisitorIdentity(ctx context.Context, workspaceID, visitorID uuid.UUID) (VisitorIdentity, error) {
	r, err := s.q.VisitorIdentityGet(ctx, dbsqlc.VisitorIdentityGetParams{WorkspaceID: workspaceID, ID: visitorID})
	if err != nil {
		return VisitorIdentity{}, fmt.Errorf("reading visitor %s's identity: %w", visitorID, interpretError(err))
	}
	id := VisitorIdentity{RequireIdentity: r.RequireIdentity}
	if r.IdentityVerified {
		id.ContactID = uuidPtr(r.ContactID)
	}
	return id, nil
}

// BindVisitorInbox records the inbox whose widget the visitor uses: its
// conversations are routed by that inbox, its socket checked against the
// inbox's origins.
func (s *Store) BindVisitorInbox(ctx context.Context, workspaceID, visitorID, inboxID uuid.UUID) error {
	err := s.q.VisitorBindInbox(ctx, dbsqlc.VisitorBindInboxParams{
		WorkspaceID: workspaceID, ID: visitorID, InboxID: uuid.NullUUID{UUID: inboxID, Valid: true},
	})
	if err != nil {
		return fmt.Errorf("binding visitor %s to inbox %s: %w", visitorID, inboxID, interpretError(err))
	}
	return nil
}

// VisitorInbox returns the inbox a visitor is bound to, nil for none.
func (s *Store) VisitorInbox(ctx context.Context, workspaceID, visitorID uuid.UUID) (*uuid.UUID, error) {
	id, err := s.q.VisitorInboxGet(ctx, dbsqlc.VisitorInboxGetParams{WorkspaceID: workspaceID, ID: visitorID})
	if err != nil {
		return nil, interpretError(err)
	}
	return uuidPtr(id), nil
}

// Visitor is a browser the widget runs in.
type Visitor struct {
	ID          uuid.UUID  `json:"id"`
	WorkspaceID uuid.UUID  `json:"workspace_id"`
	ContactID   *uuid.UUID `json:"contact_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
}

func visitorFromRow(r dbsqlc.Visitor) Visitor {
	return Visitor{ID: r.ID, WorkspaceID: r.WorkspaceID, ContactID: uuidPtr(r.ContactID), CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt}
}

// CreateVisitor registers a new anonymous visitor.
func (s *Store) CreateVisitor(ctx context.Context, workspaceID uuid.UUID) (Visitor, error) {
	r, err := s.q.VisitorInsert(ctx, dbsqlc.VisitorInsertParams{ID: newID(), WorkspaceID: workspaceID})
	if err != nil {
		return Visitor{}, fmt.Errorf("creating visitor: %w", interpretError(err))
	}
	return visitorFromRow(r), nil
}

// TouchVisitor records that a visitor is present and returns it.
func (s *Store) TouchVisitor(ctx context.Context, workspaceID, id uuid.UUID) (Visitor, error) {
	r, err := s.q.VisitorTouch(ctx, dbsqlc.VisitorTouchParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Visitor{}, interpretError(err)
	}
	return visitorFromRow(r), nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/db/sqlc"
)

// APIToken is a token of the public REST API as listed; the token itself
// is shown once, at creation, and never stored.
type APIToken struct {
	ID          uuid.UUID  `json:"id"`
	WorkspaceID uuid.UUID  `json:"-"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	Role        string     `json:"role"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   uuid.UUID  `json:"created_by"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

func apiTokenFromRow(r dbsqlc.ApiToken) APIToken {
	return APIToken{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Prefix: r.Prefix, Role: r.Role,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt,
	}
}

// NewAPIToken is what creating an API token takes.
type NewAPIToken struct {
	WorkspaceID uuid.UUID
	Name        string
	TokenHash   []byte
	Prefix      string
	Role        string
	// CreatedBy is the operator the token acts for.
	CreatedBy uuid.UUID
}

// CreateAPIToken stores a token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, n NewAPIToken) (APIToken, error) {
	r, err := s.q.APITokenInsert(ctx, dbsqlc.APITokenInsertParams{
		ID: newID(), WorkspaceID: n.WorkspaceID, Name: n.Name, TokenHash: n.TokenHash,
		Prefix: n.Prefix, Role: n.Role, CreatedBy: n.CreatedBy,
	})
	if err != nil {
		return APIToken{}, fmt.Errorf("creating API token %q: %w", n.Name, interpretError(err))
	}
	return apiTokenFromRow(r), nil
}

// APITokens lists a workspace's tokens, revoked ones included, newest first.
func (s *Store) APITokens(ctx context.Context, workspaceID uuid.UUID) ([]APIToken, error) {
	rows, err := s.q.APITokenList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing API tokens: %w", err)
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = apiTokenFromRow(r)
	}
	return out, nil
}

// RevokeAPIToken revokes a token at once. revoked is false when the token
// was already revoked (nothing changed); ErrNotFound when there is no such
// token in the workspace.
//
// The revocation is recorded in the same transaction, so every node
// closes the sockets the token opened.
func (s *Store) RevokeAPIToken(ctx context.Context, workspaceID, id uuid.UUID) (tok APIToken, revoked bool, err error) {
	var rv Revocation
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		r, err := q.APITokenRevoke(ctx, dbsqlc.APITokenRevokeParams{WorkspaceID: workspaceID, ID: id})
		if err != nil {
			return interpretError(err)
		}
		tok = apiTokenFromRow(r)
		rv, err = revoke(ctx, q, workspaceID, RevokedToken, id)
		return err
	})
	if err == nil {
		s.revoked(ctx, []Revocation{rv})
		return tok, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return APIToken{}, false, fmt.Errorf("revoking API token %s: %w", id, err)
	}
	r, err := s.q.APITokenGet(ctx, dbsqlc.APITokenGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return APIToken{}, false, interpretError(err)
	}
	return apiTokenFromRow(r), false, nil
}

// WorkspaceSettings are a workspace's admin-managed settings.
type WorkspaceSettings struct {
	ID              uuid.UUID
	Name            string
	RequireIdentity bool
	// IdentitySecret keys the HMAC with which sites vouch for contacts.
	IdentitySecret []byte
}

func settingsFromRow(r dbsqlc.Workspace) WorkspaceSettings {
	return WorkspaceSettings{ID: r.ID, Name: r.Name, RequireIdentity: r.RequireIdentity, IdentitySecret: r.IdentitySecret}
}

// WorkspaceSettings returns a workspace's settings.
func (s *Store) WorkspaceSettings(ctx context.Context, id uuid.UUID) (WorkspaceSettings, error) {
	r, err := s.q.WorkspaceGet(ctx, id)
	if err != nil {
		return WorkspaceSettings{}, interpretError(err)
	}
	return settingsFromRow(r), nil
}

// SettingsChange is a partial update; nil fields stay as they are.
type SettingsChange struct {
	Name            *string
	RequireIdentity *bool
}

// UpdateWorkspaceSettings applies a change and returns the settings before
// and after it, read under the row lock.
func (s *Store) UpdateWorkspaceSettings(ctx context.Context, id uuid.UUID, ch SettingsChange) (before, after WorkspaceSettings, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		old, err := q.WorkspaceGetForUpdate(ctx, id)
		if err != nil {
			return interpretError(err)
		}
		before = settingsFromRow(old)
		p := dbsqlc.WorkspaceUpdateSettingsParams{ID: id, Name: old.Name, RequireIdentity: old.RequireIdentity}
		if ch.Name != nil {
			p.Name = *ch.Name
		}
		if ch.RequireIdentity != nil {
			p.RequireIdentity = *ch.RequireIdentity
		}
		r, err := q.WorkspaceUpdateSettings(ctx, p)
		if err != nil {
			return interpretError(err)
		}
		after = settingsFromRow(r)
		return nil
	})
	if err != nil {
		return WorkspaceSettings{}, WorkspaceSettings{}, fmt.Errorf("updating workspace %s settings: %w", id, err)
	}
	return before, after, nil
}

// RotateIdentitySecret replaces the workspace's identity secret with a new
// random one; hashes made with the old one stop verifying at once.
func (s *Store) RotateIdentitySecret(ctx context.Context, id uuid.UUID) (WorkspaceSettings, error) {
	r, err := s.q.WorkspaceRotateIdentitySecret(ctx, dbsqlc.WorkspaceRotateIdentitySecretParams{ID: id, IdentitySecret: randomBytes(32)})
	if err != nil {
		return WorkspaceSettings{}, fmt.Errorf("rotating identity secret of workspace %s: %w", id, interpretError(err))
	}
	return settingsFromRow(r), nil
}

// Contact is a customer known to the workspace, across the visitors
// (browsers, devices) that verified as them.
type Contact struct {
	ID          uuid.UUID `json:"id"`
	WorkspaceID uuid.UUID `json:"-"`
	ExternalID  *string   `json:"external_id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	// CSNotes are for admins only; the API leaves them out for others.
	CSNotes   string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func contactFromRow(r dbsqlc.Contact) Contact {
	return Contact{
		ID: r.ID, WorkspaceID: r.WorkspaceID, ExternalID: r.ExternalID, Name: r.Name, Email: r.Email,
		CSNotes: r.CsNotes, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
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

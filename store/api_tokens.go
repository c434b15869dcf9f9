package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
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

// APITokenPrincipal is who an API token acts as.
type APITokenPrincipal struct {
	TokenID     uuid.UUID
	Role        string
	Operator    Operator
	Departments []uuid.UUID
	LastUsedAt  *time.Time
}

// AuthenticateAPIToken finds a live token by its hash.
func (s *Store) AuthenticateAPIToken(ctx context.Context, tokenHash []byte) (APITokenPrincipal, error) {
	r, err := s.q.APITokenAuthenticate(ctx, tokenHash)
	if err != nil {
		return APITokenPrincipal{}, interpretError(err)
	}
	return APITokenPrincipal{TokenID: r.TokenID, Role: r.TokenRole, Operator: operatorFromRow(r.Operator), Departments: r.DepartmentIDs, LastUsedAt: r.LastUsedAt}, nil
}

// TouchAPIToken records a token's use.
func (s *Store) TouchAPIToken(ctx context.Context, workspaceID, id uuid.UUID) error {
	return interpretError(s.q.APITokenTouch(ctx, dbsqlc.APITokenTouchParams{WorkspaceID: workspaceID, ID: id}))
}

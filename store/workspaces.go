package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// Workspace owns everything else.
type Workspace struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	VisitorTokenKey []byte    `json:"-"`
	CreatedAt       time.Time `json:"created_at"`
}

func workspaceFromRow(r dbsqlc.Workspace) Workspace {
	return Workspace{ID: r.ID, Name: r.Name, VisitorTokenKey: r.VisitorTokenKey, CreatedAt: r.CreatedAt}
}

// CreateWorkspace creates a workspace with a fresh visitor-token key.
func (s *Store) CreateWorkspace(ctx context.Context, name string) (Workspace, error) {
	r, err := s.q.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{ID: newID(), Name: name, VisitorTokenKey: randomBytes(32)})
	if err != nil {
		return Workspace{}, fmt.Errorf("creating workspace: %w", interpretError(err))
	}
	return workspaceFromRow(r), nil
}

// Workspace returns one workspace.
func (s *Store) Workspace(ctx context.Context, id uuid.UUID) (Workspace, error) {
	r, err := s.q.WorkspaceGet(ctx, id)
	if err != nil {
		return Workspace{}, interpretError(err)
	}
	return workspaceFromRow(r), nil
}

// FirstWorkspace returns the oldest workspace, or ErrNotFound on a new
// installation.
func (s *Store) FirstWorkspace(ctx context.Context) (Workspace, error) {
	r, err := s.q.WorkspaceFirst(ctx)
	if err != nil {
		return Workspace{}, interpretError(err)
	}
	return workspaceFromRow(r), nil
}

// CreateWorkspaceWithOwner creates a workspace and its first operator, an
// owner, in one transaction: there is never a workspace nobody can manage.
func (s *Store) CreateWorkspaceWithOwner(ctx context.Context, name string, owner NewOperator) (Workspace, Operator, error) {
	var ws Workspace
	var op Operator
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{ID: newID(), Name: name, VisitorTokenKey: randomBytes(32)})
		if err != nil {
			return fmt.Errorf("creating workspace: %w", interpretError(err))
		}
		o, err := q.OperatorInsert(ctx, dbsqlc.OperatorInsertParams{
			ID: newID(), WorkspaceID: w.ID, Email: owner.Email, Name: owner.Name, PasswordHash: owner.PasswordHash, Role: access.RoleOwner,
		})
		if err != nil {
			return fmt.Errorf("creating owner %s: %w", owner.Email, interpretError(err))
		}
		ws, op = workspaceFromRow(w), operatorFromRow(o)
		return nil
	})
	if err != nil {
		return Workspace{}, Operator{}, err
	}
	return ws, op, nil
}

// WorkspaceSettings are a workspace's admin-managed settings.
type WorkspaceSettings struct {
	ID              uuid.UUID
	Name            string
	RequireIdentity bool
	// IdentitySecret keys the HMAC with which sites vouch for contacts.
	IdentitySecret []byte
	// HumanPhrases are what a visitor writes to ask a bot for a person
	// (normalized like keyword phrases).
	HumanPhrases []string
	// FlowHTTPHosts are the hosts bot flows may call.
	FlowHTTPHosts []string
	// AwayAfter: an operator whose sockets all closed is away after this
	// grace; OfflineAfter (from the same moment): offline.
	AwayAfter, OfflineAfter time.Duration
}

func settingsFromRow(r dbsqlc.Workspace) WorkspaceSettings {
	return WorkspaceSettings{
		ID: r.ID, Name: r.Name, RequireIdentity: r.RequireIdentity, IdentitySecret: r.IdentitySecret,
		HumanPhrases: r.HumanPhrases, FlowHTTPHosts: r.FlowHTTPHosts,
		AwayAfter: time.Duration(r.AwayAfterSeconds) * time.Second, OfflineAfter: time.Duration(r.OfflineAfterSeconds) * time.Second,
	}
}

// WorkspaceSettings returns a workspace's settings.
func (s *Store) WorkspaceSettings(ctx context.Context, id uuid.UUID) (WorkspaceSettings, error) {
	r, err := s.q.WorkspaceGet(ctx, id)
	if err != nil {
		return WorkspaceSettings{}, interpretError(err)
	}
	return settingsFromRow(r), nil
}

// ErrOfflineBeforeAway: a workspace's presence would make operators
// offline before they are away.
var ErrOfflineBeforeAway = errors.New("offline_after is less than away_after")

// SettingsChange is a partial update; nil fields stay as they are.
type SettingsChange struct {
	Name            *string
	RequireIdentity *bool
	HumanPhrases    *[]string
	FlowHTTPHosts   *[]string
	// AwayAfter and OfflineAfter, in whole seconds.
	AwayAfter, OfflineAfter *time.Duration
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
		p := dbsqlc.WorkspaceUpdateSettingsParams{
			ID: id, Name: old.Name, RequireIdentity: old.RequireIdentity, HumanPhrases: old.HumanPhrases, FlowHTTPHosts: old.FlowHTTPHosts,
			AwayAfterSeconds: old.AwayAfterSeconds, OfflineAfterSeconds: old.OfflineAfterSeconds,
		}
		if ch.AwayAfter != nil {
			p.AwayAfterSeconds = int32(*ch.AwayAfter / time.Second)
		}
		if ch.OfflineAfter != nil {
			p.OfflineAfterSeconds = int32(*ch.OfflineAfter / time.Second)
		}
		if p.OfflineAfterSeconds < p.AwayAfterSeconds {
			return ErrOfflineBeforeAway
		}
		if ch.HumanPhrases != nil {
			p.HumanPhrases = *ch.HumanPhrases
		}
		if ch.FlowHTTPHosts != nil {
			p.FlowHTTPHosts = *ch.FlowHTTPHosts
		}
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

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
)

// FirstAdmin is the owner created on a new installation.
type FirstAdmin struct {
	WorkspaceID string
	Email       string
	Password    string
}

// EnsureFirstAdmin creates a workspace and its owner when the installation
// has none, and returns the credentials so they can be printed once. On an
// installation that has a workspace it returns nil.
func EnsureFirstAdmin(ctx context.Context, st *store.Store, email string) (*FirstAdmin, error) {
	if _, err := st.FirstWorkspace(ctx); err == nil {
		return nil, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ws, err := st.CreateWorkspace(ctx, "My workspace")
	if err != nil {
		return nil, err
	}
	password := auth.RandomPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	if _, err := st.CreateOperator(ctx, store.NewOperator{
		WorkspaceID: ws.ID, Email: email, Name: "Admin", PasswordHash: hash, Role: "owner",
	}); err != nil {
		return nil, fmt.Errorf("creating the first admin: %w", err)
	}
	return &FirstAdmin{WorkspaceID: ws.ID.String(), Email: email, Password: password}, nil
}

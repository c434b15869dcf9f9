package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/db"
	"github.com/switchboardhq/switchboard/store"
)

// runMigrate applies migrations (advisory-locked, so concurrent deploys are
// safe) and creates the first admin on a new installation.
func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	downTo := fs.Int64("down-to", -1, "roll the schema back to this migration version (0: empty), running each newer migration's Down section; data in what they drop is lost")
	cfg, err := loadConfig(fs, args, defaults{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := app.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	pool, err := app.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *downTo >= 0 {
		undone, err := db.MigrateDownTo(ctx, pool, *downTo)
		if err != nil {
			return err
		}
		fmt.Printf("rolled back %d migration(s)\n", len(undone))
		for _, m := range undone {
			fmt.Println("  ", m)
		}
		return nil
	}
	applied, err := db.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Printf("applied %d migration(s)\n", len(applied))
	for _, m := range applied {
		fmt.Println("  ", m)
	}
	admin, err := app.EnsureFirstAdmin(ctx, store.New(pool), cfg.AdminEmail)
	if err != nil {
		return err
	}
	if admin != nil {
		fmt.Printf("created the first admin (shown only this once):\n  email     %s\n  password  %s\n  workspace %s\n", admin.Email, admin.Password, admin.WorkspaceID)
	}
	return nil
}

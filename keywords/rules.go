package keywords

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Rule is a workspace's keyword rule as the hot path needs it: phrases
// (normalized) and what a match means.
type Rule struct {
	ID           uuid.UUID
	Phrases      []string
	Priority     string
	DepartmentID *uuid.UUID
}

// Match returns the first rule, in order, one of whose phrases occurs in
// text; nil when none does.
func Match(rules []Rule, text string) *Rule {
	if len(rules) == 0 {
		return nil
	}
	t := NewText(text)
	for i := range rules {
		if t.ContainsAny(rules[i].Phrases) {
			return &rules[i]
		}
	}
	return nil
}

// Cache holds each workspace's enabled rules for TTL, so matching a
// message costs no query. A change made on this node is seen at once
// (Forget); other nodes see it within TTL.
type Cache struct {
	TTL  time.Duration
	Load func(ctx context.Context, workspaceID uuid.UUID) ([]Rule, error)

	m sync.Map // uuid.UUID -> cached
}

type cached struct {
	rules []Rule
	at    time.Time
}

// Rules returns the workspace's rules, loading them when not cached or
// older than TTL.
func (c *Cache) Rules(ctx context.Context, workspaceID uuid.UUID) ([]Rule, error) {
	if v, ok := c.m.Load(workspaceID); ok {
		if e := v.(cached); time.Since(e.at) < c.TTL {
			return e.rules, nil
		}
	}
	rules, err := c.Load(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	c.m.Store(workspaceID, cached{rules: rules, at: time.Now()})
	return rules, nil
}

// Forget drops a workspace's rules, after they changed.
func (c *Cache) Forget(workspaceID uuid.UUID) { c.m.Delete(workspaceID) }

package store

import (
	"context"
	"fmt"
	"time"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// CleanUpResult counts the rows a clean-up deleted.
type CleanUpResult struct {
	Sessions      int64
	OneTimeTokens int64
	Visitors      int64
	Revocations   int64
}

// Retention of what CleanUp deletes.
const (
	// AbandonedVisitorAge: an anonymous visitor unseen this long has no
	// valid token left (it lives 30 days from the visitor's last session).
	AbandonedVisitorAge = 30 * 24 * time.Hour
	// RevocationAge is far longer than any node's poll window.
	RevocationAge = time.Hour
	cleanUpBatch  = 1000
)

// CleanUp deletes, across workspaces, what nobody can use any more:
// expired sessions, used or expired invites and password resets,
// anonymous visitors without conversations unseen for
// AbandonedVisitorAge, and revocations older than RevocationAge. It
// deletes in batches, each its own statement, so no long transaction
// holds locks; running it again is harmless.
func (s *Store) CleanUp(ctx context.Context, now time.Time) (CleanUpResult, error) {
	var res CleanUpResult
	steps := []struct {
		what  string
		count *int64
		run   func() (int64, error)
	}{
		{"expired sessions", &res.Sessions, func() (int64, error) {
			return s.q.OperatorSessionDeleteExpired(ctx, cleanUpBatch)
		}},
		{"used or expired one-time tokens", &res.OneTimeTokens, func() (int64, error) {
			return s.q.OperatorTokenDeleteDead(ctx, cleanUpBatch)
		}},
		{"abandoned visitors", &res.Visitors, func() (int64, error) {
			return s.q.VisitorDeleteAbandoned(ctx, dbsqlc.VisitorDeleteAbandonedParams{UnseenSince: now.Add(-AbandonedVisitorAge), Batch: cleanUpBatch})
		}},
		{"old revocations", &res.Revocations, func() (int64, error) {
			return s.q.RevocationDeleteOld(ctx, dbsqlc.RevocationDeleteOldParams{CreatedBefore: now.Add(-RevocationAge), Batch: cleanUpBatch})
		}},
	}
	for _, st := range steps {
		for {
			n, err := st.run()
			if err != nil {
				return res, fmt.Errorf("deleting %s: %w", st.what, err)
			}
			*st.count += n
			if n < cleanUpBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// Package outbox delivers committed messages to their conversation's
// workflow. The API writes an outbox row in the same transaction as the
// message; the relay signals the workflow (SignalWithStart, so a missing or
// finished run is started) and deletes the row only once Temporal has
// accepted the signal. A crash of any process between commit and signal
// therefore loses nothing: the row is still there for the next relay.
//
// One relay in the deployment is active at a time (a PostgreSQL advisory
// lock elects it), so one conversation's rows are signalled in commit
// order; the workflow de-duplicates the rare redelivery by seq.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/metrics"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// leaderLockKey is the advisory lock that elects the active relay.
const leaderLockKey int64 = 0x5377_6974_6368_0001

// Relay moves outbox rows into Temporal.
type Relay struct {
	Store    *store.Store
	Pool     *pgxpool.Pool
	Temporal client.Client
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	// Poll is how often the relay looks for rows when nobody kicks it.
	Poll time.Duration
	// Batch is the most rows read per round.
	Batch int
	// Parallel is how many conversations are signalled at once.
	Parallel int

	kickOnce sync.Once
	kick     chan struct{}
}

func (r *Relay) init() {
	r.kickOnce.Do(func() {
		r.kick = make(chan struct{}, 1)
		if r.Poll == 0 {
			r.Poll = 200 * time.Millisecond
		}
		if r.Batch == 0 {
			r.Batch = 500
		}
		if r.Parallel == 0 {
			r.Parallel = 32
		}
	})
}

// Kick wakes the relay now; the API calls it after committing a row in the
// same process. It never blocks.
func (r *Relay) Kick() {
	r.init()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends. It waits to become the leader first.
func (r *Relay) Run(ctx context.Context) error {
	r.init()
	for {
		err := r.lead(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.Logger.WarnContext(ctx, "outbox relay lost its database session; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// lead holds the leader lock on one connection for as long as it relays.
func (r *Relay) lead(ctx context.Context) error {
	conn, err := r.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquiring relay connection: %w", err)
	}
	defer conn.Release()
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leaderLockKey).Scan(&got); err != nil {
			return fmt.Errorf("taking relay leader lock: %w", err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	defer func() {
		// The session may be gone; a fresh context lets the unlock run
		// during shutdown.
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, leaderLockKey)
	}()
	r.Logger.InfoContext(ctx, "outbox relay is active")

	statsEvery := time.NewTicker(5 * time.Second)
	defer statsEvery.Stop()
	for {
		n, err := r.round(ctx)
		if err != nil && ctx.Err() == nil {
			r.Logger.WarnContext(ctx, "outbox round failed", "err", err)
		}
		if err == nil && n == r.Batch {
			continue // more is waiting
		}
		// Ping the lock's session so a lost connection is noticed.
		if err := conn.Ping(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.kick:
		case <-time.After(r.Poll):
		case <-statsEvery.C:
			r.recordStats(ctx)
		}
	}
}

func (r *Relay) recordStats(ctx context.Context) {
	backlog, age, err := r.Store.OutboxStats(ctx)
	if err != nil {
		return
	}
	r.Metrics.OutboxBacklog.Set(float64(backlog))
	r.Metrics.OutboxAge.Set(age.Seconds())
}

// round delivers one batch and returns how many rows it read.
func (r *Relay) round(ctx context.Context) (int, error) {
	items, err := r.Store.OutboxDue(ctx, r.Batch)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	// Group by conversation, keeping commit order inside each group.
	var order []uuid.UUID
	groups := map[uuid.UUID][]store.OutboxItem{}
	for _, it := range items {
		if _, ok := groups[it.ConversationID]; !ok {
			order = append(order, it.ConversationID)
		}
		groups[it.ConversationID] = append(groups[it.ConversationID], it)
	}

	var mu sync.Mutex
	var delivered []int64
	sem := make(chan struct{}, r.Parallel)
	var wg sync.WaitGroup
	for _, id := range order {
		group := groups[id]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			done := r.deliverGroup(ctx, group)
			mu.Lock()
			delivered = append(delivered, done...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(delivered) > 0 {
		// A crash before this delete redelivers these rows; the workflow
		// ignores a seq it has seen.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.Store.OutboxDelete(dctx, delivered); err != nil {
			return len(items), err
		}
	}
	backlog := len(items) - len(delivered)
	if backlog == 0 {
		r.Metrics.OutboxBacklog.Set(0)
		r.Metrics.OutboxAge.Set(0)
	}
	return len(items), nil
}

// deliverGroup signals one conversation's rows in order and stops at the
// first failure, which is retried later with the rows behind it.
func (r *Relay) deliverGroup(ctx context.Context, group []store.OutboxItem) []int64 {
	done := make([]int64, 0, len(group))
	for _, it := range group {
		if err := r.signal(ctx, it); err != nil {
			if ctx.Err() != nil {
				return done
			}
			r.Metrics.SignalFailures.Inc()
			backoff := min(time.Duration(1<<min(it.Attempts, 8))*100*time.Millisecond, 30*time.Second)
			r.Logger.WarnContext(ctx, "signalling conversation workflow failed; will retry",
				"conversation", it.ConversationID, "outbox_id", it.ID, "attempt", it.Attempts+1, "retry_in", backoff, "err", err)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = r.Store.OutboxRetryLater(rctx, it.ID, err.Error(), time.Now().Add(backoff))
			cancel()
			return done
		}
		r.Metrics.OutboxLatency.Observe(time.Since(it.CreatedAt).Seconds())
		done = append(done, it.ID)
	}
	return done
}

func (r *Relay) signal(ctx context.Context, it store.OutboxItem) error {
	var name string
	var arg any
	switch it.Kind {
	case store.OutboxMessageCreated:
		var m store.Message
		if err := json.Unmarshal(it.Payload, &m); err != nil {
			return fmt.Errorf("decoding outbox row %d: %w", it.ID, err)
		}
		name = workflows.SignalMessage
		arg = workflows.MessageSignal{
			MessageID: m.ID, Seq: m.Seq, SenderType: m.SenderType, SenderID: m.SenderID, CreatedAt: m.CreatedAt,
		}
	case store.OutboxConversationStarted:
		name = workflows.SignalStarted
		arg = workflows.StartedSignal{CreatedAt: it.CreatedAt}
	default:
		return errors.New("unknown outbox kind " + it.Kind)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	id := workflows.ConversationWorkflowID(it.ConversationID)
	_, err := r.Temporal.SignalWithStartWorkflow(sctx, id, name, arg, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ConversationWorkflow, workflows.ConversationInput{WorkspaceID: it.WorkspaceID, ConversationID: it.ConversationID})
	return err
}

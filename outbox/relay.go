// Package outbox delivers committed messages to their conversation's
// workflow. The API writes an outbox row in the same transaction as the
// message; the relay signals the workflow (SignalWithStart, so a missing or
// finished run is started) and deletes the row only once Temporal has
// accepted the signal. A crash of any process between commit and signal
// therefore loses nothing: the row is still there for the next relay.
//
// One relay in the deployment is active at a time (a PostgreSQL advisory
// lock elects it), so one conversation's rows are mostly signalled in
// commit order. Mostly: a leader that pauses or loses its session may go on
// signalling after another took over. So each leader takes a new epoch of
// the outbox_relay_lease, and its bookkeeping (delete, retry later,
// dead-letter) changes rows only while that epoch is current: a deposed
// relay can send a duplicate or late signal, never lose or kill a row. The
// workflow counts each seq once, also one that arrives late.
//
// A row that keeps failing is dead-lettered after MaxAttempts attempts (at
// once if it cannot be decoded) and stops holding back its conversation's
// later rows; an admin can send it back. Failures that mean Temporal is
// unavailable are not the row's fault and do not count.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/conversation"
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
	// MaxAttempts is how many failed deliveries dead-letter a row.
	MaxAttempts int
	// RetryBase is the first retry's delay; each attempt doubles it, up to
	// 30 s.
	RetryBase time.Duration
	// Holder names this relay in the lease row, for people reading it.
	Holder string

	kickOnce sync.Once
	kick     chan struct{}
	// afterSignal, set by tests, runs after a round's signals and before
	// its delete; an error ends the round there, as a crash would.
	afterSignal func() error
}

// DefaultMaxAttempts is MaxAttempts when it is not set.
const DefaultMaxAttempts = 8

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
		if r.MaxAttempts == 0 {
			r.MaxAttempts = DefaultMaxAttempts
		}
		if r.RetryBase == 0 {
			r.RetryBase = 100 * time.Millisecond
		}
		if r.Holder == "" {
			host, _ := os.Hostname()
			r.Holder = fmt.Sprintf("%s/%d", host, os.Getpid())
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
		// Its session was lost, or another relay took the lease.
		r.Logger.WarnContext(ctx, "outbox relay stopped leading; will try again", "err", err)
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
	epoch, err := r.Store.OutboxRelayLeaseTake(ctx, r.Holder)
	if err != nil {
		return err
	}
	r.Logger.InfoContext(ctx, "outbox relay is active", "epoch", epoch)

	statsEvery := time.NewTicker(5 * time.Second)
	defer statsEvery.Stop()
	r.recordStats(ctx)
	for {
		n, err := r.round(ctx, epoch)
		if errors.Is(err, store.ErrDeposed) {
			return err
		}
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
	backlog, age, dead, err := r.Store.OutboxStats(ctx)
	if err != nil {
		return
	}
	r.Metrics.OutboxBacklog.Set(float64(backlog))
	r.Metrics.OutboxAge.Set(age.Seconds())
	r.Metrics.OutboxDead.Set(float64(dead))
}

// round delivers one batch as the leader of epoch and returns how many
// rows it read. store.ErrDeposed: another relay leads now.
func (r *Relay) round(ctx context.Context, epoch int64) (int, error) {
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
	var deposed error
	sem := make(chan struct{}, r.Parallel)
	var wg sync.WaitGroup
	for _, id := range order {
		group := groups[id]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			done, err := r.deliverGroup(ctx, epoch, group)
			mu.Lock()
			delivered = append(delivered, done...)
			if err != nil {
				deposed = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if r.afterSignal != nil {
		if err := r.afterSignal(); err != nil {
			return len(items), err
		}
	}
	if len(delivered) > 0 {
		// A crash before this delete redelivers these rows; the workflow
		// ignores a seq it has seen. A deposed relay deletes nothing: the
		// new leader redelivers them too.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.Store.OutboxDelete(dctx, epoch, delivered); err != nil {
			return len(items), err
		}
	}
	if deposed != nil {
		return len(items), deposed
	}
	backlog := len(items) - len(delivered)
	if backlog == 0 {
		r.Metrics.OutboxBacklog.Set(0)
		r.Metrics.OutboxAge.Set(0)
	}
	return len(items), nil
}

// maxSignalBatch bounds the messages one signal carries.
const maxSignalBatch = 100

// deliverGroup delivers one conversation's rows in order, coalesced: one
// signal for up to maxSignalBatch rows. It stops at the first failure,
// which is retried later with the rows behind it, unless the row is dead:
// a dead row holds nothing back. Its error is only store.ErrDeposed.
func (r *Relay) deliverGroup(ctx context.Context, epoch int64, group []store.OutboxItem) ([]int64, error) {
	done := make([]int64, 0, len(group))
	pending := slices.Clone(group)
	size := maxSignalBatch
	for len(pending) > 0 {
		chunk := pending[:min(len(pending), size)]
		bad, err := r.signal(ctx, epoch, chunk)
		r.Metrics.Signals.Inc()
		if err == nil {
			for _, it := range chunk {
				r.Metrics.OutboxLatency.Observe(time.Since(it.CreatedAt).Seconds())
				done = append(done, it.ID)
			}
			pending = pending[len(chunk):]
			continue
		}
		if ctx.Err() != nil {
			return done, nil
		}
		r.Metrics.SignalFailures.Inc()
		if len(chunk) > 1 && !temporalUnavailable(err) && !errors.Is(err, errUndecodable) {
			// Temporal refused the batch: one row in it may be at fault.
			// Row by row, the rows before it go through and it alone is
			// charged.
			size = 1
			continue
		}
		// The failure is charged to the row that could not be read, or
		// else to the batch's first row (the rest wait behind it).
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		dead, err := r.fail(bctx, epoch, chunk[bad], err)
		cancel()
		if err != nil {
			if errors.Is(err, store.ErrDeposed) {
				return done, err
			}
			r.Logger.WarnContext(ctx, "recording an outbox failure", "outbox_id", chunk[bad].ID, "err", err)
			return done, nil
		}
		if !dead {
			return done, nil
		}
		pending = slices.Delete(pending, bad, bad+1)
	}
	return done, nil
}

// fail records a failed delivery: a retry later, or, for a row that cannot
// succeed (undecodable, or out of attempts), a dead letter. It says whether
// the row is dead.
func (r *Relay) fail(ctx context.Context, epoch int64, it store.OutboxItem, cause error) (bool, error) {
	attempt := int(it.Attempts) + 1
	if errors.Is(cause, errUndecodable) || attempt >= r.MaxAttempts && !temporalUnavailable(cause) {
		changed, err := r.Store.OutboxDeadLetter(ctx, epoch, it.ID, cause.Error())
		if err != nil {
			return false, err
		}
		if changed {
			r.Metrics.OutboxDeadLetters.Inc()
			r.Metrics.OutboxDead.Inc()
		}
		r.Logger.ErrorContext(ctx, "outbox row dead-lettered; its conversation's later rows go on",
			"conversation", it.ConversationID, "outbox_id", it.ID, "attempts", attempt, "err", cause)
		return true, nil
	}
	counts := !temporalUnavailable(cause)
	if !counts {
		attempt-- // not the row's fault
	}
	backoff := min(r.RetryBase<<min(attempt, 9), 30*time.Second)
	r.Logger.WarnContext(ctx, "signalling conversation workflow failed; will retry",
		"conversation", it.ConversationID, "outbox_id", it.ID, "attempt", attempt, "counted", counts, "retry_in", backoff, "err", cause)
	return false, r.Store.OutboxRetryLater(ctx, epoch, it.ID, counts, cause.Error(), time.Now().Add(backoff))
}

// temporalUnavailable says whether err means Temporal could not be asked
// (down, overloaded, unreachable, too slow), not that it refused the row.
func temporalUnavailable(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		exhausted   *serviceerror.ResourceExhausted
		canceled    *serviceerror.Canceled
	)
	return errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) || errors.As(err, &canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// errUndecodable marks a row whose payload cannot be read: no retry helps.
var errUndecodable = errors.New("undecodable outbox payload")

// messagePayload is what an outbox row of a message carries (no body).
type messagePayload struct {
	ID         uuid.UUID  `json:"id"`
	Seq        int64      `json:"seq"`
	SenderType string     `json:"sender_type"`
	SenderID   *uuid.UUID `json:"sender_id"`
	Reasons    []string   `json:"reasons"`
	CreatedAt  time.Time  `json:"created_at"`
	// Keyword is the keyword rule the message matched, as it was then.
	Keyword *struct {
		RuleID       uuid.UUID  `json:"rule_id"`
		Priority     string     `json:"priority"`
		DepartmentID *uuid.UUID `json:"department_id"`
	} `json:"keyword"`
}

// keyword is the workflow's view of the payload's keyword match.
func (m messagePayload) keyword() *conversation.KeywordMatch {
	if m.Keyword == nil {
		return nil
	}
	return &conversation.KeywordMatch{RuleID: m.Keyword.RuleID, Priority: m.Keyword.Priority, DepartmentID: m.Keyword.DepartmentID}
}

// signal delivers a conversation's rows, in order, with one
// SignalWithStart: the messages and dispatch offers among them as one
// MessagesSignal, or, when there are none (the conversation only started),
// a StartedSignal. On
// failure it names the row to charge: the one that cannot be decoded, or
// the first.
func (r *Relay) signal(ctx context.Context, epoch int64, rows []store.OutboxItem) (int, error) {
	var batch workflows.MessagesSignal
	for i, it := range rows {
		switch it.Kind {
		case store.OutboxMessageCreated:
			var m messagePayload
			if err := json.Unmarshal(it.Payload, &m); err != nil {
				return i, fmt.Errorf("decoding outbox row %d: %w: %w", it.ID, errUndecodable, err)
			}
			if m.ID == uuid.Nil || m.Seq <= 0 {
				return i, fmt.Errorf("outbox row %d has no message id or seq: %w", it.ID, errUndecodable)
			}
			batch.Messages = append(batch.Messages, workflows.MessageSignal{
				MessageID: m.ID, Seq: m.Seq, SenderType: m.SenderType, SenderID: m.SenderID, CreatedAt: m.CreatedAt,
				RelayEpoch: epoch, Reasons: m.Reasons, Keyword: m.keyword(),
			})
		case store.OutboxConversationStarted:
			// SignalWithStart starts the run; nothing more to say.
		case store.OutboxRelease:
			var rel store.Release
			if err := json.Unmarshal(it.Payload, &rel); err != nil || rel.OperatorID == uuid.Nil {
				return i, fmt.Errorf("decoding outbox row %d: %w: %v", it.ID, errUndecodable, err)
			}
			batch.Releases = append(batch.Releases, workflows.Release{OperatorID: rel.OperatorID, Reason: rel.Reason, ActorID: rel.ActorID})
		case store.OutboxDispatch:
			var o store.Offer
			if err := json.Unmarshal(it.Payload, &o); err != nil {
				return i, fmt.Errorf("decoding outbox row %d: %w: %w", it.ID, errUndecodable, err)
			}
			if o.ID == uuid.Nil || o.OperatorID == uuid.Nil || o.DepartmentID == uuid.Nil {
				return i, fmt.Errorf("outbox row %d has no offer, operator or department: %w", it.ID, errUndecodable)
			}
			batch.Offers = append(batch.Offers, conversation.Offer{
				ID: o.ID, DepartmentID: o.DepartmentID, OperatorID: o.OperatorID, Mode: o.Mode, Timeout: o.Timeout,
			})
		default:
			return i, fmt.Errorf("outbox row %d: kind %q: %w", it.ID, it.Kind, errUndecodable)
		}
	}
	name, arg := workflows.SignalMessages, any(batch)
	if len(batch.Messages) == 0 && len(batch.Offers) == 0 && len(batch.Releases) == 0 {
		name, arg = workflows.SignalStarted, workflows.StartedSignal{CreatedAt: rows[0].CreatedAt}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	first := rows[0]
	id := workflows.ConversationWorkflowID(first.ConversationID)
	_, err := r.Temporal.SignalWithStartWorkflow(sctx, id, name, arg, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.ConversationWorkflow, workflows.ConversationInput{WorkspaceID: first.WorkspaceID, ConversationID: first.ConversationID})
	return 0, err
}

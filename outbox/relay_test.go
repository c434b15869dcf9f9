package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/devtemporal"
	"github.com/switchboardhq/switchboard/metrics"
	"github.com/switchboardhq/switchboard/outbox"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
	"github.com/switchboardhq/switchboard/workflows"
)

// sys is a worker (ConversationWorkflow and its activities) without a
// relay: the tests run relays of their own. The outbox is one table for
// the whole database, so the tests run one at a time and each starts from
// an empty outbox.
var sys *app.System

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, drop, err := systest.NewDatabase(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	tmp, err := devtemporal.Start(ctx, devtemporal.Options{Logger: systest.Logger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = tmp.Stop() }()
	sys, err = app.Start(ctx, app.Config{
		DatabaseURL: url, TemporalAddress: tmp.HostPort(), Worker: true, NoRelay: true, Logger: systest.Logger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sys.Shutdown(context.Background())
	return m.Run()
}

// signaller is a Temporal client whose SignalWithStartWorkflow fails when
// fail says so, and otherwise signals for real.
type signaller struct {
	client.Client
	fail    atomic.Pointer[func(arg any) error]
	signals atomic.Int64
}

func (s *signaller) SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
	options client.StartWorkflowOptions, workflow any, workflowArgs ...any,
) (client.WorkflowRun, error) {
	if f := s.fail.Load(); f != nil {
		if err := (*f)(signalArg); err != nil {
			return nil, err
		}
	}
	s.signals.Add(1)
	return s.Client.SignalWithStartWorkflow(ctx, workflowID, signalName, signalArg, options, workflow, workflowArgs...)
}

func (s *signaller) failWith(f func(arg any) error) { s.fail.Store(&f) }

func (s *signaller) heal() { s.fail.Store(nil) }

type testBundle struct {
	t      *testing.T
	ctx    context.Context
	ws     uuid.UUID
	conv   uuid.UUID
	sent   []store.Message
	visitr uuid.UUID
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	_, err := sys.Pool.Exec(ctx, `DELETE FROM outbox`)
	require.NoError(t, err)
	ws, err := sys.Store.CreateWorkspace(ctx, "relay "+t.Name())
	require.NoError(t, err)
	v, err := sys.Store.CreateVisitor(ctx, ws.ID)
	require.NoError(t, err)
	st, err := sys.Store.StartConversation(ctx, store.NewConversation{WorkspaceID: ws.ID, VisitorID: v.ID})
	require.NoError(t, err)
	return &testBundle{t: t, ctx: ctx, ws: ws.ID, conv: st.Conversation.ID, visitr: v.ID}
}

// send writes n messages whose turns alternate (operator, visitor, ...),
// so that each is one the workflow must hear of.
func (b *testBundle) send(n int) {
	b.t.Helper()
	for range n {
		m := store.NewMessage{WorkspaceID: b.ws, ConversationID: b.conv, SenderType: conversation.SenderOperator, Body: "secret text"}
		if len(b.sent)%2 == 1 {
			m.SenderType, m.SenderID = conversation.SenderVisitor, &b.visitr
		}
		sent, err := sys.Store.SendMessage(b.ctx, m)
		require.NoError(b.t, err)
		b.sent = append(b.sent, sent.Message)
	}
}

func (b *testBundle) relay(maxAttempts int) (*outbox.Relay, *signaller) {
	s := &signaller{Client: sys.Temporal}
	return &outbox.Relay{
		Store: sys.Store, Pool: sys.Pool, Temporal: s, Logger: systest.Logger(), Metrics: metrics.New(),
		MaxAttempts: maxAttempts, RetryBase: time.Millisecond,
	}, s
}

func (b *testBundle) lead(r *outbox.Relay) int64 {
	b.t.Helper()
	epoch, err := r.TakeLease(b.ctx)
	require.NoError(b.t, err)
	return epoch
}

// rows is the outbox as it is: id → attempts and whether dead.
type row struct {
	ID       int64
	Kind     string
	Attempts int32
	Dead     bool
	Seq      *int64
}

func (b *testBundle) rows() []row {
	b.t.Helper()
	rs, err := sys.Pool.Query(b.ctx, `
		SELECT id, kind, attempts, dead_at IS NOT NULL,
		       CASE WHEN jsonb_typeof(payload->'seq') = 'number' THEN (payload->>'seq')::bigint END
		FROM outbox ORDER BY id`)
	require.NoError(b.t, err)
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		require.NoError(b.t, rs.Scan(&r.ID, &r.Kind, &r.Attempts, &r.Dead, &r.Seq))
		out = append(out, r)
	}
	require.NoError(b.t, rs.Err())
	return out
}

func (b *testBundle) state() conversation.State {
	b.t.Helper()
	s, err := b.tryState()
	require.NoError(b.t, err)
	return s
}

// tryState queries the workflow's state; until its first activity has
// loaded the conversation (a slow machine, -race) the query says so.
func (b *testBundle) tryState() (conversation.State, error) {
	var s conversation.State
	v, err := sys.Temporal.QueryWorkflow(b.ctx, workflows.ConversationWorkflowID(b.conv), "", workflows.QueryState)
	if err != nil {
		return s, err
	}
	return s, v.Get(&s)
}

// requireSeen waits until the workflow has counted seen distinct messages,
// the highest seq being last, and checks that the count stays.
func (b *testBundle) requireSeen(seen, last int64) conversation.State {
	b.t.Helper()
	var s conversation.State
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err := b.tryState(); err == nil && got.MessagesSeen >= seen && got.LastMessageSeq >= last {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // a duplicate counted twice would show now
	s = b.state()
	require.Equal(b.t, seen, s.MessagesSeen, "distinct messages counted")
	require.Equal(b.t, last, s.LastMessageSeq)
	return s
}

// drain runs rounds of r as the leader of epoch until the outbox has no
// live row left.
func (b *testBundle) drain(r *outbox.Relay, epoch int64) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := r.Round(b.ctx, epoch)
		require.NoError(b.t, err)
		live := 0
		for _, rw := range b.rows() {
			if !rw.Dead {
				live++
			}
		}
		if live == 0 {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "outbox not drained: %+v", b.rows())
		time.Sleep(5 * time.Millisecond)
	}
}

func metricValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			if c := f.GetMetric()[0].GetCounter(); c != nil {
				return c.GetValue()
			}
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	require.Failf(t, "no such metric", "%s", name)
	return 0
}

// TestDeposedRelayChangesNothing: once another relay took the lease, the
// old leader's delete, retry-later and dead-letter statements change no
// row, however its signals went.
func TestDeposedRelayChangesNothing(t *testing.T) {
	b := setup(t)
	b.send(3)
	old, oldClient := b.relay(1)
	oldEpoch := b.lead(old)
	current, _ := b.relay(1)
	epoch := b.lead(current)
	require.Greater(t, epoch, oldEpoch)

	// Its signals reach Temporal, its delete is fenced off.
	_, err := old.Round(b.ctx, oldEpoch)
	require.ErrorIs(t, err, store.ErrDeposed)
	require.Len(t, b.rows(), 4, "the deposed relay deleted rows")
	require.Equal(t, int64(1), oldClient.signals.Load(), "one signal for the conversation's 4 rows")

	// Its failures record nothing: no attempt, no retry time, no death.
	oldClient.failWith(func(any) error { return serviceerror.NewInvalidArgument("refused") })
	_, err = old.Round(b.ctx, oldEpoch)
	require.ErrorIs(t, err, store.ErrDeposed)
	for _, rw := range b.rows() {
		require.Zero(t, rw.Attempts, "row %d", rw.ID)
		require.False(t, rw.Dead, "row %d", rw.ID)
	}
	var deferred int
	require.NoError(t, sys.Pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE next_attempt_at > now()`).Scan(&deferred))
	require.Zero(t, deferred)

	// The leader delivers (again) and deletes; the workflow counts once.
	b.drain(current, epoch)
	require.Empty(t, b.rows())
	s := b.requireSeen(3, 3)
	require.Equal(t, epoch, s.RelayEpoch)
}

// TestTwoRelaysAtOnce: a deposed leader that goes on relaying while cut
// off from Temporal (every signal refused) overlaps the new leader. No
// message is skipped and none is counted twice.
func TestTwoRelaysAtOnce(t *testing.T) {
	b := setup(t)
	old, oldClient := b.relay(1)
	oldEpoch := b.lead(old)
	current, _ := b.relay(outbox.DefaultMaxAttempts)
	epoch := b.lead(current)
	// It reaches Temporal for some rows and not for others.
	var n atomic.Int64
	oldClient.failWith(func(any) error {
		if n.Add(1)%2 == 0 {
			return serviceerror.NewInvalidArgument("refused")
		}
		return nil
	})

	const total = 40
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, rl := range []struct {
		r     *outbox.Relay
		epoch int64
	}{{old, oldEpoch}, {current, epoch}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				_, err := rl.r.Round(b.ctx, rl.epoch)
				if err != nil && !errors.Is(err, store.ErrDeposed) {
					t.Errorf("round at epoch %d: %v", rl.epoch, err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for range total / 4 {
		b.send(4)
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(b.rows()) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	require.Empty(t, b.rows(), "rows left behind (dead-lettered by the deposed relay?)")
	b.requireSeen(total, total)
}

// TestRelayKilledBetweenSignalAndDelete: the signals went out, the delete
// never happened; the next leader delivers the rows again and the
// workflow counts each message once.
func TestRelayKilledBetweenSignalAndDelete(t *testing.T) {
	b := setup(t)
	b.send(5)
	killed, _ := b.relay(0)
	killed.CrashAfterSignal(errors.New("killed"))
	_, err := killed.Round(b.ctx, b.lead(killed))
	require.EqualError(t, err, "killed")
	require.Len(t, b.rows(), 6)
	b.requireSeen(5, 5)

	next, _ := b.relay(0)
	b.drain(next, b.lead(next))
	require.Empty(t, b.rows())
	b.requireSeen(5, 5)
}

// TestPoisonRowDeadLettered: a row that always fails is dead after
// MaxAttempts attempts; the conversation's later rows are delivered; an
// admin's retry delivers it, late, and the workflow counts it.
func TestPoisonRowDeadLettered(t *testing.T) {
	b := setup(t)
	b.send(4)
	poison := b.sent[1].ID
	r, c := b.relay(3)
	c.failWith(func(arg any) error {
		if batch, ok := arg.(workflows.MessagesSignal); ok && slices.ContainsFunc(batch.Messages, func(m workflows.MessageSignal) bool { return m.MessageID == poison }) {
			return serviceerror.NewInvalidArgument("payload refused")
		}
		return nil
	})
	epoch := b.lead(r)
	b.drain(r, epoch)

	rows := b.rows()
	require.Len(t, rows, 1)
	require.True(t, rows[0].Dead)
	require.Equal(t, int32(3), rows[0].Attempts)
	require.Equal(t, int64(2), *rows[0].Seq)
	require.Equal(t, 1.0, metricValue(t, r.Metrics, "switchboard_outbox_dead_letters_total"))
	s := b.requireSeen(3, 4)
	require.Equal(t, []int64{2}, s.MessageGaps)

	// Later rows of the conversation are not held back by the dead one.
	b.send(1)
	b.drain(r, epoch)
	b.requireSeen(4, 5)

	dead, next, err := sys.Store.OutboxDeadLetters(b.ctx, b.ws, 0, 10)
	require.NoError(t, err)
	require.Zero(t, next)
	require.Len(t, dead, 1)
	require.Equal(t, rows[0].ID, dead[0].ID)
	require.Contains(t, dead[0].LastError, "payload refused")

	c.heal()
	_, err = sys.Store.OutboxDeadRetry(b.ctx, b.ws, rows[0].ID)
	require.NoError(t, err)
	b.drain(r, epoch)
	require.Empty(t, b.rows())
	s = b.requireSeen(5, 5)
	require.Empty(t, s.MessageGaps)
}

// TestTemporalUnavailableIsNotAnAttempt: however often Temporal is down, a
// row is not dead-lettered for it.
func TestTemporalUnavailableIsNotAnAttempt(t *testing.T) {
	b := setup(t)
	b.send(1)
	r, c := b.relay(1)
	c.failWith(func(any) error { return serviceerror.NewUnavailable("frontend down") })
	epoch := b.lead(r)
	for range 5 {
		_, err := r.Round(b.ctx, epoch)
		require.NoError(t, err)
		_, err = sys.Pool.Exec(b.ctx, `UPDATE outbox SET next_attempt_at = now()`)
		require.NoError(t, err)
	}
	for _, rw := range b.rows() {
		require.Zero(t, rw.Attempts)
		require.False(t, rw.Dead)
	}
	c.heal()
	b.drain(r, epoch)
	require.Empty(t, b.rows())
	b.requireSeen(1, 1)
}

// TestUndecodableRowDeadAtOnce: no retry can read a payload that cannot be
// decoded; it is dead at the first attempt and holds nothing back.
func TestUndecodableRowDeadAtOnce(t *testing.T) {
	b := setup(t)
	b.send(1)
	_, err := sys.Pool.Exec(b.ctx, `UPDATE outbox SET payload = '{"seq": "one"}' WHERE kind = 'message.created'`)
	require.NoError(t, err)
	b.send(1)
	r, _ := b.relay(0)
	b.drain(r, b.lead(r))
	rows := b.rows()
	require.Len(t, rows, 1)
	require.True(t, rows[0].Dead)
	require.Equal(t, int32(1), rows[0].Attempts)
	b.requireSeen(1, 2)
}

// TestMessagePayloadHasNoBody: the outbox row, hence the signal and
// Temporal's history, carries no message text.
func TestMessagePayloadHasNoBody(t *testing.T) {
	b := setup(t)
	b.send(1)
	var payload string
	require.NoError(t, sys.Pool.QueryRow(b.ctx, `SELECT payload::text FROM outbox WHERE kind = 'message.created'`).Scan(&payload))
	require.NotContains(t, payload, "secret text")
	require.NotContains(t, payload, "body")
}

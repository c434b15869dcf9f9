package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// deadline is one durable timer the main loop keeps on a moving target:
// armed for (at, key), re-armed when either changes, cancelled when the
// target goes. The offer, ladder and reply timers are deadlines.
type deadline struct {
	timer  workflow.Future
	at     time.Time
	key    string
	cancel workflow.CancelFunc
}

// sync keeps the timer on at and key; nil at: no timer.
func (d *deadline) sync(ctx workflow.Context, at *time.Time, key, summary string) {
	if at != nil && d.timer != nil && d.at.Equal(*at) && d.key == key {
		return
	}
	if d.cancel != nil {
		d.cancel()
		d.timer, d.cancel = nil, nil
	}
	if at == nil {
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	d.timer = workflow.NewTimerWithOptions(tctx, max(at.Sub(workflow.Now(ctx)), time.Millisecond), workflow.TimerOptions{Summary: summary})
	d.at, d.key, d.cancel = *at, key, cancel
}

// ready says whether the timer fired (or was cancelled) and waits to be
// taken.
func (d *deadline) ready() bool { return d.timer != nil && d.timer.IsReady() }

// take clears a ready timer and says what it was armed for and whether it
// fired (false: cancelled, or not ready).
func (d *deadline) take(ctx workflow.Context) (time.Time, string, bool) {
	if !d.ready() {
		return time.Time{}, "", false
	}
	timer, at, key := d.timer, d.at, d.key
	d.timer, d.cancel = nil, nil
	return at, key, timer.Get(ctx, nil) == nil
}

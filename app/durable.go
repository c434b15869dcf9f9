package app

import (
	"sync"

	"go.temporal.io/sdk/worker"
)

// DurableLimits bound what the durable path takes from a process: the
// Temporal worker's task slots and sticky cache, and the outbox relay's
// concurrency. When the durable path falls behind, the outbox grows and
// drains later (nothing is lost), and the hot path keeps its cores.
type DurableLimits struct {
	// WorkflowTasks is how many workflow tasks run at once
	// (WORKER_WORKFLOW_TASKS).
	WorkflowTasks int
	// Activities is how many activities run at once (WORKER_ACTIVITIES).
	Activities int
	// StickyCache is how many workflow executions the worker keeps in
	// memory between their tasks (WORKER_STICKY_CACHE). A cached
	// conversation's next task needs no replay; an evicted one replays its
	// history. Each costs a few goroutines and some KiB. Process-wide: the
	// first worker started sets it.
	StickyCache int
	// RelayParallel is how many conversations the relay signals at once
	// (RELAY_PARALLEL).
	RelayParallel int
}

// DefaultDurableLimits keep a 2-core process that runs everything
// responsive: a burst of wakes or messages queues in Temporal and the
// outbox instead of taking every core.
var DefaultDurableLimits = DurableLimits{WorkflowTasks: 16, Activities: 32, StickyCache: 2000, RelayParallel: 16}

func (l DurableLimits) withDefaults() DurableLimits {
	d := DefaultDurableLimits
	if l.WorkflowTasks > 0 {
		d.WorkflowTasks = l.WorkflowTasks
	}
	if l.Activities > 0 {
		d.Activities = l.Activities
	}
	if l.StickyCache > 0 {
		d.StickyCache = l.StickyCache
	}
	if l.RelayParallel > 0 {
		d.RelayParallel = l.RelayParallel
	}
	return d
}

var stickyOnce sync.Once

// setStickyCacheSize sets the SDK's process-wide sticky cache size, once,
// before the first worker starts (later calls would not resize a cache
// already in use).
func setStickyCacheSize(n int) {
	stickyOnce.Do(func() { worker.SetStickyWorkflowCacheSize(n) })
}

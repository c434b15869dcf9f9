package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/switchboardhq/switchboard/systest"
	"github.com/switchboardhq/switchboard/workflows"
)

// TestRecordConversationHistory writes the histories of real conversations
// to workflows/testdata, where workflows' replay test checks that today's
// workflow code still replays every one of them. Together they exercise
// every signal and update of ConversationWorkflow: claim, assign, snooze
// (moved while snoozed, woken by its timer, by a reply, by hand), transfer,
// resolve, reopen (by a reply and by hand, the latter starting a new run)
// and continue-as-new (the recording server suggests it after a few dozen
// events; see systest.Start). Run it to add histories after a change that
// running workflows must survive; keep the old files, they are the runs
// already in production:
//
//	SWITCHBOARD_RECORD_HISTORY=1 go test ./app -run TestRecordConversationHistory
func TestRecordConversationHistory(t *testing.T) {
	if os.Getenv("SWITCHBOARD_RECORD_HISTORY") != "1" {
		t.Skip("records histories only when SWITCHBOARD_RECORD_HISTORY=1")
	}
	send := func(b bundle, body string) {
		b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": body})
	}
	// waitEvent waits for the conversation's latest event to be typ: a
	// socket may hold an earlier event of the same type.
	waitEvent := func(b bundle, typ string) {
		require.Eventually(t, func() bool {
			events := b.op.Must(http.StatusOK, "GET", b.path("/events"), nil).Body["events"].([]any)
			return events[len(events)-1].(map[string]any)["type"] == typ
		}, 10*time.Second, 50*time.Millisecond, "waiting for %s", typ)
	}

	t.Run("lifecycle", func(t *testing.T) {
		// claim, a snooze woken by its timer, a customer message, resolve.
		b := setup(t)
		sock := b.op.Dial()
		runs := newRuns(t, b.convID)
		b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Second)})
		sock.WaitFor(5*time.Second, "woken", systest.Updated(b.convID, "open", "woken"))
		send(b, "thanks")
		time.Sleep(300 * time.Millisecond) // let the relay deliver it
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question", "notes": "recorded"})
		runs.write("conversation_lifecycle_v2")
	})

	t.Run("snoozes", func(t *testing.T) {
		// A snooze moved while snoozed (the old timer cancelled), a wake by
		// hand, a snooze until the customer replies and the reply that
		// wakes it, then resolve.
		b := setup(t)
		runs := newRuns(t, b.convID)
		b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Hour)})
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(2 * time.Second)})
		waitEvent(b, "woken")
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Hour)})
		b.op.Must(http.StatusOK, "POST", b.path("/wake"), nil)
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until_reply": true})
		send(b, "any news?")
		waitEvent(b, "woken")
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.write("conversation_snoozes_v1")
	})

	t.Run("transfer_and_reopen", func(t *testing.T) {
		// assign, unassign by transfer to another department, claim there,
		// resolve; the run completes; a reopen by hand starts a new run,
		// resolved again, and a customer message reopens that one.
		ws := env.NewWorkspace(t)
		admin := env.Login(t, env.NewOperator(t, ws, "admin"))
		dept := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Billing"}).Body["department"].(map[string]any)["id"].(string)
		other := env.NewOperator(t, ws, "operator")
		v := env.Visitor(t, ws)
		b := bundle{op: admin, visitor: v, convID: v.StartConversation("my invoice is wrong")}
		runs := newRuns(t, b.convID)
		b.op.Must(http.StatusOK, "POST", b.path("/assign"), map[string]any{"assignee_id": other.ID.String()})
		b.op.Must(http.StatusOK, "POST", b.path("/transfer"), map[string]any{"department_id": dept})
		b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
		send(b, "still there?")
		time.Sleep(300 * time.Millisecond)
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.waitClosed()
		b.op.Must(http.StatusOK, "POST", b.path("/reopen"), nil)
		runs.add()
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "not_a_problem"})
		send(b, "one more thing")
		waitEvent(b, "reopened")
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.write("conversation_transfer_reopen_v1")
	})

	t.Run("signals", func(t *testing.T) {
		// The relay's batched "messages" signal (a conversation's first
		// rows coalesced), turns (an operator's reply, the customer's),
		// a snooze until the reply and the reply that wakes it, judged
		// by seq; resolve, and a customer message that reopens a new run.
		b := setup(t)
		runs := newRuns(t, b.convID)
		b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "how can I help?"})
		send(b, "my order is late")
		time.Sleep(300 * time.Millisecond)
		b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until_reply": true})
		b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "I asked the warehouse"})
		send(b, "any news?")
		waitEvent(b, "woken")
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.waitClosed()
		send(b, "it came, thanks")
		runs.add()
		waitEvent(b, "reopened")
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.write("conversation_signals_v2")
	})

	t.Run("local_activities", func(t *testing.T) {
		// The load and every persist as local activities: a claim, a
		// snooze woken by its timer, a turn, a snooze until the reply and
		// the reply, a resolve.
		b := setup(t)
		sock := b.op.Dial()
		runs := newRuns(t, b.convID)
		b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Second)})
		sock.WaitFor(5*time.Second, "woken", systest.Updated(b.convID, "open", "woken"))
		b.op.Must(http.StatusCreated, "POST", b.path("/messages"), map[string]string{"body": "checking"})
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until_reply": true})
		send(b, "thanks")
		waitEvent(b, "woken")
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		runs.write("conversation_local_v3")
	})

	t.Run("continue_as_new", func(t *testing.T) {
		// Enough changes for the recording server to suggest
		// continue-as-new, with a snooze running across it.
		b := setup(t)
		runs := newRuns(t, b.convID)
		for i := 0; i < 8; i++ {
			b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
			b.op.Must(http.StatusOK, "POST", b.path("/assign"), map[string]any{"assignee_id": nil})
			send(b, fmt.Sprintf("message %d", i))
		}
		b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(3 * time.Second)})
		for i := 0; i < 4; i++ {
			send(b, fmt.Sprintf("while snoozed %d", i))
		}
		time.Sleep(4 * time.Second)
		b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "answered_question"})
		n := runs.write("conversation_continue_as_new_v1")
		require.Greater(t, n, 1, "the run did not continue as new: is the recording threshold set?")
	})
}

// runs follows every run of one conversation's workflow: the runs a
// continue-as-new chains, and the runs a reopen starts anew.
type runs struct {
	t      *testing.T
	id     string
	starts []string // first run ids of each chain
}

func newRuns(t *testing.T, convID string) *runs {
	r := &runs{t: t, id: workflows.ConversationWorkflowID(uuid.MustParse(convID))}
	r.add()
	return r
}

// add records the current run as the start of a new chain, once it exists
// (the relay starts a conversation's first run a moment after the API
// answers).
func (r *runs) add() {
	var run string
	require.Eventually(r.t, func() bool {
		d, err := env.System.Temporal.DescribeWorkflowExecution(context.Background(), r.id, "")
		if err != nil {
			return false
		}
		run = d.WorkflowExecutionInfo.Execution.RunId
		return len(r.starts) == 0 || run != r.starts[len(r.starts)-1]
	}, 10*time.Second, 20*time.Millisecond)
	r.starts = append(r.starts, run)
}

// waitClosed waits for the current run to finish.
func (r *runs) waitClosed() {
	require.Eventually(r.t, func() bool {
		d, err := env.System.Temporal.DescribeWorkflowExecution(context.Background(), r.id, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 10*time.Second, 50*time.Millisecond)
}

// write waits for the last run to complete, then writes every run's
// history as name_runN.json and says how many runs there were.
func (r *runs) write(name string) int {
	r.waitClosed()
	n := 0
	for _, run := range r.starts {
		for run != "" {
			h := r.history(run)
			n++
			out := filepath.Join("..", "workflows", "testdata", fmt.Sprintf("%s_run%d.json", name, n))
			raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
			require.NoError(r.t, err)
			require.NoError(r.t, os.WriteFile(out, raw, 0o644))
			r.t.Logf("wrote %s (%d events)", out, len(h.Events))
			run = ""
			if last := h.Events[len(h.Events)-1]; last.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil {
				run = last.GetWorkflowExecutionContinuedAsNewEventAttributes().NewExecutionRunId
			}
		}
	}
	return n
}

func (r *runs) history(run string) *historypb.History {
	it := env.System.Temporal.GetWorkflowHistory(context.Background(), r.id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(r.t, err)
		h.Events = append(h.Events, ev)
	}
	return h
}

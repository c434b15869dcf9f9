package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/switchboardhq/switchboard/workflows"
)

func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata")
	return files
}

// TestReplayRecordedHistories replays histories recorded from real runs
// (see app's TestRecordConversationHistory). A change to the workflow that
// would break conversations already running fails here: guard it with
// workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ConversationWorkflow)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestReplayCorpusCoversEveryHandler keeps the corpus honest: every signal
// and update the workflow handles, a fired snooze timer, a cancelled one
// (a moved snooze) and a continue-as-new appear in some recorded history,
// so a change to any of their paths is replayed.
func TestReplayCorpusCoversEveryHandler(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range recordedHistories(t) {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var h historypb.History
		require.NoError(t, protojson.Unmarshal(raw, &h), f)
		for _, ev := range h.Events {
			switch {
			case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
				seen["signal "+ev.GetWorkflowExecutionSignaledEventAttributes().SignalName] = true
			case ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
				seen["update "+ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()] = true
			case ev.GetTimerFiredEventAttributes() != nil:
				seen["timer fired"] = true
			case ev.GetTimerCanceledEventAttributes() != nil:
				seen["timer cancelled"] = true
			case ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity":
				seen["local activity"] = true
			case ev.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil:
				seen["continued as new"] = true
			case ev.GetWorkflowExecutionStartedEventAttributes() != nil &&
				ev.GetWorkflowExecutionStartedEventAttributes().ContinuedExecutionRunId != "":
				seen["started by continue-as-new"] = true
			}
		}
	}
	want := []string{
		"signal " + workflows.SignalMessage, "signal " + workflows.SignalStarted, "signal " + workflows.SignalMessages,
		"update " + workflows.UpdateClaim, "update " + workflows.UpdateAssign,
		"update " + workflows.UpdateSnooze, "update " + workflows.UpdateWake,
		"update " + workflows.UpdateResolve, "update " + workflows.UpdateReopen,
		"update " + workflows.UpdateTransfer,
		"timer fired", "timer cancelled", "continued as new", "started by continue-as-new", "local activity",
	}
	for _, w := range want {
		require.True(t, seen[w], "no recorded history has %q: record one (app's TestRecordConversationHistory)", w)
	}
}

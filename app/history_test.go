package app_test

import (
	"context"
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

// TestRecordConversationHistory writes the history of a conversation's
// first run (claim, snooze woken by its timer, a customer message, resolve)
// to workflows/testdata, where workflows' replay test checks that today's
// workflow code still replays it. Run it to add a history after a change
// that running workflows must survive:
//
//	SWITCHBOARD_RECORD_HISTORY=1 go test ./app -run TestRecordConversationHistory
func TestRecordConversationHistory(t *testing.T) {
	if os.Getenv("SWITCHBOARD_RECORD_HISTORY") != "1" {
		t.Skip("records a history only when SWITCHBOARD_RECORD_HISTORY=1")
	}
	b := setup(t)
	sock := b.op.Dial()
	b.op.Must(http.StatusOK, "POST", b.path("/claim"), nil)
	b.op.Must(http.StatusOK, "POST", b.path("/snooze"), map[string]any{"until": time.Now().Add(time.Second)})
	sock.WaitFor(5*time.Second, "woken", systest.Updated(b.convID, "open", "woken"))
	b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+b.convID+"/messages", map[string]string{"body": "thanks"})
	time.Sleep(300 * time.Millisecond) // let the relay deliver it
	b.op.Must(http.StatusOK, "POST", b.path("/resolve"), map[string]string{"resolution": "solved", "notes": "recorded"})

	ctx := context.Background()
	id := workflows.ConversationWorkflowID(uuid.MustParse(b.convID))
	require.Eventually(t, func() bool {
		d, err := env.System.Temporal.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 10*time.Second, 50*time.Millisecond)

	it := env.System.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	out := filepath.Join("..", "workflows", "testdata", "conversation_lifecycle_v1.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	require.NoError(t, os.WriteFile(out, raw, 0o644))
	t.Logf("wrote %s (%d events)", out, len(h.Events))
}

package conversation_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
)

// TestStateWireFormat pins the JSON that Temporal's history holds for a
// workflow's state (continue-as-new inputs, LoadConversation results,
// Change inputs). Running conversations are replayed from it: a renamed
// field or a changed tag must fail here, not in production.
func TestStateWireFormat(t *testing.T) {
	id := func(n byte) *uuid.UUID { u := uuid.UUID{15: n}; return &u }
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	state := conversation.State{
		WorkspaceID: *id(1), ConversationID: *id(2), VisitorID: *id(3),
		Lifecycle: conversation.Lifecycle{
			Status: conversation.StatusSnoozed, Phase: conversation.PhaseAssigned,
			AssigneeID: id(4), DepartmentID: id(5), Priority: conversation.PriorityHigh,
			SnoozedUntil: &at, SnoozeUntilReply: true, Resolution: "", ResolutionNotes: "",
			ResolvedAt: &at, Version: 7, LastMessageSeq: 12, StatusSeq: 11,
		},
		MessageGaps: []int64{9, 10}, MessagesSeen: 5, RelayEpoch: 2,
	}
	const wire = `{"WorkspaceID":"00000000-0000-0000-0000-000000000001",` +
		`"ConversationID":"00000000-0000-0000-0000-000000000002",` +
		`"VisitorID":"00000000-0000-0000-0000-000000000003",` +
		`"Status":"snoozed","Phase":"assigned",` +
		`"AssigneeID":"00000000-0000-0000-0000-000000000004",` +
		`"DepartmentID":"00000000-0000-0000-0000-000000000005",` +
		`"Priority":"high","SnoozedUntil":"2026-03-02T09:00:00Z","SnoozeUntilReply":true,` +
		`"Resolution":"","ResolutionNotes":"","ResolvedAt":"2026-03-02T09:00:00Z",` +
		`"Version":7,"LastMessageSeq":12,"StatusSeq":11,"MessageGaps":[9,10],"MessagesSeen":5,"RelayEpoch":2}`

	got, err := json.Marshal(state)
	require.NoError(t, err)
	require.JSONEq(t, wire, string(got))

	var back conversation.State
	require.NoError(t, json.Unmarshal([]byte(wire), &back))
	require.Equal(t, state, back)

	// Optional fields stay out when empty, as in recorded histories.
	got, err = json.Marshal(conversation.State{})
	require.NoError(t, err)
	require.NotContains(t, string(got), "AssigneeID")
	require.NotContains(t, string(got), "MessageGaps")
	require.NotContains(t, string(got), "RelayEpoch")
	require.NotContains(t, string(got), "StatusSeq")
}

// TestChangeWireFormat pins the persisting activity's input.
func TestChangeWireFormat(t *testing.T) {
	op := uuid.UUID{15: 9}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	got, err := json.Marshal(conversation.Change{
		EventType: conversation.EventClaimed, Reason: conversation.ReasonManual, At: at,
		Actor: conversation.Actor{Type: conversation.ActorOperator, ID: &op},
	})
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(got, &fields))
	require.ElementsMatch(t, []string{"State", "EventType", "Actor", "Reason", "At"}, keys(fields))
	require.JSONEq(t, `{"Type":"operator","ID":"00000000-0000-0000-0000-000000000009"}`, string(fields["Actor"]))
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAcceptMessageCountsEachSeqOnce: delivery is at least once and mostly
// in order; a message skipped over and delivered late still counts once.
func TestAcceptMessageCountsEachSeqOnce(t *testing.T) {
	var s conversation.State
	require.True(t, s.AcceptMessage(1, 1))
	require.False(t, s.AcceptMessage(1, 1), "a redelivery is not new")
	require.True(t, s.AcceptMessage(4, 2), "2 and 3 become gaps")
	require.Equal(t, []int64{2, 3}, s.MessageGaps)
	require.True(t, s.AcceptMessage(3, 1), "a gap filled late is new")
	require.False(t, s.AcceptMessage(3, 1), "and only once")
	require.Equal(t, []int64{2}, s.MessageGaps)
	require.Equal(t, int64(4), s.LastMessageSeq)
	require.Equal(t, int64(2), s.RelayEpoch, "the highest epoch seen")

	// Gaps are bounded: only the newest MaxMessageGaps seqs are kept.
	require.True(t, s.AcceptMessage(4+2*conversation.MaxMessageGaps, 2))
	require.Len(t, s.MessageGaps, conversation.MaxMessageGaps)
	require.False(t, s.AcceptMessage(2, 2), "a gap pushed out is forgotten")
}

func TestValidResolutionKey(t *testing.T) {
	for _, good := range []string{"answered_question", "spam", "2nd_line_fix", strings.Repeat("a", 64)} {
		require.True(t, conversation.ValidResolutionKey(good), good)
	}
	for _, bad := range []string{"", "Spam", "a-b", "a b", "é", strings.Repeat("a", 65)} {
		require.False(t, conversation.ValidResolutionKey(bad), bad)
	}
}

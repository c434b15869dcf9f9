package store_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/store"
)

// wantReasons is the rule of docs/SIGNALS.md, written out independently of
// the SQL that implements it: why a message from sender reaches the
// workflow of a conversation in status and phase whose last speaker is
// last ("" for nobody yet), when the hot path matched a keyword rule or
// not.
func wantReasons(status, phase, last, sender string, keyword bool) []string {
	side := map[string]string{
		conversation.SenderVisitor: "customer", conversation.SenderOperator: "agent", conversation.SenderBot: "agent",
	}[sender]
	var out []string
	// The bot's workflow wrote its message: it knows.
	if side != "" && side != last && sender != conversation.SenderBot {
		out = append(out, conversation.SignalTurn)
	}
	if side == "customer" {
		switch {
		case status == conversation.StatusSnoozed:
			out = append(out, conversation.SignalCustomerSnoozed)
		case status == conversation.StatusResolved:
			out = append(out, conversation.SignalCustomerResolved)
		case phase == conversation.PhaseBot:
			out = append(out, conversation.SignalBotInput)
		}
		if keyword {
			out = append(out, conversation.SignalKeywordRule)
		}
	}
	return out
}

// TestSignalRule: for every status, phase, last speaker and sender, a
// message reaches the workflow (an outbox row, its reasons stored with it)
// exactly when the rule says it must, and the turn moves to its side.
func TestSignalRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	statuses := []string{conversation.StatusOpen, conversation.StatusSnoozed, conversation.StatusResolved}
	phases := []string{conversation.PhaseBot, conversation.PhaseQueued, conversation.PhaseAssigned}
	speakers := []string{"", "customer", "agent"}
	senders := []string{conversation.SenderVisitor, conversation.SenderOperator, conversation.SenderBot, conversation.SenderSystem}
	operator := uuid.New()
	dept := uuid.New()
	match := &conversation.KeywordMatch{RuleID: uuid.New(), Priority: conversation.PriorityUrgent, DepartmentID: &dept}
	signalled := 0
	for _, status := range statuses {
		for _, phase := range phases {
			for _, last := range speakers {
				for _, sender := range senders {
					for _, keyword := range []bool{false, true} {
						name := fmt.Sprintf("%s/%s/last=%q/%s/keyword=%v", status, phase, last, sender, keyword)
						_, err := pool.Exec(ctx, `
						UPDATE conversations SET status = $3, phase = $4, last_speaker = NULLIF($5, '')
						WHERE workspace_id = $1 AND id = $2`, b.workspace.ID, b.conversation.ID, status, phase, last)
						require.NoError(t, err, name)
						_, err = pool.Exec(ctx, `DELETE FROM outbox WHERE conversation_id = $1`, b.conversation.ID)
						require.NoError(t, err)

						m := store.NewMessage{WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, SenderType: sender, Body: name}
						if keyword {
							m.Keyword = match
						}
						switch sender {
						case conversation.SenderVisitor:
							m.SenderID = &b.visitor.ID
						case conversation.SenderOperator:
							m.SenderID = &operator
						}
						sent, err := b.store.SendMessage(ctx, m)
						require.NoError(t, err, name)

						want := wantReasons(status, phase, last, sender, keyword)
						require.Equal(t, want, nilIfEmpty(sent.Message.SignalReasons), name)
						var rows int
						var payload, kw []byte
						require.NoError(t, pool.QueryRow(ctx, `
						SELECT count(*), COALESCE((jsonb_agg(payload->'reasons'))->0, 'null'),
						       COALESCE((jsonb_agg(payload->'keyword'))->0, 'null')
						FROM outbox WHERE conversation_id = $1 AND kind = 'message.created'`,
							b.conversation.ID).Scan(&rows, &payload, &kw), name)
						if len(want) > 0 {
							require.Equal(t, 1, rows, "%s: must reach the workflow", name)
							var reasons []string
							require.NoError(t, json.Unmarshal(payload, &reasons))
							require.Equal(t, want, reasons, "%s: the workflow hears why", name)
							if slices.Contains(want, conversation.SignalKeywordRule) {
								require.JSONEq(t, fmt.Sprintf(`{"rule_id":%q,"priority":"urgent","department_id":%q}`, match.RuleID, dept), string(kw),
									"%s: the match rides with the message", name)
							} else {
								require.Equal(t, "null", string(kw), "%s: no match but a customer's", name)
							}
							signalled++
						} else {
							require.Zero(t, rows, "%s: need not reach the workflow", name)
						}

						stored, err := b.store.Messages(ctx, b.workspace.ID, b.conversation.ID, sent.Message.Seq-1, 1)
						require.NoError(t, err)
						require.Equal(t, want, nilIfEmpty(stored[0].SignalReasons), "%s: the decision is stored with the message", name)
						if slices.Contains(want, conversation.SignalKeywordRule) {
							require.Equal(t, &match.RuleID, stored[0].KeywordRuleID, "%s: the rule is stored with the message", name)
						} else {
							require.Nil(t, stored[0].KeywordRuleID, name)
						}

						var speaker *string
						require.NoError(t, pool.QueryRow(ctx, `SELECT last_speaker FROM conversations WHERE id = $1`, b.conversation.ID).Scan(&speaker))
						wantSpeaker := last
						if sender == conversation.SenderVisitor {
							wantSpeaker = "customer"
						} else if sender != conversation.SenderSystem {
							wantSpeaker = "agent"
						}
						require.Equal(t, wantSpeaker, deref(speaker), "%s: the turn", name)
					}
				}
			}
		}
	}
	require.Positive(t, signalled)
}

// TestTurnsAlternate: in a conversation as people have it, only the
// messages that change the turn reach the workflow.
func TestTurnsAlternate(t *testing.T) {
	t.Parallel()
	b := setup(t) // the visitor's first message: the customer's turn
	ctx := t.Context()
	operator := uuid.New()
	var signalled []int64
	for i, sender := range []string{"visitor", "visitor", "operator", "operator", "operator", "visitor", "operator"} {
		m := store.NewMessage{WorkspaceID: b.workspace.ID, ConversationID: b.conversation.ID, SenderType: sender, Body: fmt.Sprint(i)}
		if sender == "visitor" {
			m.SenderID = &b.visitor.ID
		} else {
			m.SenderID = &operator
		}
		sent, err := b.store.SendMessage(ctx, m)
		require.NoError(t, err)
		if len(sent.Message.SignalReasons) > 0 {
			signalled = append(signalled, sent.Message.Seq)
		}
	}
	// Seqs 2..8; the first message (seq 1) opened the customer's turn.
	require.Equal(t, []int64{4, 7, 8}, signalled)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestStatusSeqIsTheStatusEvent: a change of status records its event's
// seq as the status's; a change that keeps the status keeps it. The
// workflow judges a late customer message against it.
func TestStatusSeqIsTheStatusEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	snoozed, err := b.store.ApplyLifecycle(ctx, b.change(1, conversation.StatusSnoozed, conversation.PhaseQueued))
	require.NoError(t, err)
	require.Equal(t, snoozed.Event.Seq, snoozed.Conversation.StatusSeq)

	assigned, err := b.store.ApplyLifecycle(ctx, b.change(2, conversation.StatusSnoozed, conversation.PhaseAssigned))
	require.NoError(t, err)
	require.Greater(t, assigned.Event.Seq, snoozed.Event.Seq)
	require.Equal(t, snoozed.Event.Seq, assigned.Conversation.StatusSeq, "still snoozed since the snooze")

	woken, err := b.store.ApplyLifecycle(ctx, b.change(3, conversation.StatusOpen, conversation.PhaseAssigned))
	require.NoError(t, err)
	require.Equal(t, woken.Event.Seq, woken.Conversation.StatusSeq)
	require.Equal(t, woken.Event.Seq, woken.Conversation.Lifecycle().StatusSeq, "a fresh run loads it")
}

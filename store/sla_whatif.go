package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/calendar"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/sla"
)

// MaxWhatIfConversations caps the conversations a what-if replays: the
// most recent of the range.
const MaxWhatIfConversations = 5000

// SLAOutcome counts clocks: met in time, breached, still running.
type SLAOutcome struct {
	Met        int64    `json:"met"`
	Breached   int64    `json:"breached"`
	Running    int64    `json:"running"`
	BreachRate *float64 `json:"breach_rate"`
}

func (o *SLAOutcome) rate() {
	if n := o.Met + o.Breached; n > 0 {
		r := float64(o.Breached) / float64(n)
		o.BreachRate = &r
	}
}

// SLAWhatIfMetric is one metric: what the candidate policy would have
// had, and what the conversations actually had (under the policies that
// applied then).
type SLAWhatIfMetric struct {
	Metric    string     `json:"metric"`
	Candidate SLAOutcome `json:"candidate"`
	Actual    SLAOutcome `json:"actual"`
}

// SLAWhatIf is a candidate policy measured against the past.
type SLAWhatIf struct {
	From time.Time `json:"from"`
	// Conversations: those of the range the candidate's conditions cover
	// (as they are now), replayed; Sampled: the range had more than
	// MaxWhatIfConversations, the most recent were taken.
	Conversations int               `json:"conversations"`
	Sampled       bool              `json:"sampled"`
	Metrics       []SLAWhatIfMetric `json:"metrics"`
}

// SLAWhatIf replays the conversations started since from (the most recent
// MaxWhatIfConversations) through the candidate policy, as the workflow
// would have measured them (sla.Replay: the lifecycle from the event log,
// the turns from the messages, the department's or the workspace's
// business hours), and sets the breach rates it would have had beside the
// actual ones.
func (s *Store) SLAWhatIf(ctx context.Context, workspaceID uuid.UUID, candidate sla.Policy, from, now time.Time) (SLAWhatIf, error) {
	out := SLAWhatIf{From: from}
	convs, err := s.q.SLAWhatIfConversations(ctx, dbsqlc.SLAWhatIfConversationsParams{WorkspaceID: workspaceID, Since: from, RowLimit: MaxWhatIfConversations + 1})
	if err != nil {
		return out, fmt.Errorf("reading the range's conversations: %w", err)
	}
	if len(convs) > MaxWhatIfConversations {
		convs, out.Sampled = convs[:MaxWhatIfConversations], true
	}
	raw, err := s.q.WorkspaceHoursGet(ctx, workspaceID)
	if err != nil {
		return out, interpretError(err)
	}
	workspaceHours, err := calendarOf(raw)
	if err != nil {
		return out, err
	}
	var ids []uuid.UUID
	kept := convs[:0]
	for _, c := range convs {
		facts := sla.Facts{DepartmentID: uuidPtr(c.DepartmentID), Priority: c.Priority, InboxID: uuidPtr(c.InboxID), TagIDs: c.TagIDs,
			ContactAttributes: attributeText(c.ContactAttributes)}
		if candidate.Conditions.Match(facts) {
			kept = append(kept, c)
			ids = append(ids, c.ID)
		}
	}
	out.Conversations = len(kept)
	history := map[uuid.UUID][]sla.Happening{}
	if len(ids) > 0 {
		events, err := s.q.SLAWhatIfEvents(ctx, dbsqlc.SLAWhatIfEventsParams{WorkspaceID: workspaceID, ConversationIDs: ids})
		if err != nil {
			return out, fmt.Errorf("reading the range's events: %w", err)
		}
		for _, e := range events {
			kind, ok := map[string]string{
				"snoozed": sla.HappenedSnoozed, "woken": sla.HappenedWoken, "resolved": sla.HappenedResolved,
				"reopened": sla.HappenedPeople, "handed_off": sla.HappenedPeople, "handed_back": sla.HappenedHandedBack,
			}[e.Type]
			if ok {
				history[e.ConversationID] = append(history[e.ConversationID], sla.Happening{Kind: kind, At: e.CreatedAt})
			}
		}
		messages, err := s.q.SLAWhatIfMessages(ctx, dbsqlc.SLAWhatIfMessagesParams{WorkspaceID: workspaceID, ConversationIDs: ids})
		if err != nil {
			return out, fmt.Errorf("reading the range's messages: %w", err)
		}
		last := map[uuid.UUID]string{}
		for _, m := range messages {
			if last[m.ConversationID] == m.SenderType {
				continue // the same side again: no change of turn
			}
			last[m.ConversationID] = m.SenderType
			kind := sla.HappenedCustomer
			if m.SenderType == "operator" {
				kind = sla.HappenedOperator
			}
			history[m.ConversationID] = append(history[m.ConversationID], sla.Happening{Kind: kind, At: m.CreatedAt})
		}
	}
	candidates := map[string]*SLAOutcome{}
	for _, m := range sla.Metrics {
		candidates[m] = &SLAOutcome{}
	}
	departmentHours := map[string]*calendar.Calendar{}
	for _, c := range kept {
		h := history[c.ID]
		if c.HandedOffAt != nil {
			h = append(h, sla.Happening{Kind: sla.HappenedPeople, At: *c.HandedOffAt})
		}
		// In time order; at one instant, people first (a message that
		// reached them), then the rest as recorded.
		slices.SortStableFunc(h, func(a, b sla.Happening) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return cmp.Compare(b2i(a.Kind != sla.HappenedPeople), b2i(b.Kind != sla.HappenedPeople))
		})
		cal := workspaceHours
		if len(c.DepartmentHours) > 0 {
			key := string(c.DepartmentHours)
			dc, ok := departmentHours[key]
			if !ok {
				dc, _ = calendarOf(c.DepartmentHours) // stored checked
				departmentHours[key] = dc
			}
			if dc != nil {
				cal = dc
			}
		}
		clocks, err := sla.Replay(&candidate, cal, c.Priority, h, now)
		if err != nil {
			continue // a calendar without open hours: nothing to measure
		}
		for _, cl := range clocks {
			o := candidates[cl.Metric]
			switch {
			case cl.BreachedAt != nil:
				o.Breached++
			case cl.MetAt != nil:
				o.Met++
			case cl.RunningSince != nil:
				o.Running++
			}
		}
	}
	actual := map[string]SLAOutcome{}
	if len(ids) > 0 {
		rows, err := s.q.SLAWhatIfActual(ctx, dbsqlc.SLAWhatIfActualParams{WorkspaceID: workspaceID, ConversationIDs: ids})
		if err != nil {
			return out, fmt.Errorf("reading the actual outcomes: %w", err)
		}
		for _, r := range rows {
			actual[r.Metric] = SLAOutcome{Met: r.Met, Breached: r.Breached, Running: r.Running}
		}
	}
	for _, m := range sla.Metrics {
		if !hasTarget(candidate, m) {
			continue
		}
		c, a := *candidates[m], actual[m]
		c.rate()
		a.rate()
		out.Metrics = append(out.Metrics, SLAWhatIfMetric{Metric: m, Candidate: c, Actual: a})
	}
	return out, nil
}

func hasTarget(p sla.Policy, metric string) bool {
	return slices.ContainsFunc(p.Targets, func(t sla.Target) bool { return t.Metric == metric })
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
	"github.com/switchboardhq/switchboard/sla"
)

// SLASelect reads what a conversation's SLA tracker needs: the policy
// that applies to it as it is now (the first enabled one whose conditions
// match), the calendar its business-hours targets count in (its
// department's, else the workspace's), the workspace's SLA version, and
// what earlier runs left (cycles started, whether an operator replied).
func (s *Store) SLASelect(ctx context.Context, workspaceID, conversationID uuid.UUID) (sla.Selection, error) {
	f, err := s.q.SLAFacts(ctx, dbsqlc.SLAFactsParams{WorkspaceID: workspaceID, ID: conversationID})
	if err != nil {
		return sla.Selection{}, fmt.Errorf("reading SLA facts of conversation %s: %w", conversationID, interpretError(err))
	}
	sel := sla.Selection{Version: f.SlaVersion, Replied: f.Replied}
	policies, err := s.SLAPolicies(ctx, workspaceID)
	if err != nil {
		return sla.Selection{}, err
	}
	facts := sla.Facts{
		DepartmentID: uuidPtr(f.DepartmentID), Priority: f.Priority, InboxID: uuidPtr(f.InboxID), TagIDs: f.TagIDs,
		ContactAttributes: attributeText(f.ContactAttributes),
	}
	for _, p := range policies {
		if p.Enabled && len(p.Conditions.Priorities) > 0 {
			sel.PriorityMatters = true
		}
	}
	if p := sla.Select(policies, facts); p != nil {
		policy := *p
		sel.Policy = &policy
	}
	hours := f.DepartmentHours
	if len(hours) == 0 {
		hours = f.WorkspaceHours
	}
	if sel.Calendar, err = calendarOf(hours); err != nil {
		return sla.Selection{}, err
	}
	cycles, err := s.q.SLACycles(ctx, dbsqlc.SLACyclesParams{WorkspaceID: workspaceID, ConversationID: conversationID})
	if err != nil {
		return sla.Selection{}, fmt.Errorf("reading SLA cycles of conversation %s: %w", conversationID, err)
	}
	for _, c := range cycles {
		switch c.Metric {
		case sla.FirstResponse:
			sel.Cycles.FirstResponse = int(c.Cycle)
		case sla.NextResponse:
			sel.Cycles.NextResponse = int(c.Cycle)
		case sla.Resolution:
			sel.Cycles.Resolution = int(c.Cycle)
		case sla.PeriodicUpdate:
			sel.Cycles.PeriodicUpdate = int(c.Cycle)
		}
	}
	return sel, nil
}

// attributeText is a contact's attributes as text, for a policy's
// condition on one.
func attributeText(raw []byte) map[string]string {
	var attrs map[string]any
	if json.Unmarshal(raw, &attrs) != nil {
		return nil
	}
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

// SLAVersion is the workspace's SLA version: it moves with every edit of
// its policies or business hours, or a department's.
func (s *Store) SLAVersion(ctx context.Context, workspaceID uuid.UUID) (int64, error) {
	v, err := s.q.SLAVersion(ctx, workspaceID)
	if err != nil {
		return 0, fmt.Errorf("reading the SLA version: %w", interpretError(err))
	}
	return v, nil
}

// SLARecord is what a conversation's clocks did, to be recorded: the
// events, the ladder steps that fell due, every clock as it is at At
// (those that run, and those just met or cancelled), and what the
// conversation shows now.
type SLARecord struct {
	WorkspaceID    uuid.UUID
	ConversationID uuid.UUID
	PolicyID       uuid.UUID
	PolicyName     string
	Events         []sla.Event
	Due            []sla.Due
	Clocks         []sla.View
	Summary        *sla.Summary
	At             time.Time
}

// SLARecorded is the conversation after a record, the events it added to
// the log (none for a retry) and the inbox items the ladder made.
type SLARecorded struct {
	Conversation  Conversation
	Events        []Event
	Notifications []Notification
}

// Conversation events of the SLA: "sla." and the clock event's kind, and
// a ladder step's.
const (
	EventSLAPrefix    = "sla."
	EventSLAEscalated = "sla.escalated"
)

// RecordSLA records a conversation's clock changes in one transaction,
// each under a key of its cause, so a retry records nothing twice: the
// events in the conversation's log with its next seqs, the ladder's steps
// (an event with its reason, items for those it notifies), the clocks'
// rows, the rollups of those that closed, and the conversation's summary.
func (s *Store) RecordSLA(ctx context.Context, r SLARecord) (SLARecorded, error) {
	var out SLARecorded
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		conv, err := q.ConversationGetForUpdate(ctx, dbsqlc.ConversationGetForUpdateParams{WorkspaceID: r.WorkspaceID, ID: r.ConversationID})
		if err != nil {
			return interpretError(err)
		}
		seq := conv.LastSeq
		insert := func(typ, reason, key string, data map[string]any) (bool, error) {
			data["policy_id"], data["policy_name"] = r.PolicyID, r.PolicyName
			raw, err := json.Marshal(data)
			if err != nil {
				return false, err
			}
			ev, err := q.SLAEventInsert(ctx, dbsqlc.SLAEventInsertParams{
				ID: newID(), WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Seq: seq + 1,
				Type: typ, Reason: reason, Data: raw, CreatedAt: time.Now(), DedupeKey: &key,
			})
			if errors.Is(err, pgx.ErrNoRows) {
				return false, nil // recorded before
			}
			if err != nil {
				return false, interpretError(err)
			}
			seq++
			out.Events = append(out.Events, eventFromRow(ev))
			return true, nil
		}
		for _, e := range r.Events {
			key := fmt.Sprintf("sla:%s:%s:%d", e.Kind, e.Metric, e.Cycle)
			if e.Kind == sla.EventPaused || e.Kind == sla.EventResumed {
				key += fmt.Sprintf(":%d", e.At.UnixNano()) // several a cycle
			}
			data := map[string]any{"metric": e.Metric, "cycle": e.Cycle, "at": e.At}
			if _, err := insert(EventSLAPrefix+e.Kind, "", key, data); err != nil {
				return err
			}
		}
		for _, d := range r.Due {
			kinds := make([]string, len(d.Step.Actions))
			for i, a := range d.Step.Actions {
				kinds[i] = a.Kind
			}
			data := map[string]any{
				"metric": d.Metric, "cycle": d.Cycle, "step": d.Index, "at": d.At, "moment": d.Step.At,
				"after_seconds": d.Step.AfterSeconds, "actions": kinds,
			}
			fresh, err := insert(EventSLAEscalated, "sla_"+d.Step.At, fmt.Sprintf("sla:escalated:%s:%d:%d", d.Metric, d.Cycle, d.Index), data)
			if err != nil {
				return err
			}
			if fresh {
				items, err := slaNotify(ctx, q, conv, r, d)
				if err != nil {
					return err
				}
				out.Notifications = append(out.Notifications, items...)
			}
		}
		for _, v := range r.Clocks {
			if err := recordClock(ctx, q, conv, r, v); err != nil {
				return err
			}
		}
		var summary []byte
		if r.Summary != nil {
			if summary, err = json.Marshal(r.Summary); err != nil {
				return err
			}
		}
		row, err := q.ConversationSetSLA(ctx, dbsqlc.ConversationSetSLAParams{WorkspaceID: r.WorkspaceID, ID: r.ConversationID, LastSeq: seq, Sla: summary})
		if err != nil {
			return interpretError(err)
		}
		out.Conversation = conversationFromRow(row)
		return nil
	})
	if err != nil {
		return SLARecorded{}, fmt.Errorf("recording SLA of conversation %s: %w", r.ConversationID, err)
	}
	return out, nil
}

// recordClock writes a clock's row; one that closes now (met, not
// cancelled) joins its day's rollup, once: the conversation's row lock
// serialises its writers, and a closed row stays closed.
func recordClock(ctx context.Context, q *dbsqlc.Queries, conv dbsqlc.Conversation, r SLARecord, v sla.View) error {
	prev, err := q.SLAClockGet(ctx, dbsqlc.SLAClockGetParams{WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Metric: v.Metric, Cycle: int32(v.Cycle)})
	existed := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	err = q.SLAClockUpsert(ctx, dbsqlc.SLAClockUpsertParams{
		WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, Metric: v.Metric, Cycle: int32(v.Cycle),
		PolicyID: r.PolicyID, PolicyName: r.PolicyName, DepartmentID: conv.DepartmentID, AssigneeID: conv.AssigneeID,
		InboxID: conv.InboxID, Priority: conv.Priority, BusinessHours: v.Business, TargetSeconds: v.TargetSeconds,
		StartedAt: v.StartedAt, Deadline: v.Deadline, WarnedAt: v.WarnedAt, BreachedAt: v.BreachedAt, MetAt: v.MetAt,
		Cancelled: v.Cancelled, ElapsedSeconds: v.ElapsedSeconds, UpdatedAt: r.At,
	})
	if err != nil {
		return interpretError(err)
	}
	wasClosed := existed && (prev.MetAt != nil || prev.Cancelled)
	if wasClosed || v.MetAt == nil || v.Cancelled {
		return nil
	}
	breached := v.BreachedAt != nil || (existed && prev.BreachedAt != nil)
	hist := make([]int64, sla.Buckets)
	hist[sla.Bucket(time.Duration(v.ElapsedSeconds)*time.Second)] = 1
	var met, late int64 = 1, 0
	if breached {
		met, late = 0, 1
	}
	y, m, d := v.StartedAt.UTC().Date()
	grains := [][2]string{{dimAll, ""}, {dimPriority, conv.Priority}}
	if r.PolicyID != uuid.Nil {
		grains = append(grains, [2]string{dimPolicy, r.PolicyID.String()})
	}
	for _, d := range []struct {
		dim string
		id  uuid.NullUUID
	}{{dimDepartment, conv.DepartmentID}, {dimOperator, conv.AssigneeID}, {dimInbox, conv.InboxID}} {
		if d.id.Valid {
			grains = append(grains, [2]string{d.dim, d.id.UUID.String()})
		}
	}
	// Always in the same order: two transactions adding to the same rows
	// wait for each other rather than deadlock.
	for _, g := range grains {
		err := q.SLARollupAdd(ctx, dbsqlc.SLARollupAddParams{
			WorkspaceID: r.WorkspaceID, Dimension: g[0], Value: g[1], Day: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
			Metric: v.Metric, Met: met, Breached: late, SecondsSum: v.ElapsedSeconds, Histogram: hist,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// The grains of sla_rollups.
const (
	dimAll        = "all"
	dimDepartment = "department"
	dimOperator   = "operator"
	dimPolicy     = "policy"
	dimPriority   = "priority"
	dimInbox      = "inbox"
)

// grain is the rollup grain a filter reads: the whole workspace, or its
// one dimension; ok is false for a filter of several (the clocks are read).
func (f SLAFilter) grain() (dimension, value string, ok bool) {
	dimension, n := dimAll, 0
	for dim, id := range map[string]*uuid.UUID{dimPolicy: f.PolicyID, dimDepartment: f.DepartmentID, dimOperator: f.OperatorID, dimInbox: f.InboxID} {
		if id != nil {
			dimension, value = dim, id.String()
			n++
		}
	}
	if f.Priority != nil {
		dimension, value = dimPriority, *f.Priority
		n++
	}
	return dimension, value, n <= 1
}

// slaNotify puts the items a ladder step's notify actions make in the
// inboxes of the assignee and the department's supervisors, keyed by the
// step.
func slaNotify(ctx context.Context, q *dbsqlc.Queries, conv dbsqlc.Conversation, r SLARecord, d sla.Due) ([]Notification, error) {
	var to []uuid.UUID
	for _, a := range d.Step.Actions {
		switch a.Kind {
		case sla.ActionNotifyAssignee:
			if conv.AssigneeID.Valid {
				to = append(to, conv.AssigneeID.UUID)
			}
		case sla.ActionNotifySupervisors:
			ids, err := q.SLASupervisors(ctx, dbsqlc.SLASupervisorsParams{WorkspaceID: r.WorkspaceID, DepartmentID: conv.DepartmentID})
			if err != nil {
				return nil, err
			}
			to = append(to, ids...)
		}
	}
	slices.SortFunc(to, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	to = slices.Compact(to)
	kind := NotificationSLABreach
	if d.Step.At == sla.AtWarning {
		kind = NotificationSLAWarning
	}
	text := conv.Subject
	if text == "" {
		text = conv.LastMessagePreview
	}
	var out []Notification
	for _, id := range to {
		item, err := insertNotification(ctx, q, NewNotification{
			WorkspaceID: r.WorkspaceID, OperatorID: id, Kind: kind,
			DedupeKey:      fmt.Sprintf("sla:%s:%s:%d:%d", r.ConversationID, d.Metric, d.Cycle, d.Index),
			ConversationID: &r.ConversationID, ContactID: uuidPtr(conv.ContactID),
			Preview: slaPreview(d) + text, At: r.At,
		})
		if err != nil {
			return nil, err
		}
		if item != nil {
			out = append(out, *item)
		}
	}
	return out, nil
}

var metricNames = map[string]string{
	sla.FirstResponse: "First response", sla.NextResponse: "Next response",
	sla.Resolution: "Resolution", sla.PeriodicUpdate: "Periodic update",
}

// slaPreview is what an SLA item says before the conversation's words.
func slaPreview(d sla.Due) string {
	what := "breached"
	switch {
	case d.Step.At == sla.AtWarning:
		what = "due soon"
	case d.Step.AfterSeconds > 0:
		what = "breached " + spoken(time.Duration(d.Step.AfterSeconds)*time.Second) + " ago"
	}
	return metricNames[d.Metric] + " " + what + ": "
}

// spoken says a delay the way a person would: 45 s, 5 min, 2 h 30 min.
func spoken(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// SLAFilter narrows a report: days [From, To) (UTC dates of the clocks'
// starts; for breaches, of the breaches), and any of the dimensions.
type SLAFilter struct {
	From, To     time.Time
	PolicyID     *uuid.UUID
	DepartmentID *uuid.UUID
	OperatorID   *uuid.UUID
	InboxID      *uuid.UUID
	Priority     *string
}

// SLAMetricReport is one metric's outcome over a report's range: clocks
// closed in time (met) and late (breached), those still running (and how
// many of them breached already), the breach rate over all that breached
// or closed, and the median, 90th percentile and mean of the time the
// closed clocks counted (business time for business-hours targets; the
// percentiles to a bucket's 9 %).
type SLAMetricReport struct {
	Metric          string   `json:"metric"`
	Met             int64    `json:"met"`
	Breached        int64    `json:"breached"`
	Running         int64    `json:"running"`
	RunningBreached int64    `json:"running_breached"`
	BreachRate      *float64 `json:"breach_rate"`
	MedianSeconds   *int64   `json:"median_seconds"`
	P90Seconds      *int64   `json:"p90_seconds"`
	MeanSeconds     *int64   `json:"mean_seconds"`
}

// SLADay is one day of a report: clocks closed in time and late, every
// metric together (the chart).
type SLADay struct {
	Day      string `json:"day"`
	Met      int64  `json:"met"`
	Breached int64  `json:"breached"`
}

// SLAReport reads a report from the rollups (a month is a month of rows
// per dimension, not the conversations) and the clocks still running.
func (s *Store) SLAReport(ctx context.Context, workspaceID uuid.UUID, f SLAFilter) ([]SLAMetricReport, []SLADay, error) {
	rows, err := s.slaRollups(ctx, workspaceID, f)
	if err != nil {
		return nil, nil, err
	}
	open, err := s.q.SLAOpenCounts(ctx, dbsqlc.SLAOpenCountsParams{
		WorkspaceID: workspaceID, FromAt: f.From, ToAt: f.To, PolicyID: nullUUID(f.PolicyID), DepartmentID: nullUUID(f.DepartmentID),
		OperatorID: nullUUID(f.OperatorID), InboxID: nullUUID(f.InboxID), Priority: f.Priority,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("counting running SLA clocks: %w", err)
	}
	type acc struct {
		report SLAMetricReport
		hist   []int64
		sum    int64
	}
	by := map[string]*acc{}
	for _, m := range sla.Metrics {
		by[m] = &acc{report: SLAMetricReport{Metric: m}, hist: make([]int64, sla.Buckets)}
	}
	days := map[string]*SLADay{}
	for _, r := range rows {
		a := by[r.Metric]
		if a == nil {
			continue
		}
		a.report.Met += r.Met
		a.report.Breached += r.Breached
		a.sum += r.SecondsSum
		for i := 0; i < len(r.Histogram) && i < len(a.hist); i++ {
			a.hist[i] += r.Histogram[i]
		}
		key := r.Day.Format(time.DateOnly)
		d := days[key]
		if d == nil {
			d = &SLADay{Day: key}
			days[key] = d
		}
		d.Met += r.Met
		d.Breached += r.Breached
	}
	for _, o := range open {
		if a := by[o.Metric]; a != nil {
			a.report.Running, a.report.RunningBreached = o.Running, o.Breached
		}
	}
	out := make([]SLAMetricReport, 0, len(sla.Metrics))
	for _, m := range sla.Metrics {
		a := by[m]
		r := a.report
		if judged := r.Met + r.Breached + r.RunningBreached; judged > 0 {
			rate := float64(r.Breached+r.RunningBreached) / float64(judged)
			r.BreachRate = &rate
		}
		if closed := r.Met + r.Breached; closed > 0 {
			mean := a.sum / closed
			r.MeanSeconds = &mean
			med, _ := sla.Quantile(a.hist, 0.5)
			p90, _ := sla.Quantile(a.hist, 0.9)
			ms, ps := int64(med/time.Second), int64(p90/time.Second)
			r.MedianSeconds, r.P90Seconds = &ms, &ps
		}
		out = append(out, r)
	}
	chart := make([]SLADay, 0, len(days))
	for day := f.From; day.Before(f.To); day = day.AddDate(0, 0, 1) {
		key := day.Format(time.DateOnly)
		if d := days[key]; d != nil {
			chart = append(chart, *d)
		} else {
			chart = append(chart, SLADay{Day: key})
		}
	}
	return out, chart, nil
}

// slaRollups reads the rollups of a report's grain; a filter of several
// dimensions adds up the clocks it covers instead.
func (s *Store) slaRollups(ctx context.Context, workspaceID uuid.UUID, f SLAFilter) ([]dbsqlc.SLARollupRangeRow, error) {
	if dim, value, ok := f.grain(); ok {
		rows, err := s.q.SLARollupRange(ctx, dbsqlc.SLARollupRangeParams{WorkspaceID: workspaceID, Dimension: dim, Value: value, FromDay: f.From, ToDay: f.To})
		if err != nil {
			return nil, fmt.Errorf("reading SLA rollups: %w", err)
		}
		return rows, nil
	}
	// By the operator's index, else the department's, else the range's.
	var clocks []dbsqlc.SLAClosedClocksRow
	var err error
	switch {
	case f.OperatorID != nil:
		var rows []dbsqlc.SLAClosedClocksOfOperatorRow
		rows, err = s.q.SLAClosedClocksOfOperator(ctx, dbsqlc.SLAClosedClocksOfOperatorParams{
			WorkspaceID: workspaceID, OperatorID: uuid.NullUUID{UUID: *f.OperatorID, Valid: true}, FromAt: f.From, ToAt: f.To,
			PolicyID: nullUUID(f.PolicyID), DepartmentID: nullUUID(f.DepartmentID), InboxID: nullUUID(f.InboxID), Priority: f.Priority,
		})
		for _, r := range rows {
			clocks = append(clocks, dbsqlc.SLAClosedClocksRow(r))
		}
	case f.DepartmentID != nil:
		var rows []dbsqlc.SLAClosedClocksOfDepartmentRow
		rows, err = s.q.SLAClosedClocksOfDepartment(ctx, dbsqlc.SLAClosedClocksOfDepartmentParams{
			WorkspaceID: workspaceID, DepartmentID: uuid.NullUUID{UUID: *f.DepartmentID, Valid: true}, FromAt: f.From, ToAt: f.To,
			PolicyID: nullUUID(f.PolicyID), InboxID: nullUUID(f.InboxID), Priority: f.Priority,
		})
		for _, r := range rows {
			clocks = append(clocks, dbsqlc.SLAClosedClocksRow(r))
		}
	default:
		clocks, err = s.q.SLAClosedClocks(ctx, dbsqlc.SLAClosedClocksParams{
			WorkspaceID: workspaceID, FromAt: f.From, ToAt: f.To, PolicyID: nullUUID(f.PolicyID), InboxID: nullUUID(f.InboxID), Priority: f.Priority,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("reading SLA clocks: %w", err)
	}
	type key struct {
		day    time.Time
		metric string
	}
	at := map[key]int{}
	var out []dbsqlc.SLARollupRangeRow
	for _, c := range clocks {
		k := key{c.Day, c.Metric}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, dbsqlc.SLARollupRangeRow{Day: c.Day, Metric: c.Metric, Histogram: make([]int64, sla.Buckets)})
		}
		r := &out[i]
		if c.Breached {
			r.Breached++
		} else {
			r.Met++
		}
		r.SecondsSum += c.ElapsedSeconds
		r.Histogram[sla.Bucket(time.Duration(c.ElapsedSeconds)*time.Second)]++
	}
	return out, nil
}

// SLABreach is a clock that breached, with its conversation's event
// history (what happened when, and why).
type SLABreach struct {
	ConversationID uuid.UUID  `json:"conversation_id"`
	Metric         string     `json:"metric"`
	Cycle          int        `json:"cycle"`
	PolicyID       uuid.UUID  `json:"policy_id"`
	PolicyName     string     `json:"policy_name"`
	DepartmentID   *uuid.UUID `json:"department_id"`
	AssigneeID     *uuid.UUID `json:"assignee_id"`
	InboxID        *uuid.UUID `json:"inbox_id"`
	Priority       string     `json:"priority"`
	BusinessHours  bool       `json:"business_hours"`
	TargetSeconds  int64      `json:"target_seconds"`
	ElapsedSeconds int64      `json:"elapsed_seconds"`
	StartedAt      time.Time  `json:"started_at"`
	WarnedAt       *time.Time `json:"warned_at"`
	BreachedAt     time.Time  `json:"breached_at"`
	MetAt          *time.Time `json:"met_at"`
	Events         []Event    `json:"events"`
}

// MaxSLABreaches caps a page of breaches.
const MaxSLABreaches = 500

// SLABreaches lists the clocks that breached in [From, To), latest first
// (at most limit), each with its conversation's event history.
func (s *Store) SLABreaches(ctx context.Context, workspaceID uuid.UUID, f SLAFilter, limit int) ([]SLABreach, error) {
	rows, err := s.q.SLABreachList(ctx, dbsqlc.SLABreachListParams{
		WorkspaceID: workspaceID, FromAt: f.From, ToAt: f.To, PolicyID: nullUUID(f.PolicyID), DepartmentID: nullUUID(f.DepartmentID),
		OperatorID: nullUUID(f.OperatorID), InboxID: nullUUID(f.InboxID), Priority: f.Priority, RowLimit: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("listing SLA breaches: %w", err)
	}
	ids := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		if !slices.Contains(ids, r.ConversationID) {
			ids = append(ids, r.ConversationID)
		}
	}
	events := map[uuid.UUID][]Event{}
	if len(ids) > 0 {
		evs, err := s.q.ConversationEventsOf(ctx, dbsqlc.ConversationEventsOfParams{WorkspaceID: workspaceID, ConversationIDs: ids})
		if err != nil {
			return nil, fmt.Errorf("reading the breaches' events: %w", err)
		}
		for _, e := range evs {
			events[e.ConversationID] = append(events[e.ConversationID], eventFromRow(e))
		}
	}
	out := make([]SLABreach, len(rows))
	for i, r := range rows {
		out[i] = SLABreach{
			ConversationID: r.ConversationID, Metric: r.Metric, Cycle: int(r.Cycle), PolicyID: r.PolicyID, PolicyName: r.PolicyName,
			DepartmentID: uuidPtr(r.DepartmentID), AssigneeID: uuidPtr(r.AssigneeID), InboxID: uuidPtr(r.InboxID), Priority: r.Priority,
			BusinessHours: r.BusinessHours, TargetSeconds: r.TargetSeconds, ElapsedSeconds: r.ElapsedSeconds, StartedAt: r.StartedAt,
			WarnedAt: r.WarnedAt, BreachedAt: *r.BreachedAt, MetAt: r.MetAt, Events: events[r.ConversationID],
		}
		if out[i].Events == nil {
			out[i].Events = []Event{}
		}
	}
	return out, nil
}

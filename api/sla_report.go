package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/sla"
	"github.com/switchboardhq/switchboard/store"
)

// slaFilter reads a report's range and filters: from and to are dates
// (UTC, both included; the last 30 days by default), then any of
// policy_id, department_id, operator_id, inbox_id (the channel) and
// priority.
func slaFilter(c *gin.Context) (store.SLAFilter, error) {
	from, to, err := reportRange(c)
	if err != nil {
		return store.SLAFilter{}, err
	}
	f := store.SLAFilter{From: from, To: to.AddDate(0, 0, 1)}
	for _, q := range []struct {
		name string
		dst  **uuid.UUID
	}{{"policy_id", &f.PolicyID}, {"department_id", &f.DepartmentID}, {"operator_id", &f.OperatorID}, {"inbox_id", &f.InboxID}} {
		v := c.Query(q.name)
		if v == "" {
			continue
		}
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badRequest(q.name, "%s must be a UUID", q.name)
		}
		*q.dst = &id
	}
	if v := c.Query("priority"); v != "" {
		if conversation.PriorityRank(v) < 0 {
			return f, badRequest("priority", "priority must be one of %v", conversation.Priorities)
		}
		f.Priority = &v
	}
	return f, nil
}

// slaReport answers the SLA outcomes over a range (supervisors and up):
// per metric, met and breached counts, the breach rate, the median and
// 90th percentile of the times; and per day, the clocks closed in time and
// late (a chart). format=csv gives the metrics as a spreadsheet.
func (s *Server) slaReport(c *gin.Context) {
	f, err := slaFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	metrics, days, err := s.Store.SLAReport(c, viewerOf(c).WorkspaceID, f)
	if err != nil {
		fail(c, err)
		return
	}
	last := f.To.AddDate(0, 0, -1).Format(time.DateOnly)
	if c.Query("format") == "csv" {
		w := startCSV(c, "sla-report.csv")
		_ = w.Write([]string{"from", "to", "metric", "met", "breached", "running", "running_breached", "breach_rate", "median_seconds", "p90_seconds", "mean_seconds"})
		for _, m := range metrics {
			_ = w.Write([]string{f.From.Format(time.DateOnly), last, m.Metric, itoa(m.Met), itoa(m.Breached), itoa(m.Running), itoa(m.RunningBreached),
				ratio(m.BreachRate), optInt(m.MedianSeconds), optInt(m.P90Seconds), optInt(m.MeanSeconds)})
		}
		w.Flush()
		return
	}
	c.JSON(http.StatusOK, gin.H{"from": f.From.Format(time.DateOnly), "to": last, "metrics": metrics, "days": days})
}

// slaBreaches answers the clocks that breached in a range, latest first,
// each with its conversation's event history (limit, at most 500;
// format=csv: one row a breach, the history in one cell).
func (s *Server) slaBreaches(c *gin.Context) {
	f, err := slaFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxSLABreaches {
			fail(c, badRequest("limit", "limit must be 1 to %d", store.MaxSLABreaches))
			return
		}
		limit = n
	}
	list, err := s.Store.SLABreaches(c, viewerOf(c).WorkspaceID, f, limit)
	if err != nil {
		fail(c, err)
		return
	}
	if c.Query("format") != "csv" {
		c.JSON(http.StatusOK, gin.H{"breaches": list})
		return
	}
	w := startCSV(c, "sla-breaches.csv")
	_ = w.Write([]string{"conversation_id", "metric", "cycle", "policy", "priority", "department_id", "assignee_id", "inbox_id",
		"business_hours", "target_seconds", "started_at", "breached_at", "met_at", "elapsed_seconds", "history"})
	for _, b := range list {
		var history []string
		for _, e := range b.Events {
			line := e.CreatedAt.UTC().Format(time.RFC3339) + " " + e.Type
			if e.Reason != "" {
				line += " (" + e.Reason + ")"
			}
			history = append(history, line)
		}
		met := ""
		if b.MetAt != nil {
			met = b.MetAt.UTC().Format(time.RFC3339)
		}
		row := []string{b.ConversationID.String(), b.Metric, strconv.Itoa(b.Cycle), b.PolicyName, b.Priority, idOrEmpty(b.DepartmentID),
			idOrEmpty(b.AssigneeID), idOrEmpty(b.InboxID), strconv.FormatBool(b.BusinessHours), itoa(b.TargetSeconds),
			b.StartedAt.UTC().Format(time.RFC3339), b.BreachedAt.UTC().Format(time.RFC3339), met, itoa(b.ElapsedSeconds),
			strings.Join(history, "; ")}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
}

func startCSV(c *gin.Context, name string) *csv.Writer {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	return csv.NewWriter(c.Writer)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func optInt(n *int64) string {
	if n == nil {
		return ""
	}
	return itoa(*n)
}

func ratio(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r, 'f', 4, 64)
}

func idOrEmpty(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

type whatIfRequest struct {
	Policy *sla.Policy `json:"policy"`
	// Days: how far back (1 to 90; 30 when left out).
	Days int `json:"days"`
}

func (r *whatIfRequest) validate() error {
	if r.Policy == nil {
		return badRequest("policy", "policy is required: the candidate to measure")
	}
	if err := r.Policy.Validate(); err != nil {
		var p *sla.Problem
		if errors.As(err, &p) {
			return badRequest("policy."+p.Field, "%s", p.Message)
		}
		return err
	}
	if r.Days == 0 {
		r.Days = 30
	}
	if r.Days < 1 || r.Days > 90 {
		return badRequest("days", "days must be 1 to 90")
	}
	return nil
}

// slaWhatIf measures a candidate policy (not saved) against the past
// days: the conversations its conditions cover, replayed from the event
// log and the messages, with the breach rate it would have had per metric
// beside the actual one (supervisors and up).
func (s *Server) slaWhatIf(c *gin.Context) {
	var req whatIfRequest
	if !bind(c, &req) {
		return
	}
	now := time.Now()
	from := now.AddDate(0, 0, -req.Days)
	res, err := s.Store.SLAWhatIf(c, viewerOf(c).WorkspaceID, *req.Policy, from, now)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"what_if": res})
}

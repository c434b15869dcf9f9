package app_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// TestSLAPolicies: an admin sets the workspace's ordered SLA policies and
// its business hours; supervisors read them, operators do not; an edit
// keeps a policy's id and counts its version; bad input is a 4xx naming
// the field and changes nothing.
func TestSLAPolicies(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	sup := env.Login(t, env.NewOperator(t, ws, "supervisor"))
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	dept := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]any{"name": "Billing"}).Body["department"].(map[string]any)["id"].(string)

	vip := map[string]any{
		"name": "Billing VIP", "enabled": true, "warn_at_percent": 80,
		"conditions": map[string]any{"department_ids": []string{dept}, "priorities": []string{"high", "urgent"}},
		"targets": []map[string]any{
			{"metric": "first_response", "seconds": 300, "business_hours": true},
			{"metric": "first_response", "priority": "urgent", "seconds": 60},
			{"metric": "resolution", "seconds": 86400, "business_hours": true},
		},
		"pauses": map[string]any{"snoozed": true, "waiting_on_customer": true},
		"ladder": []map[string]any{
			{"metric": "first_response", "at": "warning", "actions": []map[string]any{{"kind": "notify_assignee"}}},
			{"metric": "first_response", "at": "breach", "actions": []map[string]any{{"kind": "raise_priority", "priority": "urgent"}, {"kind": "notify_supervisors"}}},
		},
	}
	standard := map[string]any{"name": "Standard", "enabled": true, "targets": []map[string]any{{"metric": "first_response", "seconds": 3600}}}
	r := admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{vip, standard}})
	saved := r.Body["policies"].([]any)
	require.Len(t, saved, 2)
	first := saved[0].(map[string]any)
	require.Equal(t, "Billing VIP", first["name"])
	require.EqualValues(t, 1, first["version"])
	require.Len(t, first["ladder"], 2)
	id := first["id"].(string)

	require.Equal(t, string(r.Raw), string(sup.Must(http.StatusOK, "GET", "/api/v1/sla-policies", nil).Raw))
	op.Must(http.StatusForbidden, "GET", "/api/v1/sla-policies", nil)
	sup.Must(http.StatusForbidden, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{}})

	// Edit the first (same id), drop the second.
	vip["id"], vip["name"] = id, "Billing VIP (edited)"
	r = admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{vip}})
	saved = r.Body["policies"].([]any)
	require.Len(t, saved, 1)
	require.Equal(t, id, saved[0].(map[string]any)["id"])
	require.EqualValues(t, 2, saved[0].(map[string]any)["version"])

	// Bad input changes nothing.
	before := admin.Must(http.StatusOK, "GET", "/api/v1/sla-policies", nil).Raw
	for _, c := range []struct {
		policy map[string]any
		status int
		field  string
	}{
		{map[string]any{"name": "x", "enabled": true, "targets": []map[string]any{{"metric": "speed", "seconds": 1}}}, http.StatusBadRequest, "policies[0].targets[0].metric"},
		{map[string]any{"name": "x", "enabled": true, "targets": []map[string]any{}}, http.StatusBadRequest, "policies[0].targets"},
		{map[string]any{"id": uuid.NewString(), "name": "x", "enabled": true, "targets": []map[string]any{{"metric": "resolution", "seconds": 1}}}, http.StatusUnprocessableEntity, "policies[0].id"},
		{map[string]any{"name": "x", "enabled": true, "conditions": map[string]any{"tag_ids": []string{uuid.NewString()}},
			"targets": []map[string]any{{"metric": "resolution", "seconds": 1}}}, http.StatusUnprocessableEntity, "policies[0].conditions.tag_ids[0]"},
		{map[string]any{"name": "x", "enabled": true, "warn_at_percent": 0, "targets": []map[string]any{{"metric": "resolution", "seconds": 1}},
			"ladder": []map[string]any{{"metric": "resolution", "at": "warning", "actions": []map[string]any{{"kind": "notify_assignee"}}}}}, http.StatusBadRequest, "policies[0].ladder[0].at"},
	} {
		got := admin.Do("PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{c.policy}})
		require.Equal(t, c.status, got.Status, "%s: %s", c.field, got.Raw)
		require.Equal(t, c.field, got.ErrorField())
	}
	require.Equal(t, string(before), string(admin.Must(http.StatusOK, "GET", "/api/v1/sla-policies", nil).Raw))

	// The workspace's business hours, with a half day.
	require.Nil(t, op.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Body["business_hours"])
	hours := map[string]any{"time_zone": "Europe/Berlin",
		"hours":    []map[string]any{{"days": []string{"mon", "tue", "wed", "thu", "fri"}, "from": "09:00", "to": "12:00"}, {"days": []string{"mon", "tue", "wed", "thu", "fri"}, "from": "13:00", "to": "17:00"}},
		"holidays": []string{"2026-12-25"}, "closures": []map[string]any{{"date": "2026-12-24", "from": "12:00", "to": "24:00"}}}
	got := admin.Must(http.StatusOK, "PUT", "/api/v1/business-hours", map[string]any{"business_hours": hours})
	require.Equal(t, "Europe/Berlin", got.Body["business_hours"].(map[string]any)["time_zone"])
	require.Len(t, op.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Body["business_hours"].(map[string]any)["closures"], 1)
	bad := admin.Must(http.StatusBadRequest, "PUT", "/api/v1/business-hours", map[string]any{"business_hours": map[string]any{"time_zone": "Mars/Olympus", "hours": hours["hours"]}})
	require.Equal(t, "business_hours.time_zone", bad.ErrorField())
	bad = admin.Must(http.StatusBadRequest, "PUT", "/api/v1/business-hours", map[string]any{"business_hours": map[string]any{"time_zone": "UTC", "hours": hours["hours"],
		"closures": []map[string]any{{"date": "2026-12-24", "from": "12:00", "to": "11:00"}}}})
	require.Equal(t, "business_hours.closures[0].to", bad.ErrorField())
	op.Must(http.StatusForbidden, "PUT", "/api/v1/business-hours", map[string]any{"business_hours": nil})
	admin.Must(http.StatusOK, "PUT", "/api/v1/business-hours", map[string]any{"business_hours": nil})
	require.Nil(t, op.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Body["business_hours"])
}

// slaFrame decodes a conversation.updated frame's event and summary.
type slaFrame struct {
	Conversation struct {
		Priority string `json:"priority"`
		SLA      *struct {
			Breached bool `json:"breached"`
			Clocks   []struct {
				Metric     string     `json:"metric"`
				Deadline   *time.Time `json:"deadline"`
				BreachedAt *time.Time `json:"breached_at"`
			} `json:"clocks"`
		} `json:"sla"`
	} `json:"conversation"`
	Event *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
		Data   struct {
			Metric string    `json:"metric"`
			At     time.Time `json:"at"`
		} `json:"data"`
	} `json:"event"`
}

func slaEventFrame(t *testing.T, convID, typ, metric string) func(systest.Frame) bool {
	return func(f systest.Frame) bool {
		if f.Type != "conversation.updated" || f.ConversationID != convID {
			return false
		}
		var d slaFrame
		require.NoError(t, json.Unmarshal(f.Data, &d))
		return d.Event != nil && d.Event.Type == typ && d.Event.Data.Metric == metric
	}
}

func decodeSLA(t *testing.T, f systest.Frame) slaFrame {
	t.Helper()
	var d slaFrame
	require.NoError(t, json.Unmarshal(f.Data, &d))
	return d
}

// TestSLAFirstResponseBreachesOnTime: a 3-second first-response target
// breaches at its deadline, the breach reaches a supervisor's socket
// within 2 seconds of it, the ladder raises the priority and puts an item
// in the supervisor's inbox; the operator's reply then meets the clock at
// the reply's instant and the conversation no longer shows a breach.
func TestSLAFirstResponseBreachesOnTime(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	sup := env.Login(t, env.NewOperator(t, ws, "supervisor"))
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{map[string]any{
		"name": "Chat", "enabled": true,
		"targets": []map[string]any{{"metric": "first_response", "seconds": 3}, {"metric": "resolution", "seconds": 3600}},
		"ladder": []map[string]any{{"metric": "first_response", "at": "breach",
			"actions": []map[string]any{{"kind": "raise_priority", "priority": "high"}, {"kind": "notify_supervisors"}}}},
	}}})
	sock := sup.Dial()
	v := env.Visitor(t, ws)
	convID := v.StartConversation("my order never arrived")

	activated := decodeSLA(t, sock.WaitFor(5*time.Second, "sla.activated", slaEventFrame(t, convID, "sla.activated", "first_response")))
	f := sock.WaitFor(10*time.Second, "sla.breached", slaEventFrame(t, convID, "sla.breached", "first_response"))
	received := time.Now()
	breach := decodeSLA(t, f)
	require.Equal(t, activated.Event.Data.At.Add(3*time.Second), breach.Event.Data.At, "breached_at is the deadline itself")
	t.Logf("the breach reached the socket %s after the deadline", received.Sub(breach.Event.Data.At))
	require.Less(t, received.Sub(breach.Event.Data.At), 2*time.Second, "the breach reached the socket within 2 s of the deadline")
	require.True(t, breach.Conversation.SLA.Breached)

	escalated := decodeSLA(t, sock.WaitFor(5*time.Second, "sla.escalated", slaEventFrame(t, convID, "sla.escalated", "first_response")))
	require.Equal(t, "sla_breach", escalated.Event.Reason)
	item := inboxOf(t, sock.WaitFor(5*time.Second, "notification.created", frameType("notification.created")))
	require.ElementsMatch(t, []string{"sla_breach"}, notificationKinds(t, admin), "every supervisor of a workspace without departments")
	require.Equal(t, "sla_breach", item.Notification.Kind)
	require.Equal(t, convID, item.Notification.ConversationID)
	require.Contains(t, item.Notification.Preview, "First response breached")
	require.Eventually(t, func() bool {
		return convBody(sup.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil))["priority"] == "high"
	}, 5*time.Second, 50*time.Millisecond, "the ladder raised the priority")

	// The reply meets the clock; the conversation shows no breach.
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	op.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"body": "Sorry! Looking now."})
	met := decodeSLA(t, sock.WaitFor(5*time.Second, "sla.fulfilled", slaEventFrame(t, convID, "sla.fulfilled", "first_response")))
	require.False(t, met.Conversation.SLA.Breached, "only the resolution clock runs now")
	require.Len(t, met.Conversation.SLA.Clocks, 1)
	require.Equal(t, "resolution", met.Conversation.SLA.Clocks[0].Metric)

	// Everything once: the log has one breach.
	events := sup.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID+"/events", nil).Body["events"].([]any)
	breaches := 0
	for _, e := range events {
		if e.(map[string]any)["type"] == "sla.breached" {
			breaches++
		}
	}
	require.Equal(t, 1, breaches)
}

// TestSLAReport: the report counts what breached and what was met, with
// the times, per metric; filters narrow it; the breaches come with their
// history; CSV too; bad input names the field; operators may not read it.
func TestSLAReport(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	operator := env.NewOperator(t, ws, "operator")
	op := env.Login(t, operator)
	admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{map[string]any{
		"name": "Chat", "enabled": true,
		"targets": []map[string]any{{"metric": "first_response", "seconds": 2}, {"metric": "resolution", "seconds": 3600}},
	}}})
	sock := admin.Dial()
	late := env.Visitor(t, ws).StartConversation("nobody answers")
	sock.WaitFor(10*time.Second, "sla.breached", slaEventFrame(t, late, "sla.breached", "first_response"))
	quick := env.Visitor(t, ws).StartConversation("quick one")
	for _, id := range []string{late, quick} {
		op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+id+"/claim", nil)
		op.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+id+"/messages", map[string]any{"body": "Hello!"})
		sock.WaitFor(5*time.Second, "sla.fulfilled", slaEventFrame(t, id, "sla.fulfilled", "first_response"))
	}
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+quick+"/resolve", map[string]any{"resolution": "answered_question"})
	sock.WaitFor(5*time.Second, "sla.fulfilled", slaEventFrame(t, quick, "sla.fulfilled", "resolution"))

	type metric struct {
		Metric                 string
		Met, Breached, Running int64
		RunningBreached        int64    `json:"running_breached"`
		BreachRate             *float64 `json:"breach_rate"`
		MedianSeconds          *int64   `json:"median_seconds"`
	}
	report := func(query string) map[string]metric {
		var body struct{ Metrics []metric }
		r := admin.Must(http.StatusOK, "GET", "/api/v1/sla/report"+query, nil)
		require.NoError(t, json.Unmarshal(r.Raw, &body))
		out := map[string]metric{}
		for _, m := range body.Metrics {
			out[m.Metric] = m
		}
		return out
	}
	m := report("")
	fr := m["first_response"]
	require.EqualValues(t, 1, fr.Met)
	require.EqualValues(t, 1, fr.Breached)
	require.InDelta(t, 0.5, *fr.BreachRate, 1e-9)
	require.NotNil(t, fr.MedianSeconds)
	res := m["resolution"]
	require.EqualValues(t, 1, res.Met, "the quick one resolved")
	require.EqualValues(t, 1, res.Running, "the late one still open")

	require.Empty(t, report("?priority=urgent")["first_response"].Met+report("?priority=urgent")["first_response"].Breached)
	require.EqualValues(t, 1, report("?operator_id=" + operator.ID.String())["first_response"].Breached)
	both := report("?priority=normal&operator_id=" + operator.ID.String())["first_response"]
	require.Equal(t, fr, both, "two filters read the clocks; the same answer")

	var breaches struct {
		Breaches []struct {
			ConversationID string `json:"conversation_id"`
			Metric         string
			BreachedAt     time.Time `json:"breached_at"`
			StartedAt      time.Time `json:"started_at"`
			Events         []struct{ Type string }
		}
	}
	require.NoError(t, json.Unmarshal(admin.Must(http.StatusOK, "GET", "/api/v1/sla/breaches", nil).Raw, &breaches))
	require.Len(t, breaches.Breaches, 1)
	b := breaches.Breaches[0]
	require.Equal(t, late, b.ConversationID)
	require.Equal(t, b.StartedAt.Add(2*time.Second), b.BreachedAt)
	var types []string
	for _, e := range b.Events {
		types = append(types, e.Type)
	}
	require.Subset(t, types, []string{"sla.activated", "sla.breached", "claimed", "sla.fulfilled"})

	csvBody := string(admin.Must(http.StatusOK, "GET", "/api/v1/sla/breaches?format=csv", nil).Raw)
	require.Contains(t, csvBody, "conversation_id,metric,cycle")
	require.Contains(t, csvBody, late)
	require.Contains(t, string(admin.Must(http.StatusOK, "GET", "/api/v1/sla/report?format=csv", nil).Raw), "first_response,1,1,")

	for q, field := range map[string]string{"?from=yesterday": "from", "?priority=asap": "priority", "?department_id=7": "department_id", "?limit=0": "limit"} {
		path := "/api/v1/sla/report"
		if field == "limit" {
			path = "/api/v1/sla/breaches"
		}
		got := admin.Do("GET", path+q, nil)
		require.Equal(t, http.StatusBadRequest, got.Status, q)
		require.Equal(t, field, got.ErrorField())
	}
	op.Must(http.StatusForbidden, "GET", "/api/v1/sla/report", nil)
}

// TestSLAWhatIf: a candidate policy replayed over the past gives the
// breach rate it would have had beside the actual one: with a lax first
// response target, the conversation that breached would have been on
// time; bad input names the field.
func TestSLAWhatIf(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	sup := env.Login(t, env.NewOperator(t, ws, "supervisor"))
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{map[string]any{
		"name": "Tight", "enabled": true, "targets": []map[string]any{{"metric": "first_response", "seconds": 1}},
	}}})
	sock := admin.Dial()
	late := env.Visitor(t, ws).StartConversation("anyone there?")
	sock.WaitFor(10*time.Second, "sla.breached", slaEventFrame(t, late, "sla.breached", "first_response"))
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+late+"/claim", nil)
	op.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+late+"/messages", map[string]any{"body": "Here!"})
	sock.WaitFor(5*time.Second, "sla.fulfilled", slaEventFrame(t, late, "sla.fulfilled", "first_response"))

	whatIf := func(policy map[string]any) map[string]any {
		r := sup.Must(http.StatusOK, "POST", "/api/v1/sla/what-if", map[string]any{"policy": policy, "days": 7})
		res := r.Body["what_if"].(map[string]any)
		require.EqualValues(t, 1, res["conversations"])
		out := map[string]any{}
		for _, m := range res["metrics"].([]any) {
			out[m.(map[string]any)["metric"].(string)] = m
		}
		return out
	}
	lax := whatIf(map[string]any{"name": "Lax", "enabled": true, "targets": []map[string]any{{"metric": "first_response", "seconds": 3600}}})
	fr := lax["first_response"].(map[string]any)
	require.EqualValues(t, 0, fr["candidate"].(map[string]any)["breach_rate"], "an hour would have been on time")
	require.EqualValues(t, 1, fr["candidate"].(map[string]any)["met"])
	require.EqualValues(t, 1, fr["actual"].(map[string]any)["breach_rate"], "it breached the tight target")

	tight := whatIf(map[string]any{"name": "Tighter", "enabled": true, "targets": []map[string]any{{"metric": "first_response", "seconds": 1}, {"metric": "resolution", "seconds": 60}}})
	require.EqualValues(t, 1, tight["first_response"].(map[string]any)["candidate"].(map[string]any)["breached"])
	require.Contains(t, tight, "resolution")

	for body, field := range map[string]string{
		`{"days":7}`: "policy",
		`{"policy":{"name":"x","enabled":true,"targets":[{"metric":"speed","seconds":1}]}}`:                 "policy.targets[0].metric",
		`{"policy":{"name":"x","enabled":true,"targets":[{"metric":"resolution","seconds":1}]},"days":400}`: "days",
	} {
		got := sup.Do("POST", "/api/v1/sla/what-if", body)
		require.Equal(t, http.StatusBadRequest, got.Status, body)
		require.Equal(t, field, got.ErrorField(), body)
	}
	op.Must(http.StatusForbidden, "POST", "/api/v1/sla/what-if", map[string]any{"days": 7})
}

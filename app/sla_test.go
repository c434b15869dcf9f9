package app_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
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

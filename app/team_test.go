package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func teamOf(t *testing.T, r map[string]any) (depts, ops map[string]map[string]any) {
	t.Helper()
	depts, ops = map[string]map[string]any{}, map[string]map[string]any{}
	team := r["team"].(map[string]any)
	for _, x := range team["departments"].([]any) {
		d := x.(map[string]any)
		depts[d["name"].(string)] = d
	}
	for _, x := range team["operators"].([]any) {
		o := x.(map[string]any)
		ops[o["id"].(string)] = o
	}
	return depts, ops
}

// TestTeamDistributeAndRelease: a supervisor sees their department's
// queue (waiting, longest wait, people online, free places) and its
// people's load, not another department's; Distribute hands a manual
// department's Unclaimed to the online people by load, within capacity;
// giving an operator's work back returns it to the queue, and the event
// names who did it. Operators and supervisors of other departments may do
// neither.
func TestTeamDistributeAndRelease(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "manual", 2, 2)
	_, sup, supID := d.member("supervisor", d.dept)
	other := d.department("Billing")
	_, otherSup, _ := d.member("supervisor", other)

	var convs []string
	for i := range 5 {
		convs = append(convs, d.start("help "+string(rune('a'+i))))
	}
	require.Eventually(t, func() bool {
		depts, _ := teamOf(t, sup.Must(http.StatusOK, "GET", "/api/v1/team", nil).Body)
		return depts["Support"]["waiting"] == float64(5)
	}, 5*time.Second, 20*time.Millisecond)
	depts, ops := teamOf(t, sup.Must(http.StatusOK, "GET", "/api/v1/team", nil).Body)
	require.NotContains(t, depts, "Billing", "a supervisor sees their own departments")
	require.NotNil(t, depts["Support"]["oldest_queued_at"])
	require.Equal(t, float64(0), depts["Support"]["online"])
	require.Equal(t, "manual", depts["Support"]["dispatch_mode"])
	require.Len(t, ops, 3, "the department's people")
	require.Equal(t, float64(2), ops[d.opIDs[0]]["capacity"])

	d.online(0, "online")
	d.online(1, "online")
	depts, _ = teamOf(t, sup.Must(http.StatusOK, "GET", "/api/v1/team", nil).Body)
	require.Equal(t, float64(2), depts["Support"]["online"])
	require.Equal(t, float64(4), depts["Support"]["free"])
	d.stillQueued(convs[0]) // manual: nobody is given anything

	d.ops[0].Must(http.StatusForbidden, "POST", "/api/v1/departments/"+d.dept+"/distribute", nil)
	otherSup.Must(http.StatusForbidden, "POST", "/api/v1/departments/"+d.dept+"/distribute", nil)
	sup.Must(http.StatusNotFound, "POST", "/api/v1/departments/"+other[:len(other)-4]+"0000/distribute", nil)
	r := sup.Must(http.StatusOK, "POST", "/api/v1/departments/"+d.dept+"/distribute", nil)
	require.Equal(t, float64(4), r.Body["assigned"], "four free places, five waiting")
	held := map[string]int{}
	for _, id := range convs[:4] {
		held[d.assignee(id, 5*time.Second)]++
	}
	require.Equal(t, map[string]int{d.opIDs[0]: 2, d.opIDs[1]: 2}, held)
	d.stillQueued(convs[4])
	events := d.admin.Must(http.StatusOK, "GET", convPath(convs[0], "/events"), nil).Body["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	require.Equal(t, "dispatch", last["reason"])
	require.Equal(t, "distributed", last["data"].(map[string]any)["mode"])
	require.Eventually(t, func() bool {
		_, ops := teamOf(t, sup.Must(http.StatusOK, "GET", "/api/v1/team", nil).Body)
		return ops[d.opIDs[0]]["open"] == float64(2) && ops[d.opIDs[0]]["offers"] == float64(0)
	}, 5*time.Second, 20*time.Millisecond)

	// Operator 0's work goes back to the queue.
	d.ops[1].Must(http.StatusForbidden, "POST", "/api/v1/operators/"+d.opIDs[0]+"/release", nil)
	otherSup.Must(http.StatusForbidden, "POST", "/api/v1/operators/"+d.opIDs[0]+"/release", nil)
	r = sup.Must(http.StatusOK, "POST", "/api/v1/operators/"+d.opIDs[0]+"/release", nil)
	require.Equal(t, float64(2), r.Body["released"])
	require.Eventually(t, func() bool {
		for _, id := range convs[:4] {
			if d.conv(id)["assignee_id"] == d.opIDs[0] {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond)
	var released int
	for _, id := range convs[:4] {
		for _, x := range d.admin.Must(http.StatusOK, "GET", convPath(id, "/events"), nil).Body["events"].([]any) {
			e := x.(map[string]any)
			if e["type"] == "unassigned" && e["reason"] == "released" {
				released++
				require.Equal(t, supID, e["actor_id"], "the event names who gave it back")
			}
		}
	}
	require.Equal(t, 2, released)
	depts, _ = teamOf(t, sup.Must(http.StatusOK, "GET", "/api/v1/team", nil).Body)
	require.Equal(t, float64(3), depts["Support"]["waiting"], "back in the (manual) queue")
}

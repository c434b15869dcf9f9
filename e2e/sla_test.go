package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// TestSettingsServiceLevels: an admin sets the workspace's business hours
// (a lunch break) and writes an SLA policy in Settings; the server holds
// them as written, and a time zone it refuses shows at its field.
func TestSettingsServiceLevels(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	ctx := browser(t)
	run(t, ctx, "open Settings",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#hours-set`))
	run(t, ctx, "business hours with a lunch break, in a zone that does not exist",
		chromedp.Click(`#hours-set`), chromedp.WaitVisible(`#hours-zone`),
		typeValue(`#hours-zone`, "Mars/Olympus"),
		typeValue(`#span-to-0`, "12:00"),
		chromedp.Click(`#span-add`), chromedp.WaitVisible(`#span-from-1`),
		chromedp.Click(`#hours-save`),
		chromedp.WaitVisible(`//form[contains(@class,"hours")]//p[@role="alert"][contains(., "Mars/Olympus")]`),
	)
	run(t, ctx, "a real zone saves",
		typeValue(`#hours-zone`, "Europe/Berlin"),
		chromedp.Click(`#hours-save`),
		chromedp.WaitNotPresent(`//form[contains(@class,"hours")]//p[@role="alert"]`),
	)
	require.Eventually(t, func() bool {
		h, _ := admin.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Body["business_hours"].(map[string]any)
		return h != nil && h["time_zone"] == "Europe/Berlin" && len(h["hours"].([]any)) == 2
	}, 5*time.Second, 50*time.Millisecond)

	run(t, ctx, "a policy: first response in 30 minutes, 5 when urgent; notify supervisors at the breach",
		chromedp.Click(`#policy-add`), chromedp.WaitVisible(`.policy-name`),
		typeValue(`.policy-name`, "Standard"),
		setValue(`#target-0-first_response-any`, "30", "change"),
		setValue(`#target-0-first_response-urgent`, "5", "change"),
		chromedp.Click(`.step-add`),
		chromedp.Click(`#policies-save`),
	)
	require.Eventually(t, func() bool {
		ps := admin.Must(http.StatusOK, "GET", "/api/v1/sla-policies", nil).Body["policies"].([]any)
		if len(ps) != 1 {
			return false
		}
		p := ps[0].(map[string]any)
		return p["name"] == "Standard" && len(p["targets"].([]any)) == 2 && len(p["ladder"].([]any)) == 1
	}, 5*time.Second, 50*time.Millisecond)
	run(t, ctx, "what if it had applied: measured against the last 30 days",
		chromedp.Click(`#what-if-0`),
		chromedp.WaitVisible(`//table[contains(@class,"what-if-table")]//th[text()="First response"]`),
	)
	run(t, ctx, "scroll to the policy", chromedp.ScrollIntoView(`.policies`))
	screenshotView(t, ctx, "settings-service-levels")
}

// TestInboxServiceLevels: a conversation's clocks count down on its
// context card; one whose first response breached carries a badge in the
// queue; the manager's report shows the breach with its history.
func TestInboxServiceLevels(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	admin.Must(http.StatusOK, "PUT", "/api/v1/sla-policies", map[string]any{"policies": []any{map[string]any{
		"name": "Standard", "enabled": true, "warn_at_percent": 80,
		"targets": []map[string]any{
			{"metric": "first_response", "seconds": 1800}, {"metric": "first_response", "priority": "high", "seconds": 1},
			{"metric": "resolution", "seconds": 4 * 3600},
		},
		"ladder": []map[string]any{{"metric": "first_response", "at": "breach", "actions": []map[string]any{{"kind": "notify_supervisors"}}}},
	}}})
	late := env.Visitor(t, ws).StartConversation("The invoice total is wrong")
	calm := env.Visitor(t, ws).StartConversation("Can I change my delivery address?")
	require.Eventually(t, func() bool {
		c := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+calm, nil).Body["conversation"].(map[string]any)
		return c["sla"] != nil
	}, 10*time.Second, 50*time.Millisecond, "the clocks start")
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+late+"/priority", map[string]any{"priority": "high"})
	require.Eventually(t, func() bool {
		c := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+late, nil).Body["conversation"].(map[string]any)
		s, _ := c["sla"].(map[string]any)
		return s != nil && s["breached"] == true
	}, 10*time.Second, 50*time.Millisecond, "the high-priority first response breaches within a second")

	ctx := browser(t)
	run(t, ctx, "the queue: a breach badge on one, time left on the other",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.WaitVisible(`//button[@id="conv-`+late+`"]//span[contains(@class,"sla")][text()="SLA breached"]`),
		chromedp.WaitVisible(`//button[@id="conv-`+calm+`"]//span[contains(@class,"sla")][contains(., "min")]`),
	)
	run(t, ctx, "the context card counts down",
		chromedp.Click(`#conv-`+calm),
		chromedp.WaitVisible(`//ul[contains(@class,"sla-clocks")]//li[contains(@class,"sla-clock")][.//span[text()="First response"]]//span[contains(@class,"left")][contains(., "min left")]`),
		chromedp.WaitVisible(`//ul[contains(@class,"sla-clocks")]//span[text()="Resolution"]`),
	)
	screenshot(t, ctx, "inbox-sla")
	// The late one gets its answer: its clock closes, late.
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+late+"/claim", nil)
	admin.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+late+"/messages", map[string]any{"body": "Sorry, fixing the invoice now."})
	require.Eventually(t, func() bool {
		r := admin.Must(http.StatusOK, "GET", "/api/v1/sla/report", nil).Body["metrics"].([]any)
		return r[0].(map[string]any)["breached"].(float64) == 1
	}, 10*time.Second, 50*time.Millisecond, "the late reply closes the clock, breached")
	run(t, ctx, "the report: the breach, with its history",
		chromedp.Click(`#open-reports`),
		chromedp.WaitVisible(`#metric-first_response`),
		chromedp.WaitVisible(`//table[contains(@class,"breach-table")]//td[text()="First response"]`),
		chromedp.Click(`.history-toggle`),
		chromedp.WaitVisible(`//tr[contains(@class,"history")]//li[contains(., "SLA: First response breached")]`),
		chromedp.WaitVisible(`//tr[contains(@class,"history")]//li[contains(., "SLA escalation")]`),
	)
	screenshot(t, ctx, "reports-sla")
}

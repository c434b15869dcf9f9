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
	run(t, ctx, "scroll to the policy", chromedp.ScrollIntoView(`.policies`))
	screenshotView(t, ctx, "settings-service-levels")
}

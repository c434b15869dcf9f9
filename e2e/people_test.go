package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// TestInviteLinkAndPasswordReset: an admin invites someone from Settings
// and gets a link; the invited person opens it, names themselves, picks a
// password and lands in the inbox. A password-reset link an admin issued
// sets a new password, with which they sign in.
func TestInviteLinkAndPasswordReset(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.NewOperator(t, ws, access.RoleAdmin)
	api := env.Login(t, admin)

	ctx := browser(t)
	run(t, ctx, "the admin opens Settings", logIn(admin.Email, systest.Password), chromedp.WaitVisible(`#open-settings`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#invite-email`))
	run(t, ctx, "invite", typeValue(`#invite-email`, "grace@example.com"), chromedp.Click(`//form[@aria-label="Invite someone"]//button[@type="submit"]`),
		chromedp.WaitVisible(`#invite-link`))
	link := value(t, ctx, "the link", chromedp.Value(`#invite-link`))
	require.True(t, strings.HasPrefix(link, env.System.URL+"/invite#token="), link)
	screenshot(t, ctx, "inbox-settings-people")

	guest := browser(t)
	run(t, guest, "the invited person opens the link", chromedp.Navigate(link), chromedp.WaitVisible(`#invite-title`))
	screenshotView(t, guest, "invite-accept")
	run(t, guest, "joins",
		chromedp.SendKeys(`input[name=name]`, "Grace Hopper"),
		chromedp.SendKeys(`input[name=new-password]`, "a long enough password"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.conn.live`),
	)
	require.Equal(t, "/", value(t, guest, "path", chromedp.Evaluate[string](`location.pathname`)))
	require.Contains(t, value(t, guest, "who", chromedp.Text(`.top .who`)), "Grace Hopper")

	// A reset link: the new password works, the old one not.
	var grace string
	for _, o := range api.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any) {
		if o.(map[string]any)["email"] == "grace@example.com" {
			grace = o.(map[string]any)["id"].(string)
		}
	}
	reset := api.Must(http.StatusCreated, "POST", "/api/v1/operators/"+grace+"/password-reset", nil).Body["reset_url"].(string)
	other := browser(t)
	run(t, other, "open the reset link", chromedp.Navigate(env.System.URL+reset), chromedp.WaitVisible(`#reset-title`))
	screenshotView(t, other, "reset-password")
	run(t, other, "set a new password and sign in with it",
		chromedp.SendKeys(`input[name=new-password]`, "another long password"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`//button[text()="Sign in"]`),
		chromedp.Click(`//button[text()="Sign in"]`),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "grace@example.com"),
		chromedp.SendKeys(`input[name=password]`, "another long password"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.conn.live`),
	)
}

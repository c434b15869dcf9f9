package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// TestInboxResolutionTypes: the admin renames a resolution type, adds one,
// removes one and saves; the list an operator resolves with is the new
// one. A name given twice is refused at the row, and nothing changes.
func TestInboxResolutionTypes(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	ctx := browser(t)
	run(t, ctx, "log in, open the settings",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#rt-4`),
	)
	run(t, ctx, "rename Spam, add Refund issued, remove Not a problem, save",
		typeValue(`#rt-3`, "Junk"),
		chromedp.SendKeys(`#rt-new`, "Refund issued"+kb.Enter),
		chromedp.WaitVisible(`#rt-5`),
		chromedp.Click(`button[aria-label="Remove Not a problem"]`),
		chromedp.ScrollIntoView(`#rt-save`),
	)
	screenshotView(t, ctx, "settings-resolution-types")
	offered, _ := resolutionTypesOf(admin)
	require.Len(t, offered, 5, "nothing is saved before Save: Enter in the new type's field adds it")
	run(t, ctx, "save", chromedp.Click(`#rt-save`))
	want := []string{"answered_question=Answered question", "action_taken=Action taken", "spam=Junk",
		"duplicate=Duplicate", "refund_issued=Refund issued"}
	require.Eventually(t, func() bool {
		offered, _ := resolutionTypesOf(admin)
		return len(offered) == len(want) && offered[2] == want[2] && offered[4] == want[4]
	}, 5*time.Second, 100*time.Millisecond)
	offered, archived := resolutionTypesOf(admin)
	require.Equal(t, want, offered)
	require.Equal(t, []string{"not_a_problem=Not a problem"}, archived)

	run(t, ctx, "a name twice is refused at its row",
		typeValue(`#rt-1`, "Answered question"),
		chromedp.Click(`#rt-save`),
		chromedp.WaitVisible(`//li[contains(@class,"rt-row")][2]//p[contains(@class,"field-error")]`),
	)
	offered, _ = resolutionTypesOf(admin)
	require.Equal(t, want, offered, "nothing changed")
}

func resolutionTypesOf(c *systest.Client) (offered, archived []string) {
	r := c.Do("GET", "/api/v1/resolution-types", nil)
	if r.Status != http.StatusOK {
		return nil, nil
	}
	for _, x := range r.Body["resolution_types"].([]any) {
		rt := x.(map[string]any)
		s := rt["key"].(string) + "=" + rt["name"].(string)
		if rt["archived"].(bool) {
			archived = append(archived, s)
		} else {
			offered = append(offered, s)
		}
	}
	return offered, archived
}

// TestInboxAPITokens: the admin creates an API token in the settings and
// sees it once; it works against the REST API until it is revoked there.
func TestInboxAPITokens(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	ctx := browser(t)
	run(t, ctx, "log in, open the settings, create a token",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#token-name`),
		chromedp.SendKeys(`#token-name`, "CRM sync"),
		choose(`#token-role`, "supervisor"),
		chromedp.Click(`//form[@aria-label="New API token"]//button[@type="submit"]`),
		chromedp.WaitVisible(`#token-value`),
		chromedp.ScrollIntoView(`#token-value`),
	)
	token := value(t, ctx, "the token", chromedp.Evaluate[string](`document.getElementById('token-value').value`))
	require.NotEmpty(t, token)
	screenshotView(t, ctx, "settings-api-tokens")
	status := func() int {
		req, _ := http.NewRequest("GET", env.System.URL+"/api/v1/conversations", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, status(), "the token works")
	run(t, ctx, "revoke it",
		chromedp.Click(`button[aria-label="Revoke CRM sync"]`),
		chromedp.Click(`//li[@aria-label="Token CRM sync"]//button[contains(., "Yes, revoke")]`),
		chromedp.WaitVisible(`//li[contains(., "CRM sync")]//span[contains(., "revoked")]`),
	)
	require.Equal(t, http.StatusUnauthorized, status(), "a revoked token is refused")
}

// TestInboxDepartmentMembers: the admin adds a person to a department from
// its settings row and removes them again; the API agrees each time.
func TestInboxDepartmentMembers(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	dept := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Support"}).Body["department"].(map[string]any)["id"].(string)
	agent := env.NewOperator(t, ws, access.RoleOperator)
	members := func() []string {
		var out []string
		for _, m := range admin.Must(http.StatusOK, "GET", "/api/v1/departments/"+dept+"/members", nil).Body["members"].([]any) {
			out = append(out, m.(map[string]any)["operator_id"].(string))
		}
		return out
	}
	ctx := browser(t)
	run(t, ctx, "log in, open the settings, add the agent to Support",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#add-member-`+dept),
		chromedp.WaitReady(`#add-member-`+dept+` option[value="`+agent.ID.String()+`"]`),
		choose(`#add-member-`+dept, agent.ID.String()),
		chromedp.WaitVisible(`button[aria-label="Remove `+agent.Name+` from Support"]`),
	)
	require.Equal(t, []string{agent.ID.String()}, members())
	run(t, ctx, "the department row with its member", chromedp.ScrollIntoView(`//li[@aria-label="Department Support"]`))
	screenshotView(t, ctx, "settings-members")
	run(t, ctx, "remove them",
		chromedp.Click(`button[aria-label="Remove `+agent.Name+` from Support"]`),
		chromedp.WaitNotPresent(`button[aria-label="Remove `+agent.Name+` from Support"]`),
	)
	require.Empty(t, members())
}

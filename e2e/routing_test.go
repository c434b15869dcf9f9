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

// TestWidgetDepartmentPicker: an inbox that routes by the visitor's choice
// has the widget ask a new visitor whom they want to talk to, its
// departments by name; the visitor picks Billing (by mouse, then by
// arrow keys), writes, and the conversation goes to Billing, whose
// operator sees it arrive. Once it has started the picker is gone.
func TestWidgetDepartmentPicker(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	dept := func(name string) string {
		return admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": name}).Body["department"].(map[string]any)["id"].(string)
	}
	sales, billing := dept("Sales"), dept("Billing")
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "allowed_origins": []string{env.System.URL},
		"department_ids": []string{sales, billing}, "default_department_id": sales,
	}).Body["inbox"].(map[string]any)["id"].(string)
	admin.Must(http.StatusOK, "PUT", "/api/v1/inboxes/"+inbox+"/routing-rules", map[string]any{"rules": []any{
		map[string]any{"name": "Their pick", "kind": "visitor_choice"},
	}})
	biller := env.NewOperator(t, ws, access.RoleOperator)
	admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+billing+"/members/"+biller.ID.String(), nil)

	operator := browser(t)
	run(t, operator, "Billing's operator logs in", logIn(biller.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))

	visitor := browser(t)
	run(t, visitor, "the visitor opens the demo site", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame := widgetFrame(t, visitor)
	run(t, visitor, "open the chat: the picker asks", chromedp.Click(`.launcher`, frame), chromedp.WaitVisible(`.picker`, frame))
	require.Equal(t, "Who would you like to talk to?", value(t, visitor, "the question", chromedp.Text(`.picker legend`, frame)))
	require.Equal(t, []string{"Billing", "Sales"}, value(t, visitor, "the departments, by name",
		chromedp.Evaluate[[]string](framed(`[...d.querySelectorAll('.picker .choice')].map(l => l.textContent.trim())`))))
	checked := func() string {
		return value(t, visitor, "the pick", chromedp.Evaluate[string](framed(`d.querySelector('.picker input:checked')?.value || ''`)))
	}
	require.Empty(t, checked(), "nothing picked for the visitor")

	radio := func(id string) string { return `.picker input[value="` + id + `"]` }
	run(t, visitor, "pick Sales with the mouse", chromedp.Click(radio(sales), frame))
	require.Equal(t, sales, checked())
	run(t, visitor, "write a draft, then change the pick with the keyboard: up goes to Billing",
		chromedp.SendKeys(`#sb-compose`, "I was charged twice for order 4411", frame),
		chromedp.Focus(radio(sales), frame),
		chromedp.KeyEvent(kb.ArrowUp),
	)
	require.Equal(t, billing, checked())
	require.True(t, value(t, visitor, "the focus shows", chromedp.Evaluate[bool](framed(
		`d.activeElement === d.querySelector('`+radio(billing)+`') && getComputedStyle(d.activeElement.nextElementSibling).outlineStyle !== 'none'`))))
	screenshotView(t, visitor, "widget-department-picker")

	run(t, visitor, "send", chromedp.SendKeys(`#sb-compose`, kb.Enter, frame))
	waitFrame(t, visitor, "stored, and the picker is gone",
		`!d.querySelector('.pending') && d.querySelectorAll('.msg.visitor').length === 1 && !d.querySelector('.picker')`)

	var convID string
	require.Eventually(t, func() bool {
		list := admin.Must(http.StatusOK, "GET", "/api/v1/conversations?status=open", nil).Body["conversations"].([]any)
		if len(list) != 1 {
			return false
		}
		c := list[0].(map[string]any)
		convID = c["id"].(string)
		return c["department_id"] == billing
	}, 20*time.Second, 50*time.Millisecond, "the conversation goes to Billing")
	var rule string
	for _, e := range admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID+"/events", nil).Body["events"].([]any) {
		if e := e.(map[string]any); e["type"] == "routed" {
			rule, _ = e["data"].(map[string]any)["routing_rule"].(string)
		}
	}
	require.Equal(t, "Their pick", rule)
	run(t, operator, "Billing's operator sees it arrive", chromedp.WaitVisible(`#conv-`+convID))

	run(t, visitor, "come back later: no picker, the conversation", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame = widgetFrame(t, visitor)
	run(t, visitor, "open the chat", chromedp.Click(`.launcher`, frame), chromedp.WaitVisible(`#sb-compose`, frame))
	waitFrame(t, visitor, "the conversation, no picker", bodyCount("I was charged twice for order 4411", 1)+` && !d.querySelector('.picker')`)
}

// TestInboxRoutingRules: an admin edits an inbox's routing rules in
// Settings. A words rule without words is refused, the server's message at
// the phrases field; with them, and a visitor's-pick rule moved above it,
// the list is stored in that order.
func TestInboxRoutingRules(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	dept := func(name string) string {
		return admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": name}).Body["department"].(map[string]any)["id"].(string)
	}
	sales, billing := dept("Sales"), dept("Billing")
	dept("Elsewhere")
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "department_ids": []string{sales, billing}, "default_department_id": sales,
	}).Body["inbox"].(map[string]any)["id"].(string)
	rulesPath := "/api/v1/inboxes/" + inbox + "/routing-rules"

	ctx := browser(t)
	box := `div.routing[aria-label="Routing rules of Website"]`
	rule := func(i string) string { return box + ` li.rule[data-rule="` + i + `"]` }
	run(t, ctx, "log in, open the settings",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(box+` .add-rule`),
	)
	run(t, ctx, "add a words rule to Billing, without words; save",
		chromedp.Click(box+` .add-rule`),
		chromedp.WaitVisible(rule("0")+` [data-field="name"]`),
		typeValue(rule("0")+` [data-field="name"]`, "Refunds"),
		choose(rule("0")+` [data-field="department_id"]`, billing),
		chromedp.Click(box+` .save-rules`),
		chromedp.WaitVisible(rule("0")+` .field-error`),
	)
	phrases := rule("0") + ` [data-field="phrases"]`
	require.Contains(t, value(t, ctx, "the message at the field, in the editor's words", chromedp.Text(rule("0")+` .field-error`)), "words or phrases")
	// The focus moves once the message has rendered.
	waitJS(t, ctx, "the phrases field is marked, described by the message and has the focus",
		`(() => { const f = document.querySelector('`+phrases+`'); return f.getAttribute('aria-invalid') === 'true' && document.activeElement === f
			&& document.getElementById(f.getAttribute('aria-describedby'))?.classList.contains('field-error'); })()`)
	require.Empty(t, admin.Must(http.StatusOK, "GET", rulesPath, nil).Body["rules"], "nothing stored")

	run(t, ctx, "give it words; add a visitor's-pick rule and move it up; save",
		typeValue(phrases, "Refund, money back"),
		chromedp.WaitNotPresent(rule("0")+` .field-error`),
		chromedp.Click(box+` .add-rule`),
		chromedp.WaitVisible(rule("1")+` [data-field="name"]`),
		typeValue(rule("1")+` [data-field="name"]`, "Their pick"),
		choose(rule("1")+` [data-field="kind"]`, "visitor_choice"),
		chromedp.WaitNotPresent(rule("1")+` [data-field="department_id"]`),
		chromedp.Click(rule("1")+` button[aria-label="Move up"]`),
		chromedp.Click(box+` .save-rules`),
		chromedp.WaitVisible(box+` [role="status"]`),
	)
	stored := admin.Must(http.StatusOK, "GET", rulesPath, nil).Body["rules"].([]any)
	require.Len(t, stored, 2)
	first, second := stored[0].(map[string]any), stored[1].(map[string]any)
	require.Equal(t, "Their pick", first["name"])
	require.Equal(t, "visitor_choice", first["kind"])
	require.Nil(t, first["department_id"])
	require.Equal(t, "Refunds", second["name"])
	require.Equal(t, "keywords", second["kind"])
	require.Equal(t, []any{"refund", "money back"}, second["phrases"])
	require.Equal(t, billing, second["department_id"])
	require.Equal(t, "refund, money back", value(t, ctx, "the stored words, as the server keeps them",
		chromedp.Evaluate[string](`document.querySelector('`+rule("1")+` [data-field="phrases"]').value`)))

	run(t, ctx, "the inbox's card, its rules in sight", chromedp.Evaluate[chromedp.Void](`document.querySelector('section[aria-label="Inbox Website"]').scrollIntoView({ block: 'end' })`))
	screenshotView(t, ctx, "settings-routing-rules")
}

// TestInboxDepartments: an admin creates an inbox in Settings and gives it
// departments there: ticks Sales and Billing with the keyboard, and one
// deleted meanwhile, which the server refuses at the ticks (the list is
// read again, the deleted one gone); saved again, with Billing the
// default, the inbox has the two. The card's routing editor then lists
// them first, offers the default for a new rule, and a rule to Sales
// saves.
func TestInboxDepartments(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	dept := func(name string) string {
		return admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": name}).Body["department"].(map[string]any)["id"].(string)
	}
	billing, gone, sales, support := dept("Billing"), dept("Gone soon"), dept("Sales"), dept("Support")

	ctx := browser(t)
	card := `section[aria-label="Inbox Website"]`
	depts := card + ` .inbox-depts`
	tick := func(id string) string { return depts + ` input[type="checkbox"][value="` + id + `"]` }
	def := depts + ` select.inbox-default`
	run(t, ctx, "log in, open the settings, create an inbox",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#inbox-name`),
		chromedp.SendKeys(`#inbox-name`, "Website"),
		chromedp.Click(`//form[@aria-label="New inbox"]//button[@type="submit"]`),
		chromedp.WaitVisible(tick(sales)),
	)
	inbox := admin.Must(http.StatusOK, "GET", "/api/v1/inboxes", nil).Body["inboxes"].([]any)[0].(map[string]any)["id"].(string)
	require.Equal(t, []string{"Billing", "Gone soon", "Sales", "Support"}, value(t, ctx, "the workspace's departments, labelled",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+depts+` label.dept-check')].map(l => l.textContent.trim())`)))
	require.Equal(t, []string{"None: unrouted, everyone sees them"}, value(t, ctx, "no default to pick yet",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+def+` option')].map(o => o.textContent)`)))

	run(t, ctx, "tick Sales with the space bar, tab to the next one and tick it too",
		chromedp.Focus(tick(sales)), chromedp.KeyEvent(" "),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(" "),
	)
	waitJS(t, ctx, "Sales and Support ticked, Sales the default (the first ticked)",
		`document.querySelector('`+tick(sales)+`').checked && document.querySelector('`+tick(support)+`').checked
		&& document.querySelector('`+def+`').value === '`+sales+`'`)
	require.True(t, value(t, ctx, "the focus shows", chromedp.Evaluate[bool](
		`document.activeElement === document.querySelector('`+tick(support)+`') && getComputedStyle(document.activeElement.closest('label')).outlineStyle !== 'none'`)))
	run(t, ctx, "not Support but Billing, with the space bar; and the one about to go, with the mouse",
		chromedp.KeyEvent(" "),
		chromedp.Focus(tick(billing)), chromedp.KeyEvent(" "),
		chromedp.Click(tick(gone)),
	)
	waitJS(t, ctx, "Billing, Gone soon and Sales ticked", `['`+billing+`', '`+gone+`', '`+sales+`'].every(id => document.querySelector('`+depts+` input[value="' + id + '"]').checked)
		&& !document.querySelector('`+tick(support)+`').checked`)

	admin.Must(http.StatusNoContent, "DELETE", "/api/v1/departments/"+gone, nil)
	run(t, ctx, "make Billing the default; save",
		choose(def, billing),
		chromedp.Click(depts+` .save-departments`),
		chromedp.WaitVisible(depts+` .dept-checks .field-error`),
	)
	require.Contains(t, value(t, ctx, "the server's message at the ticks", chromedp.Text(depts+` .dept-checks .field-error`)), "not this workspace's")
	waitJS(t, ctx, "the ticks are marked, described by the message, the first has the focus",
		`(() => { const boxes = [...document.querySelectorAll('`+depts+` input[type="checkbox"]')];
			return boxes.every(b => b.getAttribute('aria-invalid') === 'true' && document.getElementById(b.getAttribute('aria-describedby'))?.classList.contains('field-error'))
				&& document.activeElement === boxes[0]; })()`)
	stored := admin.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+inbox, nil).Body["inbox"].(map[string]any)
	require.Empty(t, stored["department_ids"], "nothing stored")

	run(t, ctx, "the deleted one leaves the list; save again",
		chromedp.WaitNotPresent(tick(gone)),
		chromedp.Click(depts+` .save-departments`),
		chromedp.WaitVisible(depts+` [role="status"]`),
		chromedp.WaitNotPresent(depts+` .field-error`),
	)
	stored = admin.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+inbox, nil).Body["inbox"].(map[string]any)
	require.ElementsMatch(t, []any{billing, sales}, stored["department_ids"])
	require.Equal(t, billing, stored["default_department_id"])
	require.Empty(t, value(t, ctx, "no ticks marked any more",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+depts+` [aria-invalid]')].map(e => e.outerHTML)`)))

	box := card + ` div.routing`
	rule := box + ` li.rule[data-rule="0"]`
	run(t, ctx, "add a routing rule",
		chromedp.Click(box+` .add-rule`),
		chromedp.WaitVisible(rule+` [data-field="name"]`),
	)
	goesTo := rule + ` [data-field="department_id"]`
	require.Equal(t, billing, value(t, ctx, "a new rule goes to the new default",
		chromedp.Evaluate[string](`document.querySelector('`+goesTo+`').value`)))
	require.Equal(t, []string{"Pick a department", "Billing", "Sales"}, value(t, ctx, "the inbox's departments first",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+goesTo+` > option')].map(o => o.textContent)`)))
	run(t, ctx, "a words rule to Sales; save",
		typeValue(rule+` [data-field="name"]`, "Pricing"),
		typeValue(rule+` [data-field="phrases"]`, "price, quote"),
		choose(goesTo, sales),
		chromedp.Click(box+` .save-rules`),
		chromedp.WaitVisible(box+` [role="status"]`),
	)
	rules := admin.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+inbox+"/routing-rules", nil).Body["rules"].([]any)
	require.Len(t, rules, 1)
	require.Equal(t, sales, rules[0].(map[string]any)["department_id"])

	run(t, ctx, "the inbox's card in sight, its departments on top",
		chromedp.Evaluate[chromedp.Void](`(() => { const pane = document.querySelector('.settings');
			pane.scrollTop += document.querySelector('`+card+`').getBoundingClientRect().top - pane.getBoundingClientRect().top - 12; })()`))
	screenshotView(t, ctx, "settings-inbox-departments")
}

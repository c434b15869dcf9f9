package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// An operator logs in, sees a visitor's conversation arrive in Unclaimed
// without a refresh, claims it and replies with the keyboard alone; the
// visitor's reply arrives live; the operator resolves it with a type.
// The visitor's markup shows as text.
func TestInboxClaimReplyResolve(t *testing.T) {
	ws := env.NewWorkspace(t)
	op := env.NewOperator(t, ws, access.RoleOperator)
	ctx := browser(t)

	run(t, ctx, "log in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))
	screenshot(t, ctx, "inbox-empty")

	visitor := env.Visitor(t, ws)
	xss := `<img src=x onerror="document.title='pwned'"> Hi, my order is late`
	convID := visitor.StartConversation(xss)

	item := `#conv-` + convID
	run(t, ctx, "the conversation appears in Unclaimed without a refresh",
		chromedp.WaitVisible(item),
	)
	preview := value(t, ctx, "the preview", chromedp.Text(item+` .preview`))
	imgs := value(t, ctx, "images in the list", chromedp.Evaluate[int](`document.querySelectorAll('.list img').length`))
	require.Contains(t, preview, `<img src=x`)
	require.Zero(t, imgs)

	run(t, ctx, "open with j, claim with c",
		chromedp.KeyEvent("j"),
		chromedp.WaitVisible(`#action-claim`),
		chromedp.KeyEvent("c"),
		chromedp.WaitVisible(`#compose`),
	)
	run(t, ctx, "the queue counts follow the claim: mine 1, unclaimed 0",
		chromedp.WaitVisible(`//button[contains(@class,"tab")][contains(., "My Active")]/span[@class="count"][text()="1"]`),
		chromedp.WaitVisible(`//button[contains(@class,"tab")][contains(., "Unclaimed")]/span[@class="count"][text()="0"]`),
	)
	run(t, ctx, "reply with r, type, Enter",
		chromedp.KeyEvent("r"),
		chromedp.SendKeys(`#compose`, "Sorry about that! Let me check."+kb.Enter),
		chromedp.WaitVisible(`.msg.operator.me`),
	)
	require.Eventually(t, func() bool {
		r := visitor.Do("GET", "/api/v1/widget/conversations/"+convID+"/messages", nil)
		return r.Status == http.StatusOK && strings.Contains(string(r.Raw), "Let me check")
	}, 5*time.Second, 50*time.Millisecond, "the visitor reads the reply")

	visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+convID+"/messages", map[string]string{"body": "Order 4411, thanks"})
	run(t, ctx, "the visitor's answer arrives live",
		chromedp.WaitVisible(`//li[contains(@class,"msg visitor")]//p[contains(., "Order 4411")]`),
	)
	require.Equal(t, "Switchboard", value(t, ctx, "title", chromedp.Title()), "no markup ran")
	reply := value(t, ctx, "my reply", chromedp.Text(`.msg.operator.me .body`))
	require.Equal(t, "Sorry about that! Let me check.", reply, "the r that focused the box is not in the reply")
	screenshot(t, ctx, "inbox-conversation")

	run(t, ctx, "resolve with e",
		chromedp.KeyEvent(kb.Escape),
		chromedp.KeyEvent("e"),
		chromedp.WaitVisible(`.menu.resolve`),
		chromedp.WaitReady(`.menu.resolve option[value="action_taken"]`),
		choose(`.menu.resolve select`, "action_taken"),
		chromedp.Click(`.menu.resolve button[type=submit]`),
		chromedp.WaitVisible(`#action-reopen`),
	)
	op2 := env.Login(t, op)
	r := op2.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil)
	conv := r.Body["conversation"].(map[string]any)
	require.Equal(t, "resolved", conv["status"])
	require.Equal(t, "action_taken", conv["resolution"])
	run(t, ctx, "the context card names the type and the times",
		chromedp.WaitVisible(`//aside[contains(@class,"context")]//dd[.="Action taken"]`),
		chromedp.WaitVisible(`//aside[contains(@class,"context")]//dt[.="First reply"]`))
}

// A wrong password says so and logs nobody in.
func TestInboxLoginRejectsWrongPassword(t *testing.T) {
	ws := env.NewWorkspace(t)
	op := env.NewOperator(t, ws, access.RoleOperator)
	ctx := browser(t)
	run(t, ctx, "log in wrong", logIn(op.Email, "not the password"), chromedp.WaitVisible(`.error`))
	require.Equal(t, "Wrong email or password.", value(t, ctx, "the error", chromedp.Text(`.error`)))
}

// logIn fills the login form at / and submits it.
func logIn(email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(env.System.URL+"/"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`button[type=submit]`),
	)
}

// TestInboxCommandPalette: Ctrl+K opens the palette; typing filters it;
// Enter runs the command: open a conversation by what the customer
// wrote, then claim it, without the mouse.
func TestInboxCommandPalette(t *testing.T) {
	ws := env.NewWorkspace(t)
	op := env.NewOperator(t, ws, access.RoleOperator)
	ctx := browser(t)
	run(t, ctx, "log in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))
	visitor := env.Visitor(t, ws)
	convID := visitor.StartConversation(`My parcel <b>never</b> came`)
	run(t, ctx, "the conversation arrives", chromedp.WaitVisible(`#conv-`+convID))

	ctrlK := chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	run(t, ctx, "Ctrl+K, type what the customer wrote",
		ctrlK,
		chromedp.WaitVisible(`#palette-input`),
		chromedp.SendKeys(`#palette-input`, "parcel"),
		chromedp.WaitVisible(`//li[@role="option" and @aria-selected="true"][contains(., "My parcel <b>never</b> came")]`),
	)
	screenshot(t, ctx, "inbox-palette")
	run(t, ctx, "Enter opens it", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#action-claim`))
	require.Zero(t, value(t, ctx, "the palette closed", chromedp.Evaluate[int](`document.querySelectorAll('.palette').length`)))

	run(t, ctx, "Ctrl+K, claim, Enter",
		ctrlK,
		chromedp.WaitVisible(`#palette-input`),
		chromedp.SendKeys(`#palette-input`, "claim"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#compose`),
	)
	run(t, ctx, "Esc closes it",
		ctrlK,
		chromedp.WaitVisible(`#palette-input`),
		chromedp.KeyEvent(kb.Escape),
	)
	require.True(t, value(t, ctx, "the palette is gone", chromedp.Poll[bool](`document.querySelector('.palette') === null`)))
	require.Zero(t, value(t, ctx, "markup stays text", chromedp.Evaluate[int](`document.querySelectorAll('.list b, .palette b').length`)))
}

// TestInboxTransfer: an admin moves a conversation to another department
// and one of its people from the inbox; the event shows in the timeline
// and the server holds the new routing.
func TestInboxTransfer(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	billing := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Billing"}).Body["department"].(map[string]any)["id"].(string)
	agent := env.NewOperator(t, ws, access.RoleOperator)
	admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+billing+"/members/"+agent.ID.String(), nil)
	visitor := env.Visitor(t, ws)
	convID := visitor.StartConversation("I was charged twice")

	ctx := browser(t)
	run(t, ctx, "log in, open the conversation",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#conv-`+convID), chromedp.WaitVisible(`#action-transfer`),
	)
	run(t, ctx, "transfer to Billing, to its agent",
		chromedp.Click(`#action-transfer`),
		chromedp.WaitVisible(`#transfer-department`),
		choose(`#transfer-department`, billing),
		chromedp.WaitReady(`#transfer-assignee option[value="`+agent.ID.String()+`"]`),
		choose(`#transfer-assignee`, agent.ID.String()),
		chromedp.SendKeys(`#transfer-note`, "Charged twice for order 4411"),
	)
	screenshot(t, ctx, "inbox-transfer")
	run(t, ctx, "submit; the timeline shows it, with the note",
		chromedp.Click(`//form[@aria-label="Transfer"]//button[@type="submit"]`),
		chromedp.WaitVisible(`//li[contains(@class,"event")][contains(., "ransferred")][contains(., "Charged twice for order 4411")]`),
	)
	conv := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil).Body["conversation"].(map[string]any)
	require.Equal(t, billing, conv["department_id"])
	require.Equal(t, agent.ID.String(), conv["assignee_id"])
}

// choose picks a value in a select as a person does: the value changes
// and the page hears a change event.
func choose(sel, value string) chromedp.Action[chromedp.Void] { return setValue(sel, value, "change") }

// setValue sets the value of the element sel and dispatches event, as the
// browser would after a person's edit.
func setValue(sel, value, event string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(map[string]string{"sel": sel, "value": value, "event": event})
	return chromedp.Evaluate[chromedp.Void](`(() => { const a = ` + string(js) + `;
		const el = document.querySelector(a.sel); el.value = a.value;
		el.dispatchEvent(new Event(a.event, { bubbles: true })); })()`)
}

// TestInboxTeam: a supervisor's Team board shows the department's queue
// and its people with what they hold, live; Distribute hands the waiting
// conversation to the online agent, Return to queue gives it back, and a
// claim shows without a refresh.
func TestInboxTeam(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	support := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Support"}).Body["department"].(map[string]any)["id"].(string)
	supervisor := env.NewOperator(t, ws, access.RoleSupervisor)
	agent := env.NewOperator(t, ws, access.RoleOperator)
	for _, op := range []string{supervisor.ID.String(), agent.ID.String()} {
		admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+support+"/members/"+op, nil)
	}
	convID := env.Visitor(t, ws).StartConversation("Where is my order?")
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+convID+"/transfer", map[string]any{"department_id": support})
	env.Visitor(t, ws).StartConversation("Can I change my address?")

	ctx := browser(t)
	card := `//section[@aria-label="Queue Support"]`
	run(t, ctx, "log in, open Team",
		logIn(supervisor.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`//button[@role="tab"][contains(., "Team")]`),
		chromedp.WaitVisible(card+`//p[@class="waiting"]/strong[text()="1"]`),
	)
	agentRow := `//main[@aria-label="Team"]//tr[@aria-label="` + agent.Name + `"]`
	run(t, ctx, "the agent is listed, offline, holding nothing",
		chromedp.WaitVisible(agentRow+`//th[contains(., "offline")]`),
		chromedp.WaitVisible(agentRow+`//span[@class="holds"][text()="0"]`))
	agentClient := env.Login(t, agent)
	agentClient.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "online"})
	run(t, ctx, "the agent comes online, live; distribute",
		chromedp.WaitVisible(agentRow+`//th[contains(., "online")]`),
		chromedp.WaitVisible(card+`//p[contains(., "1 online")]`),
		chromedp.Click(`#distribute-`+support),
		chromedp.WaitVisible(agentRow+`//span[@class="holds"][text()="1"]`),
		chromedp.WaitVisible(card+`//p[@class="waiting"]/strong[text()="0"]`),
	)
	screenshot(t, ctx, "inbox-team")
	run(t, ctx, "the agent's conversations beside the board, to reassign",
		chromedp.Click(agentRow+`//button[contains(@class,"person-name")]`),
		chromedp.WaitVisible(`#conv-`+convID),
		chromedp.Click(`#show-queue`),
		chromedp.WaitNotPresent(`#conv-`+convID),
	)
	run(t, ctx, "give it back to the queue",
		chromedp.Click(agentRow+`//button[contains(., "Return to queue")]`),
		chromedp.Click(agentRow+`//button[text()="Yes"]`),
		chromedp.WaitVisible(card+`//p[@class="waiting"]/strong[text()="1"]`),
		chromedp.WaitVisible(agentRow+`//span[@class="holds"][text()="0"]`),
	)
	agentClient.Must(http.StatusOK, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	run(t, ctx, "the claim shows live: nothing waiting, the agent holds one",
		chromedp.WaitVisible(card+`//p[@class="waiting"]/strong[text()="0"]`),
		chromedp.WaitVisible(agentRow+`//span[@class="holds"][text()="1"]`),
	)
	events := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID+"/events", nil).Body["events"].([]any)
	var reasons []string
	for _, e := range events {
		reasons = append(reasons, e.(map[string]any)["type"].(string)+"/"+e.(map[string]any)["reason"].(string))
	}
	require.Contains(t, reasons, "assigned/dispatch")
	require.Contains(t, reasons, "unassigned/released")
}

// TestInboxSettingsInbox: an admin creates a website's inbox from the
// settings and gets the snippet to paste, with the inbox's id; names are
// text.
func TestInboxSettingsInbox(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	ctx := browser(t)
	run(t, ctx, "log in, open the settings",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#inbox-name`),
	)
	run(t, ctx, "create an inbox",
		chromedp.SendKeys(`#inbox-name`, `Shop <i>EU</i>`),
		chromedp.SendKeys(`#inbox-origins`, "https://shop.example, https://www.shop.example"),
		chromedp.Click(`//form[@aria-label="New inbox"]//button[@type="submit"]`),
		chromedp.WaitVisible(`//section[contains(@class,"inbox")]//h3[text()="Shop <i>EU</i>"]`),
	)
	screenshot(t, ctx, "inbox-settings")
	inboxes := env.Login(t, adminOp).Must(http.StatusOK, "GET", "/api/v1/inboxes", nil).Body["inboxes"].([]any)
	require.Len(t, inboxes, 1)
	inbox := inboxes[0].(map[string]any)
	require.Equal(t, []any{"https://shop.example", "https://www.shop.example"}, inbox["allowed_origins"])
	snippet := value(t, ctx, "the snippet", chromedp.Evaluate[string](`document.querySelector('.snippet').value`))
	require.Contains(t, snippet, `/widget.js" data-inbox="`+inbox["id"].(string)+`"`)
	require.Zero(t, value(t, ctx, "markup stays text", chromedp.Evaluate[int](`document.querySelectorAll('.settings i').length`)))

	run(t, ctx, "add a department and give it round robin, three at once",
		chromedp.SendKeys(`#department-name`, "Support"),
		chromedp.Click(`//form[@aria-label="New department"]//button[@type="submit"]`),
		chromedp.WaitVisible(`//li[@aria-label="Department Support"]//select`),
		choose(`li[aria-label="Department Support"] select`, "round_robin"),
		typeValue(`li[aria-label="Department Support"] input.capacity`, "3"),
		setValue(`li[aria-label="Department Support"] input.capacity`, "3", "blur"),
	)
	require.Eventually(t, func() bool {
		ds := env.Login(t, adminOp).Must(http.StatusOK, "GET", "/api/v1/departments", nil).Body["departments"].([]any)
		d := ds[0].(map[string]any)
		return d["dispatch_mode"] == "round_robin" && d["max_concurrent"] == float64(3)
	}, 5*time.Second, 100*time.Millisecond)
	run(t, ctx, "tell supervisors of a conversation unclaimed for 2 minutes",
		choose(`li[aria-label="Department Support"] select.ladder-notify_after_seconds`, "120"))
	require.Eventually(t, func() bool {
		ds := env.Login(t, adminOp).Must(http.StatusOK, "GET", "/api/v1/departments", nil).Body["departments"].([]any)
		return ds[0].(map[string]any)["unclaimed_ladder"].(map[string]any)["notify_after_seconds"] == float64(120)
	}, 5*time.Second, 100*time.Millisecond)
	run(t, ctx, "the department row", chromedp.ScrollIntoView(`//li[@aria-label="Department Support"]`))
	screenshotView(t, ctx, "settings-dispatch")
}

// TestInboxDepartmentFilter: a supervisor narrows the queue to one
// department; the list and the tab's count follow.
func TestInboxDepartmentFilter(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	dept := func(name string) string {
		return admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": name}).Body["department"].(map[string]any)["id"].(string)
	}
	billing, sales := dept("Billing"), dept("Sales")
	start := func(text, to string) string {
		id := env.Visitor(t, ws).StartConversation(text)
		admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+id+"/transfer", map[string]any{"department_id": to})
		return id
	}
	inBilling, inSales := start("Refund please", billing), start("A quote for 40 seats", sales)

	ctx := browser(t)
	run(t, ctx, "log in: both in Unclaimed",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.WaitVisible(`#conv-`+inBilling), chromedp.WaitVisible(`#conv-`+inSales),
	)
	run(t, ctx, "filter to Billing",
		choose(`#department-filter`, billing),
		chromedp.WaitVisible(`//button[contains(@class,"tab")][contains(., "Unclaimed")]/span[@class="count"][text()="1"]`),
	)
	require.True(t, value(t, ctx, "Sales left the list", chromedp.Poll[bool](`document.getElementById('conv-`+inSales+`') === null`)))
	require.True(t, value(t, ctx, "Billing stayed", chromedp.Evaluate[bool](`document.getElementById('conv-`+inBilling+`') !== null`)))
	run(t, ctx, "back to all", choose(`#department-filter`, ""), chromedp.WaitVisible(`#conv-`+inSales))
}

// TestInboxSnoozeChosenTime: the snooze menu takes a time of the
// operator's choosing; the conversation sleeps until then.
func TestInboxSnoozeChosenTime(t *testing.T) {
	ws := env.NewWorkspace(t)
	op := env.NewOperator(t, ws, access.RoleOperator)
	api := env.Login(t, op)
	ctx := browser(t)
	run(t, ctx, "log in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))
	convID := env.Visitor(t, ws).StartConversation("call me back tomorrow afternoon")
	run(t, ctx, "open and claim", chromedp.WaitVisible(`#conv-`+convID), chromedp.Click(`#conv-`+convID),
		chromedp.WaitVisible(`#action-claim`), chromedp.Click(`#action-claim`), chromedp.WaitVisible(`#compose`))

	// Tomorrow 15:30 in the browser's zone, as the picker shows it.
	local := value(t, ctx, "tomorrow 15:30", chromedp.Evaluate[string](`(() => {
		const d = new Date(); d.setDate(d.getDate() + 1); d.setHours(15, 30, 0, 0);
		const p = (n) => String(n).padStart(2, '0');
		return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T15:30'; })()`))
	want := value(t, ctx, "as an instant", chromedp.Evaluate[string](`new Date(`+jsString(local)+`).toISOString()`))
	run(t, ctx, "snooze until then",
		chromedp.Click(`#action-snooze`),
		chromedp.WaitVisible(`#snooze-at`),
		typeValue(`#snooze-at`, local),
	)
	screenshotView(t, ctx, "inbox-snooze-menu")
	run(t, ctx, "confirm", chromedp.Click(`//form[@class="snooze-at"]/button`), chromedp.WaitVisible(`#action-wake`))
	conv := api.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil).Body["conversation"].(map[string]any)
	require.Equal(t, "snoozed", conv["status"])
	got, err := time.Parse(time.RFC3339, conv["snoozed_until"].(string))
	require.NoError(t, err)
	wantT, err := time.Parse(time.RFC3339, want)
	require.NoError(t, err)
	require.True(t, got.Equal(wantT), "snoozed until %s, want %s", got, wantT)
}

// TestInboxOffer: in a department that offers its conversations, the
// operator online sees the offer with the time left; Accept makes it
// theirs and opens it, ready to reply.
func TestInboxOffer(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	dept := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Support"}).Body["department"].(map[string]any)["id"].(string)
	admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+dept, map[string]any{"dispatch_mode": "offer", "offer_timeout_seconds": 60})
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "department_ids": []string{dept}, "default_department_id": dept,
	}).Body["inbox"].(map[string]any)["id"].(string)
	op := env.NewOperator(t, ws, access.RoleOperator)
	admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+dept+"/members/"+op.ID.String(), nil)

	ctx := browser(t)
	run(t, ctx, "log in, go online", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		choose(`select[aria-label="My status"]`, "online"))
	require.Eventually(t, func() bool {
		for _, p := range admin.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any) {
			if p := p.(map[string]any); p["id"] == op.ID.String() {
				return p["status"] == "online"
			}
		}
		return false
	}, 5*time.Second, 50*time.Millisecond)

	r := admin.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": ws.ID.String(), "inbox_id": inbox})
	v := systest.NewClient(t, env.System.URL)
	v.Token = r.Body["token"].(string)
	convID := v.StartConversation("Can someone help me with a refund?")
	run(t, ctx, "the offer appears", chromedp.WaitVisible(`.offers .offer`))
	require.Contains(t, value(t, ctx, "the offer", chromedp.Text(`.offers .offer`)), "Can someone help me with a refund?")
	screenshotView(t, ctx, "inbox-offer")

	run(t, ctx, "accept", chromedp.Click(`.accept-offer`), chromedp.WaitVisible(`#compose`), chromedp.WaitNotPresent(`.offers`))
	c := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil).Body["conversation"].(map[string]any)
	require.Equal(t, op.ID.String(), c["assignee_id"])
}

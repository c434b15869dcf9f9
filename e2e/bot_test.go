package e2e

import (
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

// TestWidgetBotFlow: on a site whose inbox runs a bot flow, the visitor's
// first message gets the bot's greeting and question; the bot's quick
// replies are buttons that answer; an answer the bot does not understand
// twice hands off, and the operator's inbox shows what the bot gathered
// and can hand the conversation back. The widget and the inbox are
// screenshotted at the handoff.
func TestWidgetBotFlow(t *testing.T) {
	// The flow's own text carries markup: both apps show it as text.
	const greeting = `Hi! I'm Larkspur's <b>assistant</b><img src=x onerror="document.title='pwned'">`
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	billing := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Billing"}).Body["department"].(map[string]any)["id"].(string)
	doc := map[string]any{
		"start": "greet", "fallback_limit": 2,
		"fallback_handoff": map[string]any{"department_id": billing, "priority": "high", "note": "The bot did not understand: {{last_input}}"},
		"nodes": []map[string]any{
			{"id": "greet", "kind": "message", "text": greeting, "next": "ask_email"},
			{"id": "ask_email", "kind": "question", "text": "What's your email, so we can follow up?", "answer": "email", "save_as": "email", "store": "contact", "next": "topic"},
			{"id": "topic", "kind": "message", "text": "Thanks! What is it about?", "quick_replies": []string{"Billing", "Shipping"}, "next": "route"},
			{"id": "route", "kind": "keywords", "routes": []map[string]any{
				{"phrases": []string{"billing"}, "next": "to_billing"},
				{"phrases": []string{"shipping"}, "next": "shipping"},
			}, "fallback": "again"},
			{"id": "again", "kind": "message", "text": "Sorry, I didn't get that. Billing or shipping?", "quick_replies": []string{"Billing", "Shipping"}, "next": "route"},
			{"id": "to_billing", "kind": "handoff", "department_id": billing, "note": "Billing question from {{email}}"},
			{"id": "shipping", "kind": "message", "text": "Parcels ship within 3 days.", "next": "route"},
		},
	}
	flowID := admin.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Front desk", "document": doc}).Body["flow"].(map[string]any)["id"].(string)
	admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+flowID+"/publish", nil)
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "allowed_origins": []string{env.System.URL}, "department_ids": []string{billing}, "flow_id": flowID,
	}).Body["inbox"].(map[string]any)["id"].(string)
	admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]string{"name": "Larkspur Tea"})
	op := env.NewOperator(t, ws, access.RoleAdmin)

	visitor := browser(t)
	run(t, visitor, "the visitor opens the demo site", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame := widgetFrame(t, visitor)
	run(t, visitor, "open the chat and write",
		chromedp.Click(`.launcher`, frame),
		chromedp.WaitVisible(`#sb-compose`, frame),
		chromedp.SendKeys(`#sb-compose`, "Hi, I have a question"+kb.Enter, frame),
	)
	waitFrame(t, visitor, "the bot greets and asks", bodyCount("What's your email, so we can follow up?", 1))
	waitFrame(t, visitor, "the flow's markup is text", bodyCount(greeting, 1))
	require.Zero(t, value(t, visitor, "markup in the widget", chromedp.Evaluate[int](framed(`d.querySelectorAll('.msg .body img, .msg .body b').length`))))
	run(t, visitor, "answer", chromedp.SendKeys(`#sb-compose`, "ada@example.com"+kb.Enter, frame))
	waitFrame(t, visitor, "quick replies", `d.querySelectorAll('.quick button').length === 2`)
	screenshotView(t, visitor, "widget-bot-quick-replies")
	run(t, visitor, "write something the bot does not understand", chromedp.SendKeys(`#sb-compose`, "hmm"+kb.Enter, frame))
	waitFrame(t, visitor, "the bot asks again", bodyCount("Sorry, I didn't get that. Billing or shipping?", 1))
	run(t, visitor, "and again", chromedp.SendKeys(`#sb-compose`, "what?"+kb.Enter, frame))

	operator := browser(t)
	run(t, operator, "the operator logs in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))
	item := `//button[contains(@class,"item")][.//span[@class="preview" and contains(., "what?")]]`
	run(t, operator, "the handed-off conversation is in the queue", chromedp.WaitVisible(item), chromedp.Click(item))
	run(t, operator, "the context card shows what the bot gathered", chromedp.WaitVisible(`.bot-card`))
	card := value(t, operator, "card", chromedp.Text(`.bot-card`))
	require.Contains(t, card, "fallback")
	require.Contains(t, card, "ada@example.com")
	require.Contains(t, card, "The bot did not understand: what?")
	require.Equal(t, "high", value(t, operator, "priority", chromedp.Value(`#priority`)))
	run(t, operator, "the flow's greeting shows as text in the inbox",
		chromedp.WaitVisible(`//li[contains(@class,"msg") and contains(@class,"bot")]//p[text()=`+xpathString(greeting)+`]`))
	require.Zero(t, value(t, operator, "markup in the inbox", chromedp.Evaluate[int](`document.querySelectorAll('.timeline .body img, .timeline .body b').length`)))
	require.Equal(t, "Switchboard", value(t, operator, "no markup ran", chromedp.Title()))
	screenshot(t, operator, "inbox-bot-handoff")

	run(t, operator, "take over", chromedp.Click(`#action-claim`), chromedp.WaitVisible(`#compose`))
	run(t, operator, "hand back to the bot at the topic",
		chromedp.Click(`#action-hand-back`),
		chromedp.Click(`//div[@role="menu"]//button[text()="topic"]`),
		chromedp.WaitNotPresent(`#compose`),
	)
	waitFrame(t, visitor, "the bot asks the topic again", bodyCount("Thanks! What is it about?", 2))
	run(t, visitor, "click a quick reply", chromedp.Click(`//li[@class="quick"]/button[text()="Shipping"]`, frame))
	waitFrame(t, visitor, "the bot answers the button", bodyCount("Parcels ship within 3 days.", 1))
}

// typeValue sets a text field's value as typing would (an input event).
func typeValue(sel, value string) chromedp.Action[chromedp.Void] {
	return setValue(sel, value, "input")
}

// TestInboxFlowEditor: an admin writes a flow in Settings; saving a broken
// one lists its problems by node; simulate shows the conversation it would
// have; publishing makes it live, and the inbox starts its conversations
// in it.
func TestInboxFlowEditor(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.NewOperator(t, ws, access.RoleAdmin)
	api := env.Login(t, admin)
	inbox := api.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{"name": "Website"}).Body["inbox"].(map[string]any)["id"].(string)

	ctx := browser(t)
	run(t, ctx, "the admin opens Settings", logIn(admin.Email, systest.Password), chromedp.WaitVisible(`#open-settings`),
		chromedp.Click(`#open-settings`), chromedp.WaitVisible(`#new-flow`))
	run(t, ctx, "a new flow", chromedp.Click(`#new-flow`), chromedp.WaitVisible(`#flow-document`),
		typeValue(`#flow-name`, "Front desk"))
	broken := `{"start": "greet", "nodes": [{"id": "greet", "kind": "message", "text": "Hi {{name}}!", "next": "nowhere"}]}`
	run(t, ctx, "save a broken draft", typeValue(`#flow-document`, broken), chromedp.Click(`#flow-save`),
		chromedp.WaitVisible(`ul.problems`))
	problems := value(t, ctx, "problems", chromedp.Text(`ul.problems`))
	require.Contains(t, problems, "greet · next")
	require.Contains(t, problems, "greet · text")

	good := `{"start": "greet", "nodes": [
  {"id": "greet", "kind": "message", "text": "Hi! Billing or shipping?", "quick_replies": ["Billing", "Shipping"], "next": "route"},
  {"id": "route", "kind": "keywords", "routes": [{"phrases": ["shipping"], "next": "ship"}], "fallback": "people"},
  {"id": "ship", "kind": "message", "text": "Parcels ship within 3 days.", "next": "route"},
  {"id": "people", "kind": "handoff", "note": "Needs a person"}]}`
	run(t, ctx, "simulate the fixed flow", typeValue(`#flow-document`, good), typeValue(`#flow-inputs`, "shipping?\nrefund please"),
		chromedp.Click(`#flow-simulate`), chromedp.WaitVisible(`ol.transcript`))
	sim := value(t, ctx, "transcript", chromedp.Text(`ol.transcript`))
	require.Contains(t, sim, "Parcels ship within 3 days.")
	require.Contains(t, sim, "Handed off (flow): Needs a person")
	run(t, ctx, "publish", chromedp.Click(`#flow-publish`), chromedp.WaitVisible(`//span[contains(@class,"pill") and text()="live: version 1"]`))
	screenshot(t, ctx, "inbox-flow-editor")

	run(t, ctx, "the inbox runs it", chromedp.WaitVisible(`select.inbox-flow`), chromedp.WaitReady(`select.inbox-flow option:nth-child(2)`))
	flowID := value(t, ctx, "flow id", chromedp.Evaluate[string](`document.querySelector('select.inbox-flow option:nth-child(2)').value`))
	run(t, ctx, "pick the flow for the inbox", choose(`select.inbox-flow`, flowID))
	require.Eventually(t, func() bool {
		i := api.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+inbox, nil).Body["inbox"].(map[string]any)
		return i["flow_id"] == flowID
	}, 5*time.Second, 50*time.Millisecond)
}

// xpathString quotes s for an XPath expression (it may hold both quote
// kinds).
func xpathString(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	parts := strings.Split(s, "'")
	return "concat('" + strings.Join(parts, `', "'", '`) + "')"
}

package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// demoFlow is the flow of the product's scenario: greet, ask for an email
// (stored on the contact), ask the topic; billing goes to Billing, shipping
// is answered, and two answers in a row the bot does not understand hand
// off to Billing with priority high.
func demoFlow(billing string) map[string]any {
	return map[string]any{
		"start":            "greet",
		"fallback_limit":   2,
		"fallback_handoff": map[string]any{"department_id": billing, "priority": "high", "note": "The bot did not understand {{last_input}}"},
		"nodes": []map[string]any{
			{"id": "greet", "kind": "message", "text": "Hi! I'm the Switchboard bot.", "next": "ask_email"},
			{"id": "ask_email", "kind": "question", "text": "What's your email?", "answer": "email", "save_as": "email",
				"store": "contact", "retry_text": "That doesn't look like an email. What's your email?", "max_retries": 3,
				"next": "topic"},
			{"id": "topic", "kind": "message", "text": "Thanks {{email}}! Billing or shipping?", "quick_replies": []string{"Billing", "Shipping"}, "next": "route"},
			{"id": "route", "kind": "keywords", "routes": []map[string]any{
				{"phrases": []string{"billing", "refund", "invoice"}, "next": "to_billing"},
				{"phrases": []string{"shipping", "delivery"}, "next": "shipping"},
			}, "fallback": "again"},
			{"id": "again", "kind": "message", "text": "Sorry, billing or shipping?", "next": "route"},
			{"id": "to_billing", "kind": "handoff", "department_id": billing, "note": "Billing question from {{email}}"},
			{"id": "shipping", "kind": "message", "text": "Parcels ship within 3 days.", "next": "bye"},
			{"id": "bye", "kind": "end"},
		},
	}
}

type flowBundle struct {
	workspace store.Workspace
	admin     *systest.Client
	inbox     string
	billing   string
	flowID    string
}

func flowSetup(t testing.TB) flowBundle {
	t.Helper()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	support := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Support"}).Body["department"].(map[string]any)["id"].(string)
	billing := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Billing"}).Body["department"].(map[string]any)["id"].(string)
	f := admin.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Front desk", "document": demoFlow(billing)}).Body["flow"].(map[string]any)
	require.Nil(t, f["live_version"], "a new flow is a draft")
	v := admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+f["id"].(string)+"/publish", nil).Body["version"].(map[string]any)
	require.EqualValues(t, 1, v["version"])
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "department_ids": []string{support, billing}, "default_department_id": support, "flow_id": f["id"],
	}).Body["inbox"].(map[string]any)
	require.Equal(t, f["id"], inbox["flow_id"])
	return flowBundle{workspace: ws, admin: admin, inbox: inbox["id"].(string), billing: billing, flowID: f["id"].(string)}
}

// visitor opens a widget session on the bundle's inbox.
func (b flowBundle) visitor(t testing.TB) *systest.Client {
	v := systest.NewClient(t, env.System.URL)
	r := v.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": b.workspace.ID.String(), "inbox_id": b.inbox})
	v.Token = r.Body["token"].(string)
	return v
}

// botSays waits until the conversation's last message is the bot's with
// text (the bot answers through the durable path: its workflow hears the
// message, then writes).
func botSays(t testing.TB, v *systest.Client, conv, text string) {
	t.Helper()
	var last string
	require.Eventually(t, func() bool {
		msgs := v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil).Body["messages"].([]any)
		m := msgs[len(msgs)-1].(map[string]any)
		last = fmt.Sprint(m["sender_type"], ": ", m["body"])
		return m["sender_type"] == "bot" && m["body"] == text
	}, 10*time.Second, 25*time.Millisecond, "waiting for the bot to say %q; last: %s", text, &last)
}

func say(v *systest.Client, conv, text string) {
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": text})
}

// TestFlowScenario: a flow defined through the API greets, asks for an
// email (an invalid one is re-asked), falls back twice on nonsense and
// hands off to Billing with reason fallback and priority high; the
// operator's socket hears the handoff, whose event carries the variables
// and the path; the bot is silent after it. An operator hands the
// conversation back to the bot, which goes on and ends the flow. The
// funnel and the outcomes count it all.
func TestFlowScenario(t *testing.T) {
	t.Parallel()
	b := flowSetup(t)
	sock := b.admin.Dial()
	v := b.visitor(t)

	conv := v.StartConversation("hello")
	botSays(t, v, conv, "What's your email?")
	say(v, conv, "my email? why")
	botSays(t, v, conv, "That doesn't look like an email. What's your email?")
	got := b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil)
	require.Equal(t, "bot", convBody(got)["phase"], "the bot has it")
	msgs := v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil).Body["messages"].([]any)
	var said []string
	for _, m := range msgs {
		m := m.(map[string]any)
		said = append(said, fmt.Sprint(m["sender_type"], ": ", m["body"]))
	}
	require.Equal(t, []string{
		"visitor: hello", "bot: Hi! I'm the Switchboard bot.", "bot: What's your email?", "visitor: my email? why",
		"bot: That doesn't look like an email. What's your email?",
	}, said, "the opening message is no answer to the bot's first question")
	counts := b.admin.Must(http.StatusOK, "GET", "/api/v1/conversation-counts", nil).Body["counts"].(map[string]any)
	require.EqualValues(t, 1, counts["bot"])
	require.EqualValues(t, 0, counts["unclaimed"], "the bot's conversation is nobody's to claim")

	say(v, conv, "me@example.com")
	botSays(t, v, conv, "Thanks me@example.com! Billing or shipping?")
	last := v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil).Body["messages"].([]any)
	require.Equal(t, []any{"Billing", "Shipping"}, last[len(last)-1].(map[string]any)["quick_replies"])

	say(v, conv, "asdf qwerty")
	botSays(t, v, conv, "Sorry, billing or shipping?")
	say(v, conv, "zzz")
	handoff := sock.WaitFor(10*time.Second, "handoff", systest.Updated(conv, "open", "handed_off"))
	var ev struct {
		Conversation map[string]any `json:"conversation"`
		Event        struct {
			Reason string         `json:"reason"`
			Data   map[string]any `json:"data"`
		} `json:"event"`
	}
	require.NoError(t, json.Unmarshal(handoff.Data, &ev))
	require.Equal(t, "fallback", ev.Event.Reason)
	require.Equal(t, "queued", ev.Conversation["phase"])
	require.Equal(t, b.billing, ev.Conversation["department_id"])
	require.Equal(t, "high", ev.Conversation["priority"])
	require.Equal(t, "me@example.com", ev.Event.Data["variables"].(map[string]any)["email"])
	require.Contains(t, ev.Event.Data["path"], "route")
	require.Equal(t, b.flowID, ev.Event.Data["flow_id"])
	fields := convBody(b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil))["fields"].(map[string]any)
	require.Equal(t, "me@example.com", fields["email"], "what the bot gathered is on the conversation")

	// After the handoff the bot never speaks over a person.
	say(v, conv, "billing")
	time.Sleep(500 * time.Millisecond)
	msgs = v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil).Body["messages"].([]any)
	require.Equal(t, "visitor", msgs[len(msgs)-1].(map[string]any)["sender_type"])

	// Handed back at the topic, the bot goes on; shipping ends the flow
	// and resolves the conversation.
	bad := b.admin.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/conversations/"+conv+"/hand-back", map[string]string{"node": "nowhere"})
	require.Equal(t, "node", bad.ErrorField())
	r := b.admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/hand-back", map[string]string{"node": "topic"})
	require.Equal(t, "bot", convBody(r)["phase"])
	botSays(t, v, conv, "Thanks me@example.com! Billing or shipping?")
	say(v, conv, "Shipping please")
	sock.WaitFor(10*time.Second, "resolved by the bot", systest.Updated(conv, "resolved", "resolved"))
	botSays(t, v, conv, "Parcels ship within 3 days.")

	funnel := b.admin.Must(http.StatusOK, "GET", "/api/v1/flows/"+b.flowID+"/funnel", nil).Body["hops"].([]any)
	hops := map[string]float64{}
	for _, h := range funnel {
		h := h.(map[string]any)
		hops[fmt.Sprint(h["node"], "/", h["edge"])] = h["n"].(float64)
	}
	require.Equal(t, 1.0, hops["ask_email/next"])
	require.Equal(t, 1.0, hops["route/fallback"], "the first nonsense")
	require.Equal(t, 1.0, hops["route/handoff"], "the second: the fallback loop")
	require.Equal(t, 1.0, hops["route/routes[1]"], "shipping, after the hand-back")

	out := b.admin.Must(http.StatusOK, "GET", "/api/v1/flow-outcomes", nil).Body["flows"].([]any)
	require.Len(t, out, 1)
	rate := out[0].(map[string]any)
	require.EqualValues(t, 1, rate["started"])
	require.EqualValues(t, 1, rate["handed_off"])
	require.EqualValues(t, 1, rate["ended"])
	require.EqualValues(t, 1, rate["by_reason"].(map[string]any)["fallback"])
}

// TestFlowHumanPhraseAndTakeOver: asking for a person hands off at once
// (reason asked_for_human); an operator who claims a conversation the bot
// has silences it (outcome manual).
func TestFlowHumanPhraseAndTakeOver(t *testing.T) {
	t.Parallel()
	b := flowSetup(t)
	v := b.visitor(t)
	conv := v.StartConversation("I want to talk to someone!")
	require.Eventually(t, func() bool {
		c := convBody(b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil))
		return c["phase"] == "queued"
	}, 10*time.Second, 25*time.Millisecond)
	events := b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/events", nil).Body["events"].([]any)
	require.Equal(t, "asked_for_human", events[len(events)-1].(map[string]any)["reason"])

	other := v.StartConversation("hi")
	botSays(t, v, other, "What's your email?")
	b.admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+other+"/claim", nil)
	say(v, other, "me@example.com")
	time.Sleep(500 * time.Millisecond)
	msgs := v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+other+"/messages", nil).Body["messages"].([]any)
	require.Equal(t, "visitor", msgs[len(msgs)-1].(map[string]any)["sender_type"], "the bot is silent once a person took over")

	out := b.admin.Must(http.StatusOK, "GET", "/api/v1/flow-outcomes", nil).Body["flows"].([]any)[0].(map[string]any)
	require.EqualValues(t, 2, out["started"])
	require.EqualValues(t, map[string]any{"asked_for_human": 1.0, "manual": 1.0}, out["by_reason"])
}

// TestFlowHTTPNode: an http node calls an allowed host, maps the answer
// into variables, and takes its failure edge for a host the workspace did
// not allow.
func TestFlowHTTPNode(t *testing.T) {
	t.Parallel()
	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"order":{"id":%q,"status":"shipped"}}`, strings.TrimPrefix(r.URL.Path, "/orders/"))
	}))
	t.Cleanup(orders.Close)
	b := flowSetup(t)
	u, _ := url.Parse(orders.URL)
	doc := map[string]any{"start": "ask", "nodes": []map[string]any{
		{"id": "ask", "kind": "question", "text": "Order number?", "answer": "number", "save_as": "order", "next": "lookup"},
		{"id": "lookup", "kind": "http", "method": "GET", "url": orders.URL + "/orders/{{order}}", "retries": 1,
			"map": []map[string]any{{"variable": "status", "path": "order.status"}}, "next": "found", "failure": "sorry"},
		{"id": "found", "kind": "message", "text": "Order {{order}} is {{status}}."},
		{"id": "sorry", "kind": "message", "text": "I could not look that up."},
	}}
	f := b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Orders", "document": doc}).Body["flow"].(map[string]any)
	b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+f["id"].(string)+"/publish", nil)
	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/inboxes/"+b.inbox, map[string]any{"flow_id": f["id"]})

	v := b.visitor(t)
	conv := v.StartConversation("where is my order?")
	botSays(t, v, conv, "Order number?")
	say(v, conv, "42")
	botSays(t, v, conv, "I could not look that up.") // the host is not allowed yet

	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]any{"flow_http_hosts": []string{u.Hostname()}})
	conv = v.StartConversation("hello")
	botSays(t, v, conv, "Order number?")
	say(v, conv, "1234")
	botSays(t, v, conv, "Order 1234 is shipped.")
}

// TestFlowDesign: validation names the node; simulate runs a draft with no
// side effects; versions are numbered, diffed and rolled back.
func TestFlowDesign(t *testing.T) {
	t.Parallel()
	b := flowSetup(t)
	bad := b.admin.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/flows", map[string]any{"name": "Broken", "document": map[string]any{
		"start": "a", "nodes": []map[string]any{
			{"id": "a", "kind": "message", "text": "Hi {{name}}", "next": "b"},
			{"id": "b", "kind": "handoff", "department_id": "00000000-0000-4000-8000-000000000000"},
			{"id": "c", "kind": "teleport"},
		},
	}})
	problems := bad.Body["error"].(map[string]any)["problems"].([]any)
	codes := map[string]bool{}
	for _, p := range problems {
		p := p.(map[string]any)
		codes[fmt.Sprint(p["node"], ":", p["code"])] = true
	}
	require.True(t, codes["a:variable_not_set"], "%v", codes)
	require.True(t, codes["b:missing_department"], "%v", codes)
	require.True(t, codes["c:unknown_kind"], "%v", codes)
	b.admin.Must(http.StatusBadRequest, "POST", "/api/v1/flows", map[string]any{"name": "Not JSON", "document": "nodes"})

	sim := b.admin.Must(http.StatusOK, "POST", "/api/v1/flows/simulate", map[string]any{
		"flow_id": b.flowID, "inputs": []map[string]string{{"text": "x"}, {"text": "a@b.co"}, {"text": "refund please"}},
	}).Body["result"].(map[string]any)
	require.Equal(t, "flow", sim["handoff"].(map[string]any)["reason"])
	require.Equal(t, "Billing question from a@b.co", sim["handoff"].(map[string]any)["note"])
	require.Len(t, sim["replies"], 4)
	require.Empty(t, b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"], "simulate writes nothing")

	// A second version, a diff, a rollback.
	doc := demoFlow(b.billing)
	doc["nodes"].([]map[string]any)[0]["text"] = "Hello again!"
	b.admin.Must(http.StatusOK, "PUT", "/api/v1/flows/"+b.flowID, map[string]any{"name": "Front desk", "document": doc})
	diff := b.admin.Must(http.StatusOK, "GET", "/api/v1/flows/"+b.flowID+"/diff?from=1&to=draft", nil).Body["diff"].(map[string]any)
	require.Equal(t, "greet", diff["changed"].([]any)[0].(map[string]any)["node"])
	require.EqualValues(t, 2, b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+b.flowID+"/publish", nil).Body["version"].(map[string]any)["version"])
	rb := b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+b.flowID+"/rollback", map[string]any{"version": 1}).Body["version"].(map[string]any)
	require.EqualValues(t, 3, rb["version"])
	require.EqualValues(t, 1, rb["copied_from"])
	versions := b.admin.Must(http.StatusOK, "GET", "/api/v1/flows/"+b.flowID+"/versions", nil).Body["versions"].([]any)
	require.Len(t, versions, 3)
	live := b.admin.Must(http.StatusOK, "GET", "/api/v1/flows/"+b.flowID, nil).Body["flow"].(map[string]any)
	require.EqualValues(t, 3, live["live_version"])
	b.admin.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/flows/"+b.flowID+"/rollback", map[string]any{"version": 9})

	v := b.visitor(t)
	conv := v.StartConversation("hi")
	botSays(t, v, conv, "What's your email?")
	c := convBody(b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil))
	require.EqualValues(t, 3, c["flow_version"], "a conversation starts in the live version")
	b.admin.Must(http.StatusConflict, "DELETE", "/api/v1/flows/"+b.flowID, nil)
}

// BenchmarkHandoffLatency: a visitor's message that makes the bot hand off
// (asking for a person), from the send to the handed_off event on an
// operator's socket: the outbox relay, the workflow's bot step (the
// interpreter and its writes), the handoff's persist and its publish. One
// conversation per iteration, each waiting for the bot's question first.
//
//	go test ./app -run '^$' -bench HandoffLatency -benchtime 200x
func BenchmarkHandoffLatency(b *testing.B) {
	fb := flowSetup(b)
	sock := fb.admin.Dial()
	v := fb.visitor(b)
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		conv := v.StartConversation("hello")
		botSays(b, v, conv, "What's your email?")
		b.StartTimer()
		start := time.Now()
		say(v, conv, "can I talk to someone?")
		sock.WaitFor(10*time.Second, "handoff", systest.Updated(conv, "open", "handed_off"))
		lat = append(lat, time.Since(start))
	}
	reportLatencies(b, lat)
}

// TestFlowBusinessHours: a department's business hours answer a flow's
// business_hours node; bad hours are a 400 naming the field.
func TestFlowBusinessHours(t *testing.T) {
	t.Parallel()
	b := flowSetup(t)
	dept := "/api/v1/departments/" + b.billing
	bad := b.admin.Must(http.StatusBadRequest, "PATCH", dept, map[string]any{"business_hours": map[string]any{
		"time_zone": "Europe/Berlin", "hours": []map[string]any{{"days": []string{"mon"}, "from": "09:00", "to": "25:00"}},
	}})
	require.Equal(t, "business_hours.hours[0].to", bad.ErrorField())
	b.admin.Must(http.StatusBadRequest, "PATCH", dept, map[string]any{"business_hours": map[string]any{"time_zone": "Nowhere/Land", "hours": []any{}}})

	// Open every day, all day, but today is a holiday: closed.
	today := time.Now().UTC().Format(time.DateOnly)
	closed := map[string]any{"time_zone": "UTC", "holidays": []string{today}, "hours": []map[string]any{
		{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "from": "00:00", "to": "24:00"},
	}}
	d := b.admin.Must(http.StatusOK, "PATCH", dept, map[string]any{"business_hours": closed}).Body["department"].(map[string]any)
	require.Equal(t, "UTC", d["business_hours"].(map[string]any)["time_zone"])

	doc := map[string]any{"start": "hours", "nodes": []map[string]any{
		{"id": "hours", "kind": "business_hours", "department_id": b.billing, "yes": "open", "no": "closed"},
		{"id": "open", "kind": "message", "text": "Billing is open."},
		{"id": "closed", "kind": "message", "text": "Billing is closed today."},
	}}
	f := b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Hours", "document": doc}).Body["flow"].(map[string]any)
	b.admin.Must(http.StatusCreated, "POST", "/api/v1/flows/"+f["id"].(string)+"/publish", nil)
	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/inboxes/"+b.inbox, map[string]any{"flow_id": f["id"]})
	v := b.visitor(t)
	botSays(t, v, v.StartConversation("hi"), "Billing is closed today.")

	b.admin.Must(http.StatusOK, "PATCH", dept, map[string]any{"business_hours": nil})
	botSays(t, v, v.StartConversation("hi again"), "Billing is open.")
}

// TestFlowDesigners: an admin makes an operator a flow designer, who may
// then define, publish and read a flow's reports; a plain operator may
// not, nor make anyone a designer.
func TestFlowDesigners(t *testing.T) {
	t.Parallel()
	b := flowSetup(t)
	doc := map[string]any{"start": "hi", "nodes": []map[string]any{{"id": "hi", "kind": "message", "text": "Hello"}}}
	designerOp := env.NewOperator(t, b.workspace, "operator")
	designer := env.Login(t, designerOp)
	designer.Must(http.StatusForbidden, "POST", "/api/v1/flows", map[string]any{"name": "Mine", "document": doc})
	designer.Must(http.StatusForbidden, "GET", "/api/v1/flows/"+b.flowID+"/funnel", nil)
	designer.Must(http.StatusForbidden, "PATCH", "/api/v1/operators/"+designerOp.ID.String(), map[string]any{"flow_designer": true})

	op := b.admin.Must(http.StatusOK, "PATCH", "/api/v1/operators/"+designerOp.ID.String(), map[string]any{"flow_designer": true}).Body["operator"].(map[string]any)
	require.Equal(t, true, op["flow_designer"])
	f := designer.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Mine", "document": doc}).Body["flow"].(map[string]any)
	designer.Must(http.StatusCreated, "POST", "/api/v1/flows/"+f["id"].(string)+"/publish", nil)
	designer.Must(http.StatusOK, "GET", "/api/v1/flows/"+b.flowID+"/funnel", nil)
	designer.Must(http.StatusOK, "POST", "/api/v1/flows/simulate", map[string]any{"document": doc})
	designer.Must(http.StatusForbidden, "POST", "/api/v1/keyword-rules", map[string]any{"name": "R", "phrases": []string{"x"}, "priority": "high"})
}

package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// A visitor on the demo site writes in the widget; the operator, in
// another browser, sees the conversation arrive in Unclaimed without a
// refresh, claims it and replies; the reply reaches the widget live. The
// operator snoozes it until the customer replies, the visitor writes, and
// it reopens live. The visitor's network is cut while the operator
// replies: once it is back the widget shows every message exactly once.
// The unread badge counts what arrived while the window was closed. The
// operator resolves it with a type, and the widget says so. The visitor's
// markup, in a message and in the name the site identified them by, shows
// as text in both apps.
func TestWidgetOnDemoSite(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	op := env.NewOperator(t, ws, access.RoleOperator)
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "allowed_origins": []string{env.System.URL},
	}).Body["inbox"].(map[string]any)["id"].(string)
	admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]string{"name": "Larkspur Tea"})
	secret := admin.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["identity_secret"].(string)

	operator := browser(t)
	run(t, operator, "the operator logs in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))

	visitor := browser(t)
	run(t, visitor, "the visitor opens the demo site", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame := widgetFrame(t, visitor)
	run(t, visitor, "the launcher", chromedp.WaitVisible(`.launcher`, frame))

	// The site vouches for its customer, whose name is markup.
	xssName := `<img src=x onerror="document.title='pwned'">Ada`
	key, _ := hex.DecodeString(secret)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("customer-7"))
	identify, _ := json.Marshal(map[string]string{
		"external_id": "customer-7", "user_hash": hex.EncodeToString(mac.Sum(nil)), "name": xssName, "email": "ada@example.com",
	})
	run(t, visitor, "identify", chromedp.Evaluate[chromedp.Void](`Switchboard('identify', `+string(identify)+`)`))
	require.Eventually(t, func() bool {
		var n int
		err := env.System.Pool.QueryRow(t.Context(), `SELECT count(*) FROM contacts WHERE workspace_id = $1 AND external_id = 'customer-7'`, ws.ID).Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 50*time.Millisecond, "the identify call reached the server")

	xss := `<img src=x onerror="document.title='pwned'"> my order is late`
	run(t, visitor, "open the chat and write, Enter sends",
		chromedp.Click(`.launcher`, frame),
		chromedp.WaitVisible(`#sb-compose`, frame),
		chromedp.SendKeys(`#sb-compose`, "Hello!", frame),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(`#sb-compose`, xss+kb.Enter, frame),
	)
	waitFrame(t, visitor, "the message is stored (no longer pending)",
		`!d.querySelector('.pending') && [...d.querySelectorAll('.msg.visitor .body')].some(p => p.textContent === 'Hello!\n'+`+jsString(xss)+`)`)
	require.Greater(t, value(t, visitor, "the frame grew to a window", chromedp.Evaluate[int](`document.querySelector('iframe').getBoundingClientRect().width`)), 300)

	item := `//button[contains(@class,"item")][.//span[@class="preview" and contains(., "<img src=x")]]`
	run(t, operator, "the conversation appears in Unclaimed without a refresh", chromedp.WaitVisible(item))
	convID := strings.TrimPrefix(value(t, operator, "its id", chromedp.AttributeValue(item, "id")).Value, "conv-")
	run(t, operator, "open with j", chromedp.KeyEvent("j"), chromedp.WaitVisible(`#action-claim`))
	run(t, operator, "claim with c", chromedp.KeyEvent("c"), chromedp.WaitVisible(`#compose`))
	run(t, operator, "reply with r",
		chromedp.KeyEvent("r"),
		chromedp.SendKeys(`#compose`, "Sorry about that, Ada! Let me look."+kb.Enter),
		chromedp.WaitVisible(`.msg.operator.me`),
	)
	run(t, operator, "the customer's name, as text", chromedp.WaitVisible(`.customer`))
	require.Contains(t, value(t, operator, "customer", chromedp.Text(`.customer`)), xssName)

	waitFrame(t, visitor, "the reply arrives live", bodyCount("Sorry about that, Ada! Let me look.", 1))
	require.Contains(t, frameText(t, visitor), "An operator joined")

	run(t, operator, "snooze until the customer replies",
		chromedp.KeyEvent(kb.Escape),
		chromedp.KeyEvent("s"),
		chromedp.Click(`//button[@role="menuitem" and text()="Until the customer replies"]`),
		chromedp.WaitVisible(`#action-wake`),
	)
	run(t, visitor, "the visitor writes again", chromedp.SendKeys(`#sb-compose`, "Order 4411"+kb.Enter, frame))
	run(t, operator, "it reopens live", chromedp.WaitNotPresent(`#action-wake`), chromedp.WaitVisible(`#action-snooze`))
	waitFrame(t, visitor, "stored", `!d.querySelector('.pending')`)

	// The visitor's network goes; the operator answers meanwhile.
	setOffline(t, visitor, true)
	waitFrame(t, visitor, "the widget says it is offline", `d.querySelector('.sub.offline') !== null`)
	replies := []string{"Found it: it left the warehouse today.", "It should arrive on Friday."}
	for _, r := range replies {
		run(t, operator, "reply while the visitor is offline", chromedp.SendKeys(`#compose`, r+kb.Enter))
	}
	run(t, operator, "both replies stored", chromedp.WaitVisible(fmt.Sprintf(`//p[@class="body" and text()=%q]`, replies[1])))
	setOffline(t, visitor, false)
	for _, r := range replies {
		waitFrame(t, visitor, "after the network is back: "+r, bodyCount(r, 1))
	}
	waitFrame(t, visitor, "live again", `d.querySelector('.sub.live') !== null`)
	stored := visitorMessages(t, admin, convID)
	shown := value(t, visitor, "messages shown", chromedp.Evaluate[[]string](framed(`[...d.querySelectorAll('.msg:not(.pending) .body')].map(p => p.textContent)`)))
	require.Equal(t, stored, shown, "every message once, in order")
	screenshotView(t, visitor, "widget-conversation")

	// Closed, the launcher counts what arrives; the page hears of it.
	run(t, visitor, "close with Esc", chromedp.KeyEvent(kb.Escape))
	waitFrame(t, visitor, "closed", `d.querySelector('.launcher') !== null`)
	run(t, operator, "one more reply", chromedp.SendKeys(`#compose`, "Anything else I can do?"+kb.Enter))
	waitFrame(t, visitor, "the unread badge", `d.querySelector('.badge')?.textContent === '1'`)
	waitJS(t, visitor, "the page hears of it", `document.getElementById('demo-events').textContent.includes('unread 1')`)
	screenshotView(t, visitor, "widget-unread")
	run(t, visitor, "open it from the page: Switchboard('open')", chromedp.Click(`#api-open`))
	waitFrame(t, visitor, "read", `d.querySelector('#sb-compose') !== null && d.querySelector('.badge') === null`)

	run(t, operator, "resolve with a type",
		chromedp.KeyEvent(kb.Escape),
		chromedp.KeyEvent("e"),
		chromedp.WaitVisible(`.menu.resolve`),
		chromedp.WaitReady(`.menu.resolve option[value="answered_question"]`), // the first type, picked
		chromedp.Click(`.menu.resolve button[type=submit]`),
		chromedp.WaitVisible(`#action-reopen`),
	)
	waitFrame(t, visitor, "the widget says it is resolved", `[...d.querySelectorAll('.event')].some(e => e.textContent === 'Resolved')`)
	conv := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID, nil).Body["conversation"].(map[string]any)
	require.Equal(t, "resolved", conv["status"])
	require.Equal(t, "answered_question", conv["resolution"])

	// No markup ran, in either app.
	require.Equal(t, "Switchboard", value(t, operator, "inbox title", chromedp.Title()))
	require.Zero(t, value(t, operator, "images in the inbox", chromedp.Evaluate[int](`document.querySelectorAll('main img, aside img, nav img').length`)))
	require.NotContains(t, value(t, visitor, "demo title", chromedp.Title()), "pwned")
	require.Zero(t, value(t, visitor, "images in the widget", chromedp.Evaluate[int](framed(`d.querySelectorAll('img').length`))))
}

// widgetFrame waits for the widget's frame to have loaded and returns the
// option that queries inside it (the demo is on Switchboard's origin, so
// the frame's document is reachable).
func widgetFrame(t *testing.T, ctx context.Context) chromedp.QueryOption {
	t.Helper()
	waitFrame(t, ctx, "the widget's frame", `d.readyState === 'complete' && d.querySelector('#root') !== null && d.querySelector('#root').childElementCount > 0`)
	nodes := value(t, ctx, "the iframe", chromedp.Nodes(`iframe`))
	return chromedp.FromNode(nodes[0])
}

// framed wraps a JavaScript expression over d, the frame's document.
func framed(expr string) string {
	return `(() => { const f = document.querySelector('iframe'); const d = f && f.contentDocument; if (!d) return null; return (` + expr + `); })()`
}

// waitFrame polls cond (JavaScript over d, the frame's document) until
// it holds.
func waitFrame(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	waitJS(t, ctx, what, framed(cond))
}

// waitJS polls the JavaScript expression cond until it holds.
func waitJS(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s (last error: %v); the widget shows:\n%s", what, err, frameText(t, ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func frameText(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](framed(`d.body.innerText`)))
	return s
}

// bodyCount: the widget shows text as exactly n messages.
func bodyCount(text string, n int) string {
	return fmt.Sprintf(`[...d.querySelectorAll('.msg .body')].filter(p => p.textContent === %s).length === %d`, jsString(text), n)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visitorMessages are the conversation's message bodies as stored.
func visitorMessages(t *testing.T, c *systest.Client, convID string) []string {
	t.Helper()
	r := c.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convID+"/messages?after_seq=0&limit=100", nil)
	var out []string
	for _, m := range r.Body["messages"].([]any) {
		out = append(out, m.(map[string]any)["body"].(string))
	}
	return out
}

// setOffline cuts the browser's network (requests fail, navigator.onLine
// is false and the pages hear "offline"), or gives it back.
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	run(t, ctx, fmt.Sprintf("offline=%v", offline), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rules := []*network.Conditions{}
		if offline {
			rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// TestWidgetOlderMessages: a long conversation opens on its latest page;
// scrolling to the top brings the earlier messages, each once.
func TestWidgetOlderMessages(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "allowed_origins": []string{env.System.URL},
	}).Body["inbox"].(map[string]any)["id"].(string)

	visitor := browser(t)
	run(t, visitor, "the visitor opens the demo site", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame := widgetFrame(t, visitor)
	run(t, visitor, "write the first message",
		chromedp.Click(`.launcher`, frame),
		chromedp.WaitVisible(`#sb-compose`, frame),
		chromedp.SendKeys(`#sb-compose`, "the very first message"+kb.Enter, frame),
	)
	waitFrame(t, visitor, "stored", `!d.querySelector('.pending') && d.querySelectorAll('.msg.visitor').length === 1`)
	var convID string
	require.Eventually(t, func() bool {
		list := admin.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"].([]any)
		if len(list) == 1 {
			convID = list[0].(map[string]any)["id"].(string)
		}
		return convID != ""
	}, 5*time.Second, 50*time.Millisecond)
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+convID+"/claim", nil)
	for i := 1; i <= 130; i++ {
		admin.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]string{"body": fmt.Sprintf("reply %d", i)})
	}

	run(t, visitor, "come back later", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame = widgetFrame(t, visitor)
	run(t, visitor, "open the chat", chromedp.Click(`.launcher`, frame), chromedp.WaitVisible(`#sb-compose`, frame))
	waitFrame(t, visitor, "the latest page", bodyCount("reply 130", 1)+` && d.querySelectorAll('.msg').length === 100`)
	require.NotContains(t, frameText(t, visitor), "the very first message")
	run(t, visitor, "scroll to the top", chromedp.Evaluate[chromedp.Void](framed(`d.querySelector('.timeline').scrollTop = 0`)))
	waitFrame(t, visitor, "the earlier messages came in", bodyCount("the very first message", 1)+` && `+bodyCount("reply 1", 1)+` && d.querySelectorAll('.msg').length === 131`)
}

// TestWidgetQueueSpot: a visitor waiting for a person reads their place
// in line, which moves as the queue does, with a wait estimate once the
// team's pace is known; once someone takes the conversation the line
// goes.
func TestWidgetQueueSpot(t *testing.T) {
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, access.RoleAdmin))
	dept := admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": "Support"}).Body["department"].(map[string]any)["id"].(string)
	inbox := admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "allowed_origins": []string{env.System.URL}, "department_ids": []string{dept}, "default_department_id": dept,
	}).Body["inbox"].(map[string]any)["id"].(string)
	r := admin.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": ws.ID.String(), "inbox_id": inbox})
	earlier := systest.NewClient(t, env.System.URL)
	earlier.Token = r.Body["token"].(string)
	first := earlier.StartConversation("I was here first")

	visitor := browser(t)
	run(t, visitor, "the visitor opens the demo site", chromedp.Navigate(env.System.URL+"/demo?inbox="+inbox))
	frame := widgetFrame(t, visitor)
	run(t, visitor, "write",
		chromedp.Click(`.launcher`, frame),
		chromedp.WaitVisible(`#sb-compose`, frame),
		chromedp.SendKeys(`#sb-compose`, "Is anyone there?"+kb.Enter, frame),
	)
	waitFrame(t, visitor, "second in line", `d.querySelector('.sub').textContent === 'You are number 2 in line.'`)

	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+first+"/claim", nil)
	waitFrame(t, visitor, "next, with an estimate", `d.querySelector('.sub').textContent === 'You are next in line, about an hour.'`)
	screenshotView(t, visitor, "widget-queue")

	var mine string
	for _, c := range admin.Must(http.StatusOK, "GET", "/api/v1/conversations?status=open", nil).Body["conversations"].([]any) {
		if id := c.(map[string]any)["id"].(string); id != first {
			mine = id
		}
	}
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+mine+"/claim", nil)
	waitFrame(t, visitor, "taken: no more line", `d.querySelector('.sub').textContent === 'We reply here as soon as we can.'`)
}

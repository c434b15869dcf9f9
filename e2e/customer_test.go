package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// TestInboxCustomerTab: the admin opens a known customer's conversation;
// the Customer tab shows who they are and their earlier conversation,
// which opens with a click; CS notes are written there and kept. The
// priority filter narrows the queue.
func TestInboxCustomerTab(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	secret, _ := hex.DecodeString(admin.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["identity_secret"].(string))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("cust-42"))
	v := env.Visitor(t, ws)
	v.Must(http.StatusOK, "POST", "/api/v1/widget/identify", map[string]string{
		"external_id": "cust-42", "user_hash": hex.EncodeToString(mac.Sum(nil)), "name": "Grace Hopper", "email": "grace@example.com",
	})
	admin.Must(http.StatusOK, "PUT", "/api/v1/contact-attributes", map[string]any{"attributes": []map[string]string{{"key": "plan", "name": "Plan", "type": "text"}}})
	earlier := v.StartConversation("The kettle I bought leaks.")
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+earlier+"/claim", nil)
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+earlier+"/resolve", map[string]string{"resolution": "action_taken"})
	now := v.StartConversation("The new kettle is great, but the lid is loose.")
	c := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+now, nil).Body["conversation"].(map[string]any)
	admin.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+c["contact_id"].(string), map[string]any{"attributes": map[string]any{"plan": "Enterprise"}})
	other := env.Visitor(t, ws).StartConversation("Do you ship to Norway?")
	admin.Must(http.StatusOK, "POST", "/api/v1/conversations/"+other+"/priority", map[string]string{"priority": "urgent"})

	ctx := browser(t)
	run(t, ctx, "log in, filter the queue to urgent",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.WaitVisible(`#conv-`+now),
		choose(`#priority-filter`, "urgent"),
		chromedp.WaitNotPresent(`#conv-`+now),
		chromedp.WaitVisible(`#conv-`+other),
		choose(`#priority-filter`, ""),
		chromedp.WaitVisible(`#conv-`+now),
	)
	run(t, ctx, "open the conversation: the context says how long it has waited",
		chromedp.Click(`#conv-`+now),
		chromedp.WaitVisible(`//dd[contains(@class,"waiting-now")]`),
		chromedp.WaitVisible(`#tab-customer`),
	)
	screenshot(t, ctx, "inbox-queued-context")
	run(t, ctx, "the Customer tab: the profile with its attributes",
		chromedp.Click(`#tab-customer`),
		chromedp.WaitVisible(`//div[@role="tabpanel"]//dd[text()="Grace Hopper"]`),
		chromedp.WaitVisible(`//div[@role="tabpanel"]//dt[text()="Plan"]/following-sibling::dd[1][text()="Enterprise"]`),
		chromedp.WaitVisible(`//button[contains(@class,"history-item")][contains(., "The kettle I bought leaks.")][contains(., "Action taken")]`),
	)
	run(t, ctx, "write CS notes",
		typeValue(`#cs-notes`, "Prefers email. Long-time customer."),
		chromedp.Click(`//form[contains(@class,"cs-notes")]//button`),
	)
	require.Eventually(t, func() bool {
		c := admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+now, nil).Body["conversation"].(map[string]any)
		ct := admin.Must(http.StatusOK, "GET", "/api/v1/contacts/"+c["contact_id"].(string), nil).Body["contact"].(map[string]any)
		return ct["cs_notes"] == "Prefers email. Long-time customer."
	}, 5*time.Second, 100*time.Millisecond)
	run(t, ctx, "comment on the customer",
		typeValue(`#contact-comment`, "Asked about a spare lid; call back Friday."),
		chromedp.Click(`//form[contains(@class,"comment-form")]//button`),
		chromedp.WaitVisible(`//li[contains(@class,"comment")]//p[text()="Asked about a spare lid; call back Friday."]`),
	)
	screenshot(t, ctx, "inbox-customer")
	run(t, ctx, "the earlier conversation opens from the history",
		chromedp.Click(`//button[contains(@class,"history-item")][contains(., "The kettle I bought leaks.")]`),
		chromedp.WaitVisible(`//li[contains(@class,"msg")]//p[text()="The kettle I bought leaks."]`),
	)
}

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

// TestInboxNotesMentionsTags: Ada writes a private note and mentions Grace
// from the @ suggestions; Grace's bell counts it live and its panel opens
// the conversation at the note; the visitor never gets it. Ada tags the
// conversation with a new tag, and the queue's tag filter finds by it.
func TestInboxNotesMentionsTags(t *testing.T) {
	ws := env.NewWorkspace(t)
	adaOp := env.NewNamedOperator(t, ws, access.RoleOperator, "Ada Lovelace")
	graceOp := env.NewNamedOperator(t, ws, access.RoleOperator, "Grace Hopper")
	ada := env.Login(t, adaOp)
	v := env.Visitor(t, ws)
	conv := v.StartConversation("My parcel never arrived.")
	other := env.Visitor(t, ws).StartConversation("Where is my invoice?")
	ada.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/claim", nil)

	grace := browser(t)
	run(t, grace, "Grace logs in: nothing unread",
		logIn(graceOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.WaitVisible(`#open-notifications`), chromedp.WaitNotPresent(`#unread-count`))

	ctx := browser(t)
	run(t, ctx, "Ada opens her conversation",
		logIn(adaOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`//button[@role="tab"][contains(., "My Active")]`),
		chromedp.WaitVisible(`#conv-`+conv), chromedp.Click(`#conv-`+conv), chromedp.WaitVisible(`#compose`))
	run(t, ctx, "she writes a private note and picks Grace from the suggestions",
		chromedp.Click(`#mode-note`), chromedp.WaitVisible(`#note-compose`),
		chromedp.SendKeys(`#note-compose`, "Courier says it is lost. @gra"),
		chromedp.WaitVisible(`//ul[contains(@class,"mentions")]//li[contains(., "Grace Hopper")]`),
	)
	screenshot(t, ctx, "inbox-mention")
	const body = "Courier says it is lost. @Grace Hopper can you refund it?"
	// Tab picks it (as Enter does; the DevTools protocol's Enter also
	// types a line break after its key-down, which a keyboard does not).
	run(t, ctx, "Tab picks the suggestion",
		chromedp.SendKeys(`#note-compose`, kb.Tab),
		chromedp.WaitNotPresent(`.mentions`),
	)
	require.True(t, value(t, ctx, "the name is in the note", chromedp.Poll[bool](`document.getElementById('note-compose').value === 'Courier says it is lost. @Grace Hopper '`)))
	run(t, ctx, "the next Enter adds the note",
		chromedp.SendKeys(`#note-compose`, "can you refund it?"+kb.Enter),
		chromedp.WaitVisible(`//li[contains(@class,"note")]//p[text()="`+body+`"]`),
	)
	run(t, ctx, "Ada tags the conversation with a new tag",
		typeValue(`#add-tag`, "Lost parcel"), chromedp.SendKeys(`#add-tag`, kb.Enter),
		chromedp.WaitVisible(`//dd[contains(@class,"tags-cell")]//span[contains(@class,"tag-chip")][contains(., "Lost parcel")]`),
		chromedp.WaitVisible(`//button[@id="conv-`+conv+`"]//span[contains(@class,"tag-chip")][contains(., "Lost parcel")]`),
	)
	screenshot(t, ctx, "inbox-note-and-tags")

	run(t, grace, "Grace's bell counts the mention live; her panel lists it",
		chromedp.WaitVisible(`//span[@id="unread-count"][text()="1"]`),
		chromedp.Click(`#open-notifications`),
		chromedp.WaitVisible(`//li[contains(@class,"notification")][contains(@class,"unread")][contains(., "Ada Lovelace mentioned you")][contains(., "can you refund it?")]`),
	)
	screenshot(t, grace, "inbox-notifications")
	run(t, grace, "the item opens the conversation at the note, and is read",
		chromedp.Click(`//li[contains(@class,"notification")]//button[contains(@class,"open")]`),
		chromedp.WaitVisible(`//li[contains(@class,"note")]//p[text()="`+body+`"]`),
		chromedp.WaitNotPresent(`#unread-count`),
	)

	// The tag filter: Grace's Unclaimed holds the other conversation, not
	// when filtered to the new tag.
	tags := ada.Must(http.StatusOK, "GET", "/api/v1/tags", nil).Body["tags"].([]any)
	require.Len(t, tags, 1)
	tagID := tags[0].(map[string]any)["id"].(string)
	run(t, grace, "filter the queue by tag",
		chromedp.WaitVisible(`#conv-`+other),
		chromedp.WaitVisible(`#tag-filter`),
		choose(`#tag-filter`, tagID),
		chromedp.WaitNotPresent(`#conv-`+other),
		choose(`#tag-filter`, ""),
		chromedp.WaitVisible(`#conv-`+other),
	)

	// The visitor's side never carried the note.
	require.Eventually(t, func() bool {
		r := v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil)
		return len(r.Body["messages"].([]any)) == 1
	}, 3*time.Second, 50*time.Millisecond)
	require.NotContains(t, string(v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil).Raw), "refund it")
}

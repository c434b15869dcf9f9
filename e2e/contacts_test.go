package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/systest"
)

// TestInboxContacts: an operator opens Contacts, finds a customer by a
// piece of their phone number, opens the profile with its attribute, and
// comments on it.
func TestInboxContacts(t *testing.T) {
	ws := env.NewWorkspace(t)
	adminOp := env.NewOperator(t, ws, access.RoleAdmin)
	admin := env.Login(t, adminOp)
	admin.Must(http.StatusOK, "PUT", "/api/v1/contact-attributes", map[string]any{"attributes": []map[string]string{{"key": "plan", "name": "Plan", "type": "text"}}})
	for _, c := range []map[string]any{
		{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0001", "attributes": map[string]any{"plan": "Enterprise"}},
		{"name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 555 0100"},
		{"name": "Alan Turing", "email": "alan@example.com"},
	} {
		admin.Must(http.StatusCreated, "POST", "/api/v1/contacts", c)
	}
	ctx := browser(t)
	run(t, ctx, "open Contacts: every customer",
		logIn(adminOp.Email, systest.Password), chromedp.WaitVisible(`.conn.live`),
		chromedp.Click(`#open-contacts`),
		chromedp.WaitVisible(`//table[contains(@class,"contacts-table")]//button[text()="Alan Turing"]`),
		chromedp.WaitVisible(`//table[contains(@class,"contacts-table")]//button[text()="Ada Lovelace"]`),
	)
	run(t, ctx, "search by a piece of the phone number",
		typeValue(`#contact-search`, "7946"),
		chromedp.WaitNotPresent(`//table[contains(@class,"contacts-table")]//button[text()="Alan Turing"]`),
		chromedp.Click(`//table[contains(@class,"contacts-table")]//button[text()="Ada Lovelace"]`),
		chromedp.WaitVisible(`//aside[contains(@class,"contact-profile")]//dt[text()="Plan"]/following-sibling::dd[1][text()="Enterprise"]`),
	)
	run(t, ctx, "comment on her",
		typeValue(`#contact-comment`, "Renewal call booked for January."),
		chromedp.Click(`//form[contains(@class,"comment-form")]//button`),
		chromedp.WaitVisible(`//li[contains(@class,"comment")]//p[text()="Renewal call booked for January."]`),
	)
	screenshot(t, ctx, "inbox-contacts")
}

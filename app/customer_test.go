package app_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

func historyOf(t *testing.T, c *systest.Client, conv string) []string {
	t.Helper()
	var ids []string
	for _, x := range c.Must(http.StatusOK, "GET", convPath(conv, "/history"), nil).Body["conversations"].([]any) {
		ids = append(ids, x.(map[string]any)["id"].(string))
	}
	return ids
}

// TestCustomerHistory: the Customer tab lists the customer's other
// conversations, newest first: a known contact's from every device, an
// anonymous visitor's own; never someone else's, and only those the
// viewer may see.
func TestCustomerHistory(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	laptop, phone := env.Visitor(t, b.ws), env.Visitor(t, b.ws)
	laptop.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	phone.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	first := laptop.StartConversation("my order is late")
	second := phone.StartConversation("and the invoice is wrong")
	third := laptop.StartConversation("thanks!")
	stranger := env.Visitor(t, b.ws)
	strangers := stranger.StartConversation("hello")
	otherOfStranger := stranger.StartConversation("hello again")

	require.Equal(t, []string{second, first}, historyOf(t, b.admin, third), "the contact's, newest first, not this one")
	require.Equal(t, []string{third, second}, historyOf(t, b.admin, first))
	require.Equal(t, []string{strangers}, historyOf(t, b.admin, otherOfStranger), "an anonymous visitor's own")

	// An operator of a department sees only what they may.
	o := &structure{t: t, ws: b.ws, admin: b.admin}
	support := o.department("Support")
	_, op, _ := o.member("operator", support)
	b.admin.Must(http.StatusOK, "POST", convPath(third, "/transfer"), map[string]any{"department_id": support})
	b.admin.Must(http.StatusOK, "POST", convPath(first, "/transfer"), map[string]any{"department_id": support})
	b.admin.Must(http.StatusOK, "POST", convPath(second, "/transfer"), map[string]any{"department_id": o.department("Billing")})
	require.Equal(t, []string{first}, historyOf(t, op, third), "Billing's conversation is out of their sight")

	// The priority filter narrows the list.
	b.admin.Must(http.StatusOK, "POST", convPath(strangers, "/priority"), map[string]string{"priority": "urgent"})
	var urgent []string
	for _, x := range b.admin.Must(http.StatusOK, "GET", "/api/v1/conversations?status=open&priority=urgent", nil).Body["conversations"].([]any) {
		urgent = append(urgent, x.(map[string]any)["id"].(string))
	}
	require.Equal(t, []string{strangers}, urgent)
	bad := b.admin.Must(http.StatusBadRequest, "GET", "/api/v1/conversations?priority=asap", nil)
	require.Equal(t, "priority", bad.ErrorField())
}

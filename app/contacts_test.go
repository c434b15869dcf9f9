package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func contactOf(r map[string]any) map[string]any { return r["contact"].(map[string]any) }

func contactNames(t *testing.T, r map[string]any) []string {
	t.Helper()
	var out []string
	for _, c := range r["contacts"].([]any) {
		out = append(out, c.(map[string]any)["name"].(string))
	}
	return out
}

// TestContacts: typed attributes defined per workspace; contacts made
// through the API; search by a piece of the name, email, phone or
// external id; filters by attribute and tag; keyset pages; CSV; bad input
// a 4xx naming the field.
func TestContacts(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	op := env.Login(t, env.NewOperator(t, ws, "operator"))
	op.Must(http.StatusForbidden, "PUT", "/api/v1/contact-attributes", map[string]any{"attributes": []any{}})
	defs := []map[string]string{
		{"key": "plan", "name": "Plan", "type": "text"}, {"key": "seats", "name": "Seats", "type": "number"},
		{"key": "renews", "name": "Renews on", "type": "date"}, {"key": "vip", "name": "VIP", "type": "boolean"},
	}
	require.Len(t, admin.Must(http.StatusOK, "PUT", "/api/v1/contact-attributes", map[string]any{"attributes": defs}).Body["attributes"], 4)
	require.Equal(t, "attributes[0].type", admin.Must(http.StatusBadRequest, "PUT", "/api/v1/contact-attributes",
		map[string]any{"attributes": []map[string]string{{"key": "x", "name": "X", "type": "colour"}}}).ErrorField())

	ada := contactOf(op.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{
		"external_id": "cust-1", "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0001",
		"attributes": map[string]any{"plan": "enterprise", "seats": 20, "renews": "2027-01-31", "vip": true},
	}).Body)
	require.EqualValues(t, 20, ada["attributes"].(map[string]any)["seats"])
	op.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{"name": "Grace Hopper", "email": "grace@navy.example", "attributes": map[string]any{"plan": "team"}})
	op.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{"name": "=HYPERLINK(\"http://evil.example\")"})

	for q, want := range map[string][]string{
		"love": {"Ada Lovelace"}, "CUST-1": {"Ada Lovelace"}, "7946": {"Ada Lovelace"}, "navy": {"Grace Hopper"}, "nobody": nil, "100%": nil,
	} {
		require.Equal(t, want, contactNames(t, op.Must(http.StatusOK, "GET", "/api/v1/contacts?q="+urlQuery(q), nil).Body), q)
	}
	require.Equal(t, []string{"Ada Lovelace"}, contactNames(t, op.Must(http.StatusOK, "GET", "/api/v1/contacts?attr.plan=enterprise", nil).Body))
	require.Equal(t, []string{"Ada Lovelace"}, contactNames(t, op.Must(http.StatusOK, "GET", "/api/v1/contacts?attr.seats=20&attr.vip=true", nil).Body))
	require.Equal(t, "attr.seats", op.Must(http.StatusBadRequest, "GET", "/api/v1/contacts?attr.seats=many", nil).ErrorField())
	require.Equal(t, "attr.colour", op.Must(http.StatusBadRequest, "GET", "/api/v1/contacts?attr.colour=red", nil).ErrorField())

	// Pages of one, newest first, every contact once.
	var seen []string
	cursor := ""
	for range 5 {
		r := op.Must(http.StatusOK, "GET", "/api/v1/contacts?limit=1"+cursor, nil).Body
		seen = append(seen, contactNames(t, r)...)
		next, _ := r["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	require.Equal(t, []string{"=HYPERLINK(\"http://evil.example\")", "Grace Hopper", "Ada Lovelace"}, seen)

	// Bad input: the field, and nothing made.
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"name": "x", "attributes": map[string]any{"seats": "many"}}, http.StatusBadRequest, "attributes.seats"},
		{map[string]any{"name": "x", "attributes": map[string]any{"renews": "31/01/2027"}}, http.StatusBadRequest, "attributes.renews"},
		{map[string]any{"name": "x", "attributes": map[string]any{"colour": "red"}}, http.StatusUnprocessableEntity, "attributes.colour"},
		{map[string]any{"name": "x", "email": "not an email"}, http.StatusBadRequest, "email"},
		{map[string]any{"name": "x", "avatar_url": "javascript:alert(1)"}, http.StatusBadRequest, "avatar_url"},
		{map[string]any{"name": "x", "phone": "call me"}, http.StatusBadRequest, "phone"},
		{map[string]any{"name": "x", "external_id": "cust-1"}, http.StatusConflict, "external_id"},
	} {
		got := op.Do("POST", "/api/v1/contacts", c.body)
		require.Equal(t, c.status, got.Status, "%v: %s", c.body, got.Raw)
		require.Equal(t, c.field, got.ErrorField())
	}
	require.Len(t, op.Must(http.StatusOK, "GET", "/api/v1/contacts", nil).Body["contacts"], 3)

	// Edit attributes (supervisors and admins): set one, remove one.
	adaPath := "/api/v1/contacts/" + ada["id"].(string)
	op.Must(http.StatusForbidden, "PATCH", adaPath, map[string]any{"attributes": map[string]any{"seats": 25}})
	got := contactOf(admin.Must(http.StatusOK, "PATCH", adaPath, map[string]any{"attributes": map[string]any{"seats": 25, "vip": nil}}).Body)
	require.Equal(t, map[string]any{"plan": "enterprise", "seats": float64(25), "renews": "2027-01-31"}, got["attributes"])

	// CSV: a header with the attributes, a row each, no formula runs.
	resp := op.Must(http.StatusOK, "GET", "/api/v1/contacts?format=csv", nil)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/csv")
	rows, err := csv.NewReader(strings.NewReader(string(resp.Raw))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"id", "external_id", "name", "email", "phone", "created_at", "last_seen_at", "tags", "plan", "seats", "renews", "vip"}, rows[0])
	require.Len(t, rows, 4)
	require.Equal(t, `'=HYPERLINK("http://evil.example")`, rows[1][2])
	require.Equal(t, []string{"cust-1", "Ada Lovelace", "enterprise", "25", "2027-01-31", ""},
		[]string{rows[3][1], rows[3][2], rows[3][8], rows[3][9], rows[3][10], rows[3][11]})
}

// TestContactMergeAndErase: a visitor who verified as another contact is
// merged into the first: their conversation and device move, the profile
// fills in, the other contact is gone. Erasing the merged contact removes
// their words and identity and keeps the conversations anonymous.
func TestContactMergeAndErase(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	sup := env.Login(t, env.NewOperator(t, ws, "supervisor"))
	keep := contactOf(admin.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{"name": "Ada Lovelace"}).Body)
	keepPath := "/api/v1/contacts/" + keep["id"].(string)

	secret, _ := hex.DecodeString(admin.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["identity_secret"].(string))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("ada-web"))
	v := env.Visitor(t, ws)
	id := v.Must(http.StatusOK, "POST", "/api/v1/widget/identify", map[string]string{
		"external_id": "ada-web", "user_hash": hex.EncodeToString(mac.Sum(nil)), "email": "ada@example.com",
	})
	other := contactOf(id.Body)["id"].(string)
	conv := v.StartConversation("my card number is 4242 4242 4242 4242")
	admin.Must(http.StatusCreated, "POST", "/api/v1/contacts/"+other+"/comments", map[string]any{"body": "prefers phone calls"})
	admin.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/notes", map[string]any{"body": "she called about 4242"})

	env.Login(t, env.NewOperator(t, ws, "operator")).Must(http.StatusForbidden, "POST", keepPath+"/merge", map[string]any{"from_id": other})
	require.Equal(t, "from_id", sup.Must(http.StatusUnprocessableEntity, "POST", keepPath+"/merge", map[string]any{"from_id": keep["id"]}).ErrorField())
	m := sup.Must(http.StatusOK, "POST", keepPath+"/merge", map[string]any{"from_id": other}).Body
	merged := contactOf(m)
	require.Equal(t, "Ada Lovelace", merged["name"])
	require.Equal(t, "ada@example.com", merged["email"], "what it lacked comes from the other")
	require.Equal(t, "ada-web", merged["external_id"])
	sup.Must(http.StatusNotFound, "GET", "/api/v1/contacts/"+other, nil)
	require.Equal(t, keep["id"], convBody(sup.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil))["contact_id"])
	// The device is the merged contact's now: it still reads its conversation.
	v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv, nil)
	require.Contains(t, string(admin.Must(http.StatusOK, "GET", "/api/v1/audit-log", nil).Raw), "contact.merged")
	require.Contains(t, string(sup.Must(http.StatusOK, "GET", keepPath+"/comments", nil).Raw), "prefers phone calls", "the comments came along")

	// Erase (admins only).
	sup.Must(http.StatusForbidden, "DELETE", keepPath, nil)
	e := admin.Must(http.StatusOK, "DELETE", keepPath, nil).Body["erased"].(map[string]any)
	require.EqualValues(t, 1, e["conversations"])
	admin.Must(http.StatusNotFound, "GET", keepPath, nil)
	c := convBody(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil))
	require.Nil(t, c["contact_id"])
	require.Equal(t, "", c["last_message_preview"])
	require.EqualValues(t, 1, c["message_count"], "the counts stay")
	raw := string(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/messages", nil).Raw)
	require.NotContains(t, raw, "4242")
	require.Empty(t, admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/notes", nil).Body["notes"])
	log := string(admin.Must(http.StatusOK, "GET", "/api/v1/audit-log", nil).Raw)
	require.Contains(t, log, "contact.erased")
	require.NotContains(t, log, "Lovelace")
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", "+", "%2B", " ", "%20").Replace(s)
}

// TestContactComments: operators comment on a contact; a mention puts an
// item linked to the contact in the colleague's inbox, live; the author
// (or an admin) edits and deletes.
func TestContactComments(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	author := env.Login(t, namedOperator(t, ws, "operator", "Ada Lovelace"))
	grace := env.Login(t, namedOperator(t, ws, "operator", "Grace Hopper"))
	ct := contactOf(author.Must(http.StatusCreated, "POST", "/api/v1/contacts", map[string]any{"name": "Alan Turing"}).Body)
	path := "/api/v1/contacts/" + ct["id"].(string) + "/comments"
	sock := grace.Dial()

	c := author.Must(http.StatusCreated, "POST", path, map[string]any{"body": "@grace he asked for you by name"}).Body["comment"].(map[string]any)
	item := inboxOf(t, sock.WaitFor(3*time.Second, "notification.created", frameType("notification.created")))
	require.Equal(t, "mention", item.Notification.Kind)
	require.Equal(t, 1, item.Unread)
	require.Contains(t, item.Notification.Preview, "asked for you")
	items := grace.Must(http.StatusOK, "GET", "/api/v1/notifications", nil).Body["notifications"].([]any)
	require.Equal(t, ct["id"], items[0].(map[string]any)["contact_id"])

	require.Len(t, grace.Must(http.StatusOK, "GET", path, nil).Body["comments"], 1)
	one := path + "/" + c["id"].(string)
	grace.Must(http.StatusForbidden, "PATCH", one, map[string]any{"body": "mine now"})
	require.Equal(t, "body", author.Must(http.StatusBadRequest, "PATCH", one, map[string]any{"body": " "}).ErrorField())
	edited := author.Must(http.StatusOK, "PATCH", one, map[string]any{"body": "he asked for Grace"}).Body["comment"].(map[string]any)
	require.NotNil(t, edited["edited_at"])
	grace.Must(http.StatusForbidden, "DELETE", one, nil)
	author.Must(http.StatusNoContent, "DELETE", one, nil)
	require.Empty(t, grace.Must(http.StatusOK, "GET", path, nil).Body["comments"])
	author.Must(http.StatusNotFound, "GET", "/api/v1/contacts/"+uuid.NewString()+"/comments", nil)
}

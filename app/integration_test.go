package app_test

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// auditActions returns the workspace's audit entries by action, as an
// admin reads them.
func auditActions(t *testing.T, admin *systest.Client) map[string][]map[string]any {
	t.Helper()
	r := admin.Must(http.StatusOK, "GET", "/api/v1/audit-log?limit=200", nil)
	out := map[string][]map[string]any{}
	for _, e := range r.Body["entries"].([]any) {
		m := e.(map[string]any)
		out[m["action"].(string)] = append(out[m["action"].(string)], m)
	}
	return out
}

// tokenClient authenticates with an API token alone: no cookie, no CSRF.
func tokenClient(t *testing.T, token string) *systest.Client {
	c := systest.NewClient(t, env.System.URL)
	c.APIToken = token
	return c
}

func createToken(t *testing.T, c *systest.Client, name, role string) (token string, entry map[string]any) {
	t.Helper()
	r := c.Must(http.StatusCreated, "POST", "/api/v1/api-tokens", map[string]string{"name": name, "role": role})
	return r.Body["token"].(string), r.Body["api_token"].(map[string]any)
}

func TestAPITokenShownOnceUsableRevocable(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))

	token, entry := createToken(t, admin, "CI export", "operator")
	require.True(t, strings.HasPrefix(token, "sbt_"), token)
	require.Equal(t, token[:10], entry["prefix"])
	require.Equal(t, "operator", entry["role"])
	require.Nil(t, entry["last_used_at"])
	require.Nil(t, entry["revoked_at"])

	list := admin.Must(http.StatusOK, "GET", "/api/v1/api-tokens", nil)
	require.NotContains(t, string(list.Raw), token, "the token is shown only at creation")
	require.NotContains(t, string(list.Raw), token[10:])
	require.Len(t, list.Body["api_tokens"], 1)

	// The token alone works, without cookie or CSRF header.
	tc := tokenClient(t, token)
	tc.Must(http.StatusOK, "GET", "/api/v1/conversations", nil)
	me := tc.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	require.Equal(t, "operator", me.Body["role"], "the token acts with its own role")

	list = admin.Must(http.StatusOK, "GET", "/api/v1/api-tokens", nil)
	require.NotNil(t, list.Body["api_tokens"].([]any)[0].(map[string]any)["last_used_at"], "use is recorded")

	// An operator-role token cannot manage tokens.
	require.Equal(t, http.StatusForbidden, tc.Do("POST", "/api/v1/api-tokens", map[string]string{"name": "x", "role": "operator"}).Status)

	admin.Must(http.StatusNoContent, "DELETE", "/api/v1/api-tokens/"+entry["id"].(string), nil)
	r := tc.Do("GET", "/api/v1/conversations", nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, "revocation is immediate")
	require.Equal(t, "invalid_token", r.ErrorCode())
	list = admin.Must(http.StatusOK, "GET", "/api/v1/api-tokens", nil)
	require.NotNil(t, list.Body["api_tokens"].([]any)[0].(map[string]any)["revoked_at"])

	// Revoking again changes nothing; unknown and foreign ids are 404s.
	admin.Must(http.StatusNoContent, "DELETE", "/api/v1/api-tokens/"+entry["id"].(string), nil)
	admin.Must(http.StatusNotFound, "DELETE", "/api/v1/api-tokens/"+uuid.NewString(), nil)
	other := env.Login(t, env.NewOperator(t, env.NewWorkspace(t), "admin"))
	_, live := createToken(t, admin, "still live", "supervisor")
	other.Must(http.StatusNotFound, "DELETE", "/api/v1/api-tokens/"+live["id"].(string), nil)
	require.Empty(t, other.Must(http.StatusOK, "GET", "/api/v1/api-tokens", nil).Body["api_tokens"])

	audit := auditActions(t, admin)
	require.Len(t, audit["api_token.created"], 2)
	require.Len(t, audit["api_token.revoked"], 1, "a second revoke records nothing")
	require.Equal(t, entry["id"], audit["api_token.revoked"][0]["target_id"])
	require.NotContains(t, string(admin.Must(http.StatusOK, "GET", "/api/v1/audit-log", nil).Raw), token[10:])
}

func TestAPITokenRoles(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	for _, role := range []string{"operator", "supervisor"} {
		c := env.Login(t, env.NewOperator(t, ws, role))
		require.Equal(t, http.StatusForbidden, c.Do("POST", "/api/v1/api-tokens", map[string]string{"name": "x", "role": "operator"}).Status, role)
		require.Equal(t, http.StatusForbidden, c.Do("GET", "/api/v1/api-tokens", nil).Status, role)
	}

	r := admin.Do("POST", "/api/v1/api-tokens", map[string]string{"name": "x", "role": "owner"})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "role", r.ErrorField())
	r = admin.Do("POST", "/api/v1/api-tokens", map[string]string{"name": " ", "role": "admin"})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "name", r.ErrorField())

	// A supervisor token cannot mint an admin token (nor any token).
	sup, _ := createToken(t, admin, "sup", "supervisor")
	require.Equal(t, http.StatusForbidden, tokenClient(t, sup).Do("POST", "/api/v1/api-tokens", map[string]string{"name": "up", "role": "admin"}).Status)

	// An admin token manages tokens, with no CSRF header: it is not a cookie.
	adm, _ := createToken(t, admin, "adm", "admin")
	ac := tokenClient(t, adm)
	_, made := createToken(t, ac, "made by a token", "operator")
	require.Equal(t, "made by a token", made["name"])
	audit := auditActions(t, admin)
	var byToken bool
	for _, e := range audit["api_token.created"] {
		byToken = byToken || (e["actor_type"] == "api_token" && e["target_id"] == made["id"])
	}
	require.True(t, byToken, "the audit entry names the token as the actor")
}

// limitedServer is a second API server on the shared system with limits of
// the test's choosing (the shared one runs without limits: every test
// client comes from 127.0.0.1).
func limitedServer(t *testing.T, limits api.Limits, trustedProxies ...string) string {
	t.Helper()
	srv := &api.Server{
		Store: env.System.Store, Bus: env.System.Bus, Hub: env.System.Hub, Temporal: env.System.Temporal,
		Metrics: env.System.Metrics, Logger: systest.Logger(), Limits: &limits, TrustedProxies: trustedProxies,
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

type rateAttempt struct {
	status     int
	retryAfter string
}

// loginFrom posts a login as if from the client address from (sent in
// X-Forwarded-For; "" sends none).
func loginFrom(t *testing.T, base, from, email, password string) rateAttempt {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + password + `"}`
	req, err := http.NewRequest("POST", base+"/api/v1/auth/login", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return rateAttempt{resp.StatusCode, resp.Header.Get("Retry-After")}
}

func requireRateLimited(t *testing.T, a rateAttempt, maxWait int) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, a.status)
	secs, err := strconv.Atoi(a.retryAfter)
	require.NoError(t, err, "Retry-After %q", a.retryAfter)
	require.True(t, secs >= 1 && secs <= maxWait, "Retry-After %d", secs)
}

func TestLoginLimitedPerEmail(t *testing.T) {
	t.Parallel()
	base := limitedServer(t, api.Limits{LoginPerEmail: api.Limit{PerMinute: 1, Burst: 3}})
	ws := env.NewWorkspace(t)
	victim, other := env.NewOperator(t, ws, "admin"), env.NewOperator(t, ws, "operator")

	for range 3 {
		require.Equal(t, http.StatusUnauthorized, loginFrom(t, base, "", victim.Email, "guess").status)
	}
	// Counted whatever the outcome: now even the right password waits.
	requireRateLimited(t, loginFrom(t, base, "", strings.ToUpper(victim.Email), systest.Password), 60)
	// Another account from the same address is not locked out.
	require.Equal(t, http.StatusOK, loginFrom(t, base, "", other.Email, systest.Password).status)
}

func TestLoginLimitedPerAddress(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	a, b := env.NewOperator(t, ws, "operator"), env.NewOperator(t, ws, "operator")
	limits := api.Limits{LoginPerIP: api.Limit{PerMinute: 1, Burst: 2}, LoginPerEmail: api.Limit{PerMinute: 1, Burst: 2}}

	// Behind a trusted proxy, X-Forwarded-For names the client.
	base := limitedServer(t, limits, "127.0.0.1")
	require.Equal(t, http.StatusUnauthorized, loginFrom(t, base, "192.0.2.1", a.Email, "guess").status)
	require.Equal(t, http.StatusUnauthorized, loginFrom(t, base, "192.0.2.1", a.Email, "guess").status)
	requireRateLimited(t, loginFrom(t, base, "192.0.2.1", b.Email, systest.Password), 60)
	// From elsewhere, a's account is still limited (per email) but b's is
	// not: the address limit held b back only at 192.0.2.1.
	requireRateLimited(t, loginFrom(t, base, "192.0.2.2", a.Email, systest.Password), 60)
	require.Equal(t, http.StatusOK, loginFrom(t, base, "192.0.2.2", b.Email, systest.Password).status)
	// Malformed attempts count too.
	require.Equal(t, http.StatusBadRequest, loginFrom(t, base, "192.0.2.3", "", "").status)
	require.Equal(t, http.StatusBadRequest, loginFrom(t, base, "192.0.2.3", "", "").status)
	requireRateLimited(t, loginFrom(t, base, "192.0.2.3", b.Email, systest.Password), 60)

	// Without trusted proxies the header is ignored: a client cannot pick
	// the address it is counted under.
	base = limitedServer(t, api.Limits{LoginPerIP: api.Limit{PerMinute: 1, Burst: 2}})
	loginFrom(t, base, "198.51.100.1", a.Email, "guess")
	loginFrom(t, base, "198.51.100.2", a.Email, "guess")
	requireRateLimited(t, loginFrom(t, base, "198.51.100.3", b.Email, systest.Password), 60)
}

func TestWidgetLimits(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	base := limitedServer(t, api.Limits{
		WidgetSessionPerIP:   api.Limit{PerMinute: 1, Burst: 2},
		WidgetSendPerVisitor: api.Limit{PerMinute: 6, Burst: 2},
	})
	v1 := systest.NewVisitor(t, base, ws.ID.String())
	v2 := systest.NewVisitor(t, base, ws.ID.String())
	r := systest.NewClient(t, base).Do("POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": ws.ID.String()})
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "rate_limited", r.ErrorCode())
	requireRateLimited(t, rateAttempt{r.Status, r.Header.Get("Retry-After")}, 60)

	conv := v1.StartConversation("one")
	v1.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": "two"})
	r = v1.Do("POST", "/api/v1/widget/conversations/"+conv+"/messages", map[string]string{"body": "three"})
	requireRateLimited(t, rateAttempt{r.Status, r.Header.Get("Retry-After")}, 10)
	// Reading is not limited, and another visitor has its own bucket.
	v1.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+conv+"/messages", nil)
	v2.StartConversation("mine")
}

// signedIdentity is what a site's server computes for a contact.
func signedIdentity(secret []byte, externalID string) map[string]string {
	return map[string]string{"external_id": externalID, "user_hash": auth.IdentityHash(secret, externalID)}
}

type identityBundle struct {
	ws     store.Workspace
	admin  *systest.Client
	secret []byte
}

func identitySetup(t *testing.T, requireIdentity bool) identityBundle {
	t.Helper()
	ws := env.NewWorkspace(t)
	admin := env.Login(t, env.NewOperator(t, ws, "admin"))
	if requireIdentity {
		admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]bool{"require_identity": true})
	}
	r := admin.Must(http.StatusOK, "GET", "/api/v1/workspace", nil)
	secret, err := hex.DecodeString(r.Body["workspace"].(map[string]any)["identity_secret"].(string))
	require.NoError(t, err)
	require.Len(t, secret, 32)
	return identityBundle{ws: ws, admin: admin, secret: secret}
}

func widgetConversationIDs(t *testing.T, v *systest.Client) []string {
	t.Helper()
	var ids []string
	for _, c := range v.Must(http.StatusOK, "GET", "/api/v1/widget/conversations", nil).Body["conversations"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	return ids
}

func conversationContact(t *testing.T, admin *systest.Client, id string) any {
	t.Helper()
	return convBody(admin.Must(http.StatusOK, "GET", "/api/v1/conversations/"+id, nil))["contact_id"]
}

func TestWidgetVerifiedIdentitySharesHistoryAcrossDevices(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	laptop, phone, stranger := env.Visitor(t, b.ws), env.Visitor(t, b.ws), env.Visitor(t, b.ws)

	id := signedIdentity(b.secret, "cust-1")
	id["name"], id["email"] = "Ada", "ada@example.com"
	r := laptop.Must(http.StatusOK, "POST", "/api/v1/widget/identify", id)
	require.Equal(t, true, r.Body["verified"])
	contact := r.Body["contact"].(map[string]any)
	require.Equal(t, "cust-1", contact["external_id"])
	require.Equal(t, "Ada", contact["name"])
	onLaptop := laptop.StartConversation("from my laptop")
	require.Equal(t, contact["id"], conversationContact(t, b.admin, onLaptop))

	r = phone.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	require.Equal(t, contact["id"], r.Body["contact"].(map[string]any)["id"], "the same contact")
	require.Equal(t, "Ada", r.Body["contact"].(map[string]any)["name"], "an empty name keeps the stored one")
	onPhone := phone.StartConversation("from my phone")

	require.ElementsMatch(t, []string{onLaptop, onPhone}, widgetConversationIDs(t, phone))
	msgs := phone.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+onLaptop+"/messages", nil)
	require.Equal(t, "from my laptop", msgs.Body["messages"].([]any)[0].(map[string]any)["body"])
	phone.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+onLaptop, nil)
	// A contact's conversation is the same on every device: the phone
	// writes to the one started on the laptop.
	phone.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+onLaptop+"/messages", map[string]string{"body": "hi"})

	require.Equal(t, []string{stranger.StartConversation("me")}, widgetConversationIDs(t, stranger))
	stranger.Must(http.StatusNotFound, "GET", "/api/v1/widget/conversations/"+onLaptop+"/messages", nil)

	got := b.admin.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contact["id"].(string), nil).Body["contact"].(map[string]any)
	require.Equal(t, "ada@example.com", got["email"])

	r = laptop.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": ""})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "external_id", r.ErrorField())
	r = laptop.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": strings.Repeat("x", 201)})
	require.Equal(t, "external_id", r.ErrorField())
}

func TestWidgetRequiredIdentityRefusesBadHash(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, true)
	owner, impostor := env.Visitor(t, b.ws), env.Visitor(t, b.ws)
	owner.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	history := owner.StartConversation("my order is late")

	for _, body := range []map[string]string{
		{"external_id": "cust-1"},
		{"external_id": "cust-1", "user_hash": strings.Repeat("0", 64)},
		{"external_id": "cust-1", "user_hash": auth.IdentityHash(b.secret, "cust-2")},
		{"external_id": "cust-1", "user_hash": "not hex"},
	} {
		r := impostor.Do("POST", "/api/v1/widget/identify", body)
		require.Equal(t, http.StatusForbidden, r.Status, body)
		require.Equal(t, "identity_invalid", r.ErrorCode())
	}
	// Refused, the impostor stays unverified: it reads and writes nothing.
	r := impostor.Do("GET", "/api/v1/widget/conversations/"+history+"/messages", nil)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, "identity_required", r.ErrorCode())
	r = impostor.Do("POST", "/api/v1/widget/conversations", map[string]string{"message": "hello"})
	require.Equal(t, "identity_required", r.ErrorCode())

	// A verified visitor that then fails stays as it was.
	require.Equal(t, http.StatusForbidden, owner.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": "cust-2"}).Status)
	second := env.Visitor(t, b.ws)
	second.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	require.Equal(t, http.StatusForbidden, second.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": "cust-1"}).Status)
	second.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+history+"/messages", nil)
}

func TestWidgetUnverifiedIdentityIsOnlyAClaim(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	owner := env.Visitor(t, b.ws)
	id := signedIdentity(b.secret, "cust-1")
	id["name"] = "Ada"
	contactID := owner.Must(http.StatusOK, "POST", "/api/v1/widget/identify", id).Body["contact"].(map[string]any)["id"].(string)
	history := owner.StartConversation("private matter")

	claimer := env.Visitor(t, b.ws)
	r := claimer.Must(http.StatusOK, "POST", "/api/v1/widget/identify",
		map[string]string{"external_id": "cust-1", "user_hash": strings.Repeat("ab", 32), "name": "Mallory", "email": "m@example.com"})
	require.Equal(t, false, r.Body["verified"])
	require.Nil(t, r.Body["contact"])
	claimer.Must(http.StatusNotFound, "GET", "/api/v1/widget/conversations/"+history+"/messages", nil)
	claimer.Must(http.StatusNotFound, "GET", "/api/v1/widget/conversations/"+history, nil)
	own := claimer.StartConversation("hi")
	require.Equal(t, []string{own}, widgetConversationIDs(t, claimer))
	require.Nil(t, conversationContact(t, b.admin, own))
	got := b.admin.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID, nil).Body["contact"].(map[string]any)
	require.Equal(t, "Ada", got["name"], "a claim does not touch the contact")

	// An unverified identify replaces a verified one on the same browser:
	// the next person on a shared computer does not inherit the history.
	shared := env.Visitor(t, b.ws)
	shared.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(b.secret, "cust-1"))
	shared.Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+history+"/messages", nil)
	shared.Must(http.StatusOK, "POST", "/api/v1/widget/identify", map[string]string{"external_id": "someone-else"})
	shared.Must(http.StatusNotFound, "GET", "/api/v1/widget/conversations/"+history+"/messages", nil)
}

func TestWorkspaceSettings(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	oldHex := hex.EncodeToString(b.secret)
	operator := env.Login(t, env.NewOperator(t, b.ws, "operator"))
	supervisor := env.Login(t, env.NewOperator(t, b.ws, "supervisor"))

	r := operator.Must(http.StatusOK, "GET", "/api/v1/workspace", nil)
	w := r.Body["workspace"].(map[string]any)
	require.Equal(t, b.ws.ID.String(), w["id"])
	require.Equal(t, false, w["require_identity"])
	require.NotContains(t, w, "identity_secret")
	for _, c := range []*systest.Client{operator, supervisor} {
		require.Equal(t, http.StatusForbidden, c.Do("PATCH", "/api/v1/workspace", map[string]string{"name": "mine"}).Status)
		require.Equal(t, http.StatusForbidden, c.Do("POST", "/api/v1/workspace/identity-secret/rotate", nil).Status)
	}

	r = b.admin.Do("PATCH", "/api/v1/workspace", map[string]string{"name": "  "})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "name", r.ErrorField())
	r = b.admin.Do("PATCH", "/api/v1/workspace", map[string]any{"require_identity": "yes"})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "require_identity", r.ErrorField())

	r = b.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]any{"name": "Acme support", "require_identity": true})
	require.Equal(t, "Acme support", r.Body["workspace"].(map[string]any)["name"])
	require.Equal(t, true, r.Body["workspace"].(map[string]any)["require_identity"])
	b.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]any{"require_identity": false})

	v := env.Visitor(t, b.ws)
	old := signedIdentity(b.secret, "cust-9")
	r = b.admin.Must(http.StatusOK, "POST", "/api/v1/workspace/identity-secret/rotate", nil)
	newHex := r.Body["workspace"].(map[string]any)["identity_secret"].(string)
	require.Len(t, newHex, 64)
	require.NotEqual(t, oldHex, newHex)
	require.Equal(t, false, v.Must(http.StatusOK, "POST", "/api/v1/widget/identify", old).Body["verified"], "the old secret no longer verifies")
	secret, _ := hex.DecodeString(newHex)
	require.Equal(t, true, v.Must(http.StatusOK, "POST", "/api/v1/widget/identify", signedIdentity(secret, "cust-9")).Body["verified"])

	audit := auditActions(t, b.admin)
	require.Len(t, audit["workspace.renamed"], 1)
	require.Equal(t, "Acme support", audit["workspace.renamed"][0]["data"].(map[string]any)["to"])
	require.Len(t, audit["workspace.require_identity_changed"], 2)
	require.Len(t, audit["workspace.identity_secret_rotated"], 1)
	raw := string(b.admin.Must(http.StatusOK, "GET", "/api/v1/audit-log?limit=200", nil).Raw)
	require.NotContains(t, raw, oldHex)
	require.NotContains(t, raw, newHex)
}

func TestContactCSNotesAdminOnly(t *testing.T) {
	t.Parallel()
	b := identitySetup(t, false)
	v := env.Visitor(t, b.ws)
	id := signedIdentity(b.secret, "cust-1")
	id["name"] = "Ada"
	contactID := v.Must(http.StatusOK, "POST", "/api/v1/widget/identify", id).Body["contact"].(map[string]any)["id"].(string)
	path := "/api/v1/contacts/" + contactID
	operator := env.Login(t, env.NewOperator(t, b.ws, "operator"))
	supervisor := env.Login(t, env.NewOperator(t, b.ws, "supervisor"))

	require.Equal(t, "", b.admin.Must(http.StatusOK, "GET", path, nil).Body["contact"].(map[string]any)["cs_notes"])
	r := b.admin.Must(http.StatusOK, "PATCH", path, map[string]string{"cs_notes": "VIP; prefers email"})
	require.Equal(t, "VIP; prefers email", r.Body["contact"].(map[string]any)["cs_notes"])
	for _, c := range []*systest.Client{operator, supervisor} {
		r := c.Must(http.StatusOK, "GET", path, nil)
		require.NotContains(t, r.Body["contact"], "cs_notes")
		require.NotContains(t, string(r.Raw), "VIP")
		r = c.Do("PATCH", path, map[string]string{"cs_notes": "overwritten"})
		require.Equal(t, http.StatusForbidden, r.Status)
	}
	require.Equal(t, http.StatusForbidden, operator.Do("PATCH", path, map[string]string{"name": "x"}).Status)
	r = supervisor.Must(http.StatusOK, "PATCH", path, map[string]string{"name": "Ada Lovelace"})
	require.Equal(t, "Ada Lovelace", r.Body["contact"].(map[string]any)["name"])
	require.NotContains(t, r.Body["contact"], "cs_notes")
	r = supervisor.Do("PATCH", path, map[string]string{"email": "not an address"})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "email", r.ErrorField())
	require.Equal(t, "VIP; prefers email", b.admin.Must(http.StatusOK, "GET", path, nil).Body["contact"].(map[string]any)["cs_notes"])

	other := env.Login(t, env.NewOperator(t, env.NewWorkspace(t), "admin"))
	other.Must(http.StatusNotFound, "GET", path, nil)
	other.Must(http.StatusNotFound, "PATCH", path, map[string]string{"name": "x"})
	b.admin.Must(http.StatusNotFound, "GET", "/api/v1/contacts/"+uuid.NewString(), nil)
	b.admin.Must(http.StatusNotFound, "GET", "/api/v1/contacts/not-a-uuid", nil)

	audit := auditActions(t, b.admin)
	require.Len(t, audit["contact.cs_notes_changed"], 1)
	require.Equal(t, contactID, audit["contact.cs_notes_changed"][0]["target_id"])
	require.NotContains(t, string(b.admin.Must(http.StatusOK, "GET", "/api/v1/audit-log?limit=200", nil).Raw), "VIP")
}

func FuzzLogin(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@b.c","password":"x"}`,
		`{"email":"","password":""}`,
		`{"email":1}`,
		`{"email":"a@b.c","password":"x","extra":true}`,
		`[]`, `null`, `{`, `{"email":"` + strings.Repeat("a", 400) + `","password":"p"}`,
		`{"email":"A@B.C ","password":"\u0000"}`,
		`{"email":"a@b.c","password":"x","workspace_id":"` + uuid.NewString() + `"}`,
		`{"email":"a@b.c","password":"x","workspace_id":"nope"}`,
		`{"email":"a@b.c","password":"x","workspace_id":7}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", body)
		require.Less(t, r.Status, 500, string(r.Raw))
		require.NotEqual(t, http.StatusOK, r.Status, "no operator has a fuzzed password")
	})
}

func FuzzWidgetSession(f *testing.F) {
	ws := env.NewWorkspace(f)
	for _, seed := range []string{
		`{"workspace_id":"` + ws.ID.String() + `"}`,
		`{"workspace_id":"` + ws.ID.String() + `","visitor_token":"x.y"}`,
		`{"workspace_id":"` + uuid.NewString() + `"}`,
		`{"workspace_id":"nope"}`,
		`{"workspace_id":7}`,
		`{}`, `[]`, `"`, `{"visitor_token":"` + strings.Repeat("a", 600) + `"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/widget/sessions", body)
		require.Less(t, r.Status, 500, string(r.Raw))
	})
}

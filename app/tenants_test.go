package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/systest"
)

// loginBody is a login request; workspaceID "" sends none.
func loginBody(email, password, workspaceID string) map[string]string {
	b := map[string]string{"email": email, "password": password}
	if workspaceID != "" {
		b["workspace_id"] = workspaceID
	}
	return b
}

// loginTo logs a fresh client in to one workspace.
func loginTo(t *testing.T, email, password, workspaceID string) (*systest.Client, systest.Response) {
	t.Helper()
	c := systest.NewClient(t, env.System.URL)
	r := c.Must(http.StatusOK, "POST", "/api/v1/auth/login", loginBody(email, password, workspaceID))
	c.CSRF = r.Body["csrf_token"].(string)
	return c, r
}

// listedWorkspaces returns the ids and names a workspace_required answer lists.
func listedWorkspaces(t *testing.T, r systest.Response) map[string]string {
	t.Helper()
	require.Equal(t, http.StatusConflict, r.Status, string(r.Raw))
	require.Equal(t, "workspace_required", r.ErrorCode(), string(r.Raw))
	require.Equal(t, "workspace_id", r.ErrorField(), string(r.Raw))
	out := map[string]string{}
	for _, w := range r.Body["workspaces"].([]any) {
		m := w.(map[string]any)
		require.Len(t, m, 2, "a listed workspace is its id and name, nothing more: %v", m)
		out[m["id"].(string)] = m["name"].(string)
	}
	return out
}

// inviteAndAccept has admin invite email into its workspace, and the
// invitee accept with password; it returns the invitee's client.
func inviteAndAccept(t *testing.T, admin *systest.Client, email, password string) (*systest.Client, map[string]any) {
	t.Helper()
	r := admin.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": email, "role": "operator"})
	c, acc := accept(t, r.Body["token"].(string), "Same Person", password)
	require.Equal(t, http.StatusCreated, acc.Status, string(acc.Raw))
	return c, acc.Body["operator"].(map[string]any)
}

func TestTenantInviteEmailOfAnotherWorkspace(t *testing.T) {
	t.Parallel()
	a, b, c := env.NewWorkspace(t), env.NewWorkspace(t), env.NewWorkspace(t)
	adminA := env.Login(t, env.NewOperator(t, a, "admin"))
	adminC := env.Login(t, env.NewOperator(t, c, "admin"))
	person := env.NewOperator(t, b, "operator") // in B, with systest.Password
	convA := env.Visitor(t, a).StartConversation("A's secret")
	convB := env.Visitor(t, b).StartConversation("B's secret")

	// Inviting an address that works in B answers as any new address
	// does, and says nothing of B.
	r := adminA.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": strings.ToUpper(person.Email), "role": "operator"})
	require.NotContains(t, string(r.Raw), b.ID.String())
	require.NotContains(t, string(r.Raw), person.ID.String())
	inA, acc := accept(t, r.Body["token"].(string), "Same Person", systest.Password)
	require.Equal(t, http.StatusCreated, acc.Status, string(acc.Raw))
	opA := acc.Body["operator"].(map[string]any)
	require.Equal(t, a.ID.String(), opA["workspace_id"])
	require.Equal(t, person.Email, opA["email"])
	require.NotEqual(t, person.ID.String(), opA["id"], "one identity per workspace")
	require.Equal(t, a.ID.String(), inA.Must(http.StatusOK, "GET", "/api/v1/me", nil).Body["operator"].(map[string]any)["workspace_id"])

	// In the same workspace the address is taken, whatever its case.
	require.Equal(t, "email_taken", adminA.Must(http.StatusConflict, "POST", "/api/v1/invites",
		map[string]any{"email": strings.ToUpper(person.Email), "role": "operator"}).ErrorCode())

	// C has the same person with another password.
	const otherPassword = "another long password"
	_, opC := inviteAndAccept(t, adminC, person.Email, otherPassword)

	// Without workspace_id: the workspaces whose password matched, A and
	// B, and not C; no session.
	anon := systest.NewClient(t, env.System.URL)
	r = anon.Do("POST", "/api/v1/auth/login", loginBody(person.Email, systest.Password, ""))
	listed := listedWorkspaces(t, r)
	require.Equal(t, map[string]string{a.ID.String(): a.Name, b.ID.String(): b.Name}, listed)
	require.NotContains(t, string(r.Raw), c.ID.String())
	require.NotContains(t, string(r.Raw), person.ID.String())
	require.Empty(t, r.Header.Values("Set-Cookie"), "no session before a workspace is chosen")
	anon.Must(http.StatusUnauthorized, "GET", "/api/v1/me", nil)

	// One match needs no workspace_id: C's password opens C.
	_, r = loginTo(t, person.Email, otherPassword, "")
	require.Equal(t, opC["id"], r.Body["operator"].(map[string]any)["id"])

	// With workspace_id: that workspace's identity, and only its data.
	sessA, r := loginTo(t, person.Email, systest.Password, a.ID.String())
	require.Equal(t, opA["id"], r.Body["operator"].(map[string]any)["id"])
	sessB, r := loginTo(t, strings.ToUpper(person.Email), systest.Password, b.ID.String())
	require.Equal(t, person.ID.String(), r.Body["operator"].(map[string]any)["id"])
	require.NotContains(t, string(r.Raw), a.ID.String())

	sessA.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convA, nil)
	sessA.Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+convB, nil)
	sessB.Must(http.StatusOK, "GET", "/api/v1/conversations/"+convB, nil)
	sessB.Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+convA, nil)
	require.NotContains(t, string(sessB.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Raw), convA)
	require.NotContains(t, string(sessB.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Raw), opA["id"].(string))

	// Sessions are the workspace's: ending A's leaves B's.
	sessA.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
	sessA.Must(http.StatusUnauthorized, "GET", "/api/v1/me", nil)
	sessB.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	// And deactivating the person in B leaves A.
	bOwner := env.Login(t, env.NewOperator(t, b, "owner"))
	bOwner.Must(http.StatusOK, "POST", opPath(person.ID, "/deactivate"), nil)
	sessB.Must(http.StatusUnauthorized, "GET", "/api/v1/me", nil)
	_, r = loginTo(t, person.Email, systest.Password, "")
	require.Equal(t, opA["id"], r.Body["operator"].(map[string]any)["id"], "B's identity is inactive: A is the only match")

	// A workspace the person is not in, a wrong password: the same 401 as
	// an unknown address.
	unknown := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", loginBody("nobody-"+uuid.NewString()+"@test.invalid", systest.Password, ""))
	require.Equal(t, http.StatusUnauthorized, unknown.Status, string(unknown.Raw))
	for _, body := range []map[string]string{
		loginBody(person.Email, systest.Password, c.ID.String()),
		loginBody(person.Email, systest.Password, uuid.NewString()),
		loginBody(person.Email, "not the password at all", ""),
		loginBody(person.Email, "not the password at all", a.ID.String()),
		loginBody("nobody-"+uuid.NewString()+"@test.invalid", systest.Password, a.ID.String()),
	} {
		got := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", body)
		require.Equal(t, string(unknown.Raw), string(got.Raw), "%v", body)
	}
	bad := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", loginBody(person.Email, systest.Password, "not-a-uuid"))
	require.Equal(t, http.StatusBadRequest, bad.Status, string(bad.Raw))
	require.Equal(t, "workspace_id", bad.ErrorField())
}

// signupBody is a valid signup with a fresh email.
func signupBody() map[string]any {
	return map[string]any{"workspace_name": "Acme " + uuid.NewString()[:8], "name": "Ada Owner", "email": newEmail(), "password": "a long enough password"}
}

// signup signs a workspace up on the server at base and returns its
// logged-in owner.
func signup(t *testing.T, base string, body map[string]any) (*systest.Client, systest.Response) {
	t.Helper()
	c := systest.NewClient(t, base)
	r := c.Must(http.StatusCreated, "POST", "/api/v1/signup", body)
	c.CSRF = r.Body["csrf_token"].(string)
	return c, r
}

func TestSignupCreatesIsolatedTenant(t *testing.T) {
	t.Parallel()
	a := env.NewWorkspace(t)
	adminA := env.NewOperator(t, a, "admin")
	convA := env.Visitor(t, a).StartConversation("A's secret")

	// An address already working in A signs up a workspace of its own:
	// nothing says it exists elsewhere.
	body := signupBody()
	body["email"] = strings.ToUpper(adminA.Email)
	owner, r := signup(t, env.System.URL, body)
	ws := r.Body["workspace"].(map[string]any)
	op := r.Body["operator"].(map[string]any)
	wsID := ws["id"].(string)
	require.Equal(t, body["workspace_name"], ws["name"])
	require.Equal(t, "owner", op["role"])
	require.Equal(t, adminA.Email, op["email"])
	require.Equal(t, wsID, op["workspace_id"])
	require.NotContains(t, string(r.Raw), a.ID.String())
	require.NotContains(t, string(r.Raw), adminA.ID.String())

	// Logged in as login does: cookie and CSRF token.
	me := owner.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	require.Equal(t, "owner", me.Body["role"])
	require.Equal(t, owner.CSRF, me.Body["csrf_token"])
	require.Equal(t, body["workspace_name"], owner.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["name"])

	// It sees nothing of A, and A nothing of it.
	owner.Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+convA, nil)
	require.Empty(t, owner.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"])
	operators := owner.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any)
	require.Equal(t, []string{op["id"].(string)}, ids(operators))

	// The new tenant works: a visitor writes, the owner sees and answers,
	// invites someone.
	conv := systest.NewVisitor(t, env.System.URL, wsID).StartConversation("hello new tenant")
	owner.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv, nil)
	owner.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]string{"body": "welcome"})
	inviteAndAccept(t, owner, newEmail(), "a long enough password")
	env.Login(t, adminA).Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+conv, nil)

	// The address now has two identities with different passwords: each
	// password opens its own workspace.
	_, r = loginTo(t, adminA.Email, "a long enough password", "")
	require.Equal(t, op["id"], r.Body["operator"].(map[string]any)["id"])
	_, r = loginTo(t, adminA.Email, systest.Password, "")
	require.Equal(t, adminA.ID.String(), r.Body["operator"].(map[string]any)["id"])
}

func TestSignupBadInput(t *testing.T) {
	t.Parallel()
	with := func(k string, v any) map[string]any {
		b := signupBody()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		body  map[string]any
		field string
	}{
		{with("workspace_name", nil), "workspace_name"},
		{with("workspace_name", "   "), "workspace_name"},
		{with("workspace_name", strings.Repeat("w", 201)), "workspace_name"},
		{with("workspace_name", "a\u0000b"), "workspace_name"},
		{with("name", nil), "name"},
		{with("name", "a\u0007b"), "name"},
		{with("email", nil), "email"},
		{with("email", "not-an-address"), "email"},
		{with("password", nil), "password"},
		{with("password", "short"), "password"},
		{with("password", strings.Repeat("é", 50)), "password"},
		{with("workspace_name", 42), "workspace_name"},
		{with("plan", "enterprise"), "plan"},
	}
	anon := systest.NewClient(t, env.System.URL)
	for _, tc := range cases {
		r := anon.Do("POST", "/api/v1/signup", tc.body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", tc.body, r.Raw)
		require.Equal(t, "invalid_input", r.ErrorCode(), "%v: %s", tc.body, r.Raw)
		require.Equal(t, tc.field, r.ErrorField(), "%v: %s", tc.body, r.Raw)
		require.Empty(t, r.Header.Values("Set-Cookie"))
	}
	// Nothing was created: the email of a refused signup is still free.
	body := with("password", "short")
	anon.Do("POST", "/api/v1/signup", body)
	r := anon.Do("POST", "/api/v1/auth/login", loginBody(body["email"].(string), "short", ""))
	require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
}

// apiServer is a second API server on the shared system, configured by
// the test.
func apiServer(t *testing.T, configure func(*api.Server)) string {
	t.Helper()
	srv := &api.Server{
		Store: env.System.Store, Bus: env.System.Bus, Hub: env.System.Hub, Temporal: env.System.Temporal,
		Metrics: env.System.Metrics, Logger: systest.Logger(), Limits: &api.Limits{},
	}
	configure(srv)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestSignupDisabled(t *testing.T) {
	t.Parallel()
	base := apiServer(t, func(*api.Server) {}) // the zero Server: as `serve` by default
	body := signupBody()
	r := systest.NewClient(t, base).Do("POST", "/api/v1/signup", body)
	require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	require.Equal(t, "signup_disabled", r.ErrorCode())
	// Before any input check, and nothing is created.
	r = systest.NewClient(t, base).Do("POST", "/api/v1/signup", map[string]any{"bogus": true})
	require.Equal(t, "signup_disabled", r.ErrorCode())
	r = systest.NewClient(t, base).Do("POST", "/api/v1/auth/login", loginBody(body["email"].(string), body["password"].(string), ""))
	require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
}

func TestSignupLimited(t *testing.T) {
	t.Parallel()
	base := apiServer(t, func(s *api.Server) {
		s.Signup = true
		s.Limits = &api.Limits{SignupPerIP: api.Limit{PerMinute: 1, Burst: 2}}
	})
	c := systest.NewClient(t, base)
	c.Must(http.StatusCreated, "POST", "/api/v1/signup", signupBody())
	c.Must(http.StatusBadRequest, "POST", "/api/v1/signup", map[string]any{"workspace_name": ""})
	r := c.Do("POST", "/api/v1/signup", signupBody())
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Raw))
	require.NotEmpty(t, r.Header.Get("Retry-After"))

	// Per email too, counted apart from logins.
	base = apiServer(t, func(s *api.Server) {
		s.Signup = true
		s.Limits = &api.Limits{SignupPerEmail: api.Limit{PerMinute: 1, Burst: 1}}
	})
	body := signupBody()
	c = systest.NewClient(t, base)
	c.Must(http.StatusCreated, "POST", "/api/v1/signup", body)
	body["workspace_name"] = "Second"
	require.Equal(t, http.StatusTooManyRequests, c.Do("POST", "/api/v1/signup", body).Status)
	c.Must(http.StatusOK, "POST", "/api/v1/auth/login", loginBody(body["email"].(string), body["password"].(string), ""))
}

func FuzzSignup(f *testing.F) {
	for _, seed := range []string{
		`{"workspace_name":"Acme","name":"Ada","email":"ada@example.com","password":"a long enough password"}`,
		`{"workspace_name":"","name":"","email":"","password":""}`,
		`{"workspace_name":1}`,
		`{"workspace_name":"` + strings.Repeat("w", 300) + `","name":"n","email":"a@b.c","password":"a long enough password"}`,
		`{"workspace_name":"\u0000","name":"\u0000","email":"a@b.c","password":"\u0000"}`,
		`[]`, `null`, `{`, `{"extra":true}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/signup", body)
		require.Less(t, r.Status, 500, string(r.Raw))
	})
}

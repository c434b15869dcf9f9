package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// people is one test's workspace with an owner, an admin and an operator,
// each logged in.
type people struct {
	ws               store.Workspace
	owner, admin, op store.Operator
	ownerC, adminC   *systest.Client
	opC              *systest.Client
}

func setupPeople(t *testing.T) people {
	t.Helper()
	p := people{ws: env.NewWorkspace(t)}
	p.owner = env.NewOperator(t, p.ws, "owner")
	p.admin = env.NewOperator(t, p.ws, "admin")
	p.op = env.NewOperator(t, p.ws, "operator")
	p.ownerC = env.Login(t, p.owner)
	p.adminC = env.Login(t, p.admin)
	p.opC = env.Login(t, p.op)
	return p
}

func newEmail() string { return strings.ToLower(uuid.NewString()) + "@example.com" }

func opPath(id uuid.UUID, suffix string) string {
	return "/api/v1/operators/" + id.String() + suffix
}

// accept accepts an invite with a fresh client, which is then logged in.
func accept(t *testing.T, token, name, password string) (*systest.Client, systest.Response) {
	t.Helper()
	c := systest.NewClient(t, env.System.URL)
	r := c.Do("POST", "/api/v1/invites/accept", map[string]string{"token": token, "name": name, "password": password})
	if r.Status == http.StatusCreated {
		c.CSRF = r.Body["csrf_token"].(string)
	}
	return c, r
}

// auditHas requires an entry with this action, actor and target in the
// workspace's audit log, as its admins read it.
func auditHas(t *testing.T, admin *systest.Client, action string, actor, target uuid.UUID) map[string]any {
	t.Helper()
	r := admin.Must(http.StatusOK, "GET", "/api/v1/audit-log?limit=200", nil)
	for _, e := range r.Body["entries"].([]any) {
		m := e.(map[string]any)
		if m["action"] == action && m["actor_id"] == actor.String() && m["target_id"] == target.String() {
			return m
		}
	}
	t.Fatalf("no audit entry %s by %s on %s in %s", action, actor, target, r.Raw)
	return nil
}

func ids(list []any) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)["id"].(string)
	}
	return out
}

func TestInviteFlow(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	ctx := context.Background()
	sales, err := env.System.Store.CreateDepartment(ctx, p.ws.ID, "Sales")
	require.NoError(t, err)
	support, err := env.System.Store.CreateDepartment(ctx, p.ws.ID, "Support")
	require.NoError(t, err)

	email := newEmail()
	r := p.adminC.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{
		"email": "  " + strings.ToUpper(email) + " ", "role": "supervisor",
		"department_ids": []string{sales.String(), support.String(), sales.String()},
	})
	inv := r.Body["invite"].(map[string]any)
	token := r.Body["token"].(string)
	require.Equal(t, email, inv["email"], "lower-cased and trimmed")
	require.Equal(t, "supervisor", inv["role"])
	require.ElementsMatch(t, []any{sales.String(), support.String()}, inv["department_ids"])
	require.Equal(t, "/invite#token="+token, r.Body["invite_url"])
	require.NotContains(t, string(p.adminC.Must(http.StatusOK, "GET", "/api/v1/invites", nil).Raw), token, "the token is shown once")
	pending := p.adminC.Must(http.StatusOK, "GET", "/api/v1/invites", nil).Body["invites"].([]any)
	require.Equal(t, []string{inv["id"].(string)}, ids(pending))

	// The password is checked before the token is used up.
	_, bad := accept(t, token, "Sam", "short")
	require.Equal(t, http.StatusBadRequest, bad.Status)
	require.Equal(t, "password", bad.ErrorField())

	sam, r := accept(t, token, "Sam Super", "a long enough password")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	newOp := r.Body["operator"].(map[string]any)
	require.Equal(t, email, newOp["email"])
	require.Equal(t, "supervisor", newOp["role"])
	me := sam.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	require.Equal(t, "supervisor", me.Body["role"])
	require.ElementsMatch(t, []any{sales.String(), support.String()}, me.Body["department_ids"])
	// Logged in exactly like login: the CSRF token works for changes.
	sam.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "online"})
	// And the password works for a later login.
	systest.NewClient(t, env.System.URL).LogIn(email, "a long enough password")

	_, again := accept(t, token, "Someone Else", "another long password")
	require.Equal(t, http.StatusNotFound, again.Status)
	require.Equal(t, "invalid_token", again.ErrorCode())
	require.Empty(t, p.adminC.Must(http.StatusOK, "GET", "/api/v1/invites", nil).Body["invites"])

	newID := uuid.MustParse(newOp["id"].(string))
	auditHas(t, p.adminC, "invite.created", p.admin.ID, uuid.MustParse(inv["id"].(string)))
	auditHas(t, p.adminC, "invite.accepted", newID, newID)

	// Inviting the same email again is a conflict; so is anyone's email.
	require.Equal(t, "email_taken", p.adminC.Must(http.StatusConflict, "POST", "/api/v1/invites",
		map[string]any{"email": email, "role": "operator"}).ErrorCode())
	p.adminC.Must(http.StatusConflict, "POST", "/api/v1/invites", map[string]any{"email": p.op.Email, "role": "operator"})

	// A revoked invite cannot be accepted.
	r = p.adminC.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": newEmail(), "role": "operator", "name": "Rita"})
	revokedID := r.Body["invite"].(map[string]any)["id"].(string)
	p.adminC.Must(http.StatusNoContent, "DELETE", "/api/v1/invites/"+revokedID, nil)
	p.adminC.Must(http.StatusNotFound, "DELETE", "/api/v1/invites/"+revokedID, nil)
	_, gone := accept(t, r.Body["token"].(string), "Rita", "a long enough password")
	require.Equal(t, "invalid_token", gone.ErrorCode())
	auditHas(t, p.adminC, "invite.revoked", p.admin.ID, uuid.MustParse(revokedID))

	// The name given at the invite is used when the invitee gives none.
	r = p.adminC.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": newEmail(), "role": "operator", "name": "Olga"})
	_, ok := accept(t, r.Body["token"].(string), "", "a long enough password")
	require.Equal(t, http.StatusCreated, ok.Status, string(ok.Raw))
	require.Equal(t, "Olga", ok.Body["operator"].(map[string]any)["name"])
}

func TestInviteBadInput(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	other := env.NewWorkspace(t)
	foreignDept, err := env.System.Store.CreateDepartment(context.Background(), other.ID, "Theirs")
	require.NoError(t, err)
	cases := []struct {
		body   any
		status int
		field  string
	}{
		{map[string]any{"role": "operator"}, 400, "email"},
		{map[string]any{"email": "not-an-address", "role": "operator"}, 400, "email"},
		{map[string]any{"email": strings.Repeat("a", 320) + "@x.io", "role": "operator"}, 400, "email"},
		{map[string]any{"email": newEmail(), "role": "owner"}, 400, "role"},
		{map[string]any{"email": newEmail(), "role": "boss"}, 400, "role"},
		{map[string]any{"email": newEmail(), "role": "operator", "name": ""}, 400, "name"},
		{map[string]any{"email": newEmail(), "role": "operator", "name": "a\u0000b"}, 400, "name"},
		{map[string]any{"email": newEmail(), "role": "operator", "department_ids": []string{"x"}}, 400, "department_ids"},
		{map[string]any{"email": newEmail(), "role": "operator", "department_ids": []string{foreignDept.String()}}, 422, "department_ids"},
		{map[string]any{"email": newEmail(), "role": "operator", "department_ids": []string{uuid.NewString()}}, 422, "department_ids"},
		{map[string]any{"email": newEmail(), "role": "operator", "extra": true}, 400, "extra"},
	}
	for _, tc := range cases {
		r := p.adminC.Do("POST", "/api/v1/invites", tc.body)
		require.Equal(t, tc.status, r.Status, "%v: %s", tc.body, r.Raw)
		require.Equal(t, tc.field, r.ErrorField(), "%v: %s", tc.body, r.Raw)
	}
	require.Empty(t, p.adminC.Must(http.StatusOK, "GET", "/api/v1/invites", nil).Body["invites"])

	anon := systest.NewClient(t, env.System.URL)
	for _, body := range []any{
		map[string]any{"name": "x", "password": "a long enough password"},
		map[string]any{"token": "x", "name": "x", "password": "short"},
		map[string]any{"token": "x", "name": "x", "password": strings.Repeat("p", 201)},
	} {
		require.Equal(t, http.StatusBadRequest, anon.Do("POST", "/api/v1/invites/accept", body).Status, "%v", body)
	}
	r := anon.Must(http.StatusNotFound, "POST", "/api/v1/invites/accept", map[string]any{"token": "unknown", "name": "x", "password": "a long enough password"})
	require.Equal(t, "invalid_token", r.ErrorCode())
}

func TestInviteRoles(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	sup := env.Login(t, env.NewOperator(t, p.ws, "supervisor"))
	invite := map[string]any{"email": newEmail(), "role": "operator"}
	for _, c := range []*systest.Client{p.opC, sup} {
		require.Equal(t, "forbidden", c.Must(http.StatusForbidden, "POST", "/api/v1/invites", invite).ErrorCode())
		c.Must(http.StatusForbidden, "GET", "/api/v1/invites", nil)
		c.Must(http.StatusForbidden, "DELETE", "/api/v1/invites/"+uuid.NewString(), nil)
	}
	adminInvite := map[string]any{"email": newEmail(), "role": "admin"}
	p.adminC.Must(http.StatusForbidden, "POST", "/api/v1/invites", adminInvite)
	r := p.ownerC.Must(http.StatusCreated, "POST", "/api/v1/invites", adminInvite)
	_, acc := accept(t, r.Body["token"].(string), "New Admin", "a long enough password")
	require.Equal(t, "admin", acc.Body["operator"].(map[string]any)["role"])
}

func TestConcurrentInviteAcceptsOneWins(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	r := p.adminC.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": newEmail(), "role": "operator"})
	token := r.Body["token"].(string)
	statuses := make([]int, 5)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, r := accept(t, token, "Racer", "a long enough password")
			statuses[i] = r.Status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		} else {
			require.Equal(t, http.StatusNotFound, s, "statuses: %v", statuses)
		}
	}
	require.Equal(t, 1, created, "statuses: %v", statuses)
}

func TestDeactivationEndsAccessAtOnce(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	raw, _ := auth.NewToken()
	token := "sbt_" + raw
	_, err := env.System.Store.CreateAPIToken(context.Background(), store.NewAPIToken{
		WorkspaceID: p.ws.ID, Name: "ci", TokenHash: auth.HashToken(token), Prefix: token[:8], Role: "operator", CreatedBy: p.op.ID,
	})
	require.NoError(t, err)
	api := systest.NewClient(t, env.System.URL)
	api.APIToken = token
	api.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	p.opC.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "online"})

	p.opC.Must(http.StatusForbidden, "POST", opPath(p.admin.ID, "/deactivate"), nil)
	require.Equal(t, "self", p.adminC.Must(http.StatusConflict, "POST", opPath(p.admin.ID, "/deactivate"), nil).ErrorCode())
	// Only an owner deactivates an owner or admin.
	p.adminC.Must(http.StatusForbidden, "POST", opPath(p.owner.ID, "/deactivate"), nil)

	r := p.adminC.Must(http.StatusOK, "POST", opPath(p.op.ID, "/deactivate"), nil)
	got := r.Body["operator"].(map[string]any)
	require.Equal(t, false, got["active"])
	require.Equal(t, "offline", got["status"], "a deactivated operator is offline")
	require.NotNil(t, got["deactivated_at"])

	require.Equal(t, http.StatusUnauthorized, p.opC.Do("GET", "/api/v1/me", nil).Status, "the session ended")
	require.Equal(t, http.StatusUnauthorized, api.Do("GET", "/api/v1/me", nil).Status, "the API token stopped working")
	require.Equal(t, http.StatusUnauthorized, systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login",
		map[string]string{"email": p.op.Email, "password": systest.Password}).Status)
	auditHas(t, p.adminC, "operator.deactivated", p.admin.ID, p.op.ID)

	// Colleagues no longer see them; admins do.
	op2 := env.Login(t, env.NewOperator(t, p.ws, "operator"))
	require.NotContains(t, ids(op2.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any)), p.op.ID.String())
	op2.Must(http.StatusNotFound, "GET", opPath(p.op.ID, ""), nil)
	require.Contains(t, ids(p.adminC.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any)), p.op.ID.String())
	p.adminC.Must(http.StatusOK, "GET", opPath(p.op.ID, ""), nil)

	r = p.adminC.Must(http.StatusOK, "POST", opPath(p.op.ID, "/reactivate"), nil)
	require.Equal(t, true, r.Body["operator"].(map[string]any)["active"])
	auditHas(t, p.adminC, "operator.reactivated", p.admin.ID, p.op.ID)
	env.Login(t, p.op).Must(http.StatusOK, "GET", "/api/v1/me", nil)
	require.Equal(t, http.StatusUnauthorized, p.opC.Do("GET", "/api/v1/me", nil).Status, "the old session stays ended")
}

func TestRoleChanges(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	role := func(role string) map[string]any { return map[string]any{"role": role} }

	// The last active owner cannot step down or be deactivated.
	require.Equal(t, "last_owner", p.ownerC.Must(http.StatusConflict, "PATCH", opPath(p.owner.ID, ""), role("admin")).ErrorCode())
	p.ownerC.Must(http.StatusConflict, "POST", opPath(p.owner.ID, "/deactivate"), nil)

	// Operators change no roles; admins not their own, nor the owner and admin roles.
	p.opC.Must(http.StatusForbidden, "PATCH", opPath(p.op.ID, ""), role("supervisor"))
	p.adminC.Must(http.StatusForbidden, "PATCH", opPath(p.admin.ID, ""), role("operator"))
	p.adminC.Must(http.StatusForbidden, "PATCH", opPath(p.owner.ID, ""), role("operator"))
	p.adminC.Must(http.StatusForbidden, "PATCH", opPath(p.op.ID, ""), role("admin"))
	p.adminC.Must(http.StatusBadRequest, "PATCH", opPath(p.op.ID, ""), role("chief"))

	r := p.adminC.Must(http.StatusOK, "PATCH", opPath(p.op.ID, ""), role("supervisor"))
	require.Equal(t, "supervisor", r.Body["operator"].(map[string]any)["role"])
	require.Equal(t, "supervisor", p.opC.Must(http.StatusOK, "GET", "/api/v1/me", nil).Body["role"], "the session sees the new role at once")
	e := auditHas(t, p.adminC, "operator.role_changed", p.admin.ID, p.op.ID)
	require.Equal(t, map[string]any{"from": "operator", "to": "supervisor"}, e["data"])

	// A second owner makes stepping down possible.
	p.ownerC.Must(http.StatusOK, "PATCH", opPath(p.admin.ID, ""), role("owner"))
	p.ownerC.Must(http.StatusOK, "PATCH", opPath(p.owner.ID, ""), role("admin"))
	p.ownerC.Must(http.StatusForbidden, "PATCH", opPath(p.op.ID, ""), role("admin"))
	// Now the admin-turned-owner is the last one.
	p.adminC.Must(http.StatusConflict, "PATCH", opPath(p.admin.ID, ""), role("admin"))

	// Anyone renames themselves; only admins rename others.
	r = p.opC.Must(http.StatusOK, "PATCH", opPath(p.op.ID, ""), map[string]any{"name": "  Pat  "})
	require.Equal(t, "Pat", r.Body["operator"].(map[string]any)["name"])
	auditHas(t, p.adminC, "operator.renamed", p.op.ID, p.op.ID)
	p.opC.Must(http.StatusForbidden, "PATCH", opPath(p.owner.ID, ""), map[string]any{"name": "Boss"})
	p.opC.Must(http.StatusForbidden, "PATCH", opPath(p.owner.ID, ""), map[string]any{})
	p.opC.Must(http.StatusBadRequest, "PATCH", opPath(p.op.ID, ""), map[string]any{"name": strings.Repeat("n", 201)})
	p.opC.Must(http.StatusBadRequest, "PATCH", opPath(p.op.ID, ""), map[string]any{})
}

func TestConcurrentOwnersCannotBothStepDown(t *testing.T) {
	t.Parallel()
	ws := env.NewWorkspace(t)
	a, b := env.NewOperator(t, ws, "owner"), env.NewOperator(t, ws, "owner")
	ca, cb := env.Login(t, a), env.Login(t, b)
	var wg sync.WaitGroup
	var sa, sb int
	wg.Add(2)
	go func() { defer wg.Done(); sa = ca.Do("PATCH", opPath(a.ID, ""), map[string]any{"role": "admin"}).Status }()
	go func() { defer wg.Done(); sb = cb.Do("PATCH", opPath(b.ID, ""), map[string]any{"role": "admin"}).Status }()
	wg.Wait()
	require.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, []int{sa, sb})
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	p.opC.Must(http.StatusForbidden, "POST", opPath(p.admin.ID, "/password-reset"), nil)
	p.adminC.Must(http.StatusForbidden, "POST", opPath(p.owner.ID, "/password-reset"), nil)
	p.adminC.Must(http.StatusConflict, "POST", opPath(p.admin.ID, "/password-reset"), nil)

	first := p.adminC.Must(http.StatusCreated, "POST", opPath(p.op.ID, "/password-reset"), nil).Body["token"].(string)
	r := p.adminC.Must(http.StatusCreated, "POST", opPath(p.op.ID, "/password-reset"), nil)
	token := r.Body["token"].(string)
	require.Equal(t, "/reset-password#token="+token, r.Body["reset_url"])
	require.NotEmpty(t, r.Body["expires_at"])
	e := auditHas(t, p.adminC, "operator.password_reset_issued", p.admin.ID, p.op.ID)
	require.NotContains(t, e, token)
	require.NotContains(t, string(p.adminC.Must(http.StatusOK, "GET", "/api/v1/audit-log", nil).Raw), token, "the token is never logged")

	anon := systest.NewClient(t, env.System.URL)
	complete := func(tok, pw string) systest.Response {
		return anon.Do("POST", "/api/v1/password-resets/complete", map[string]string{"token": tok, "password": pw})
	}
	require.Equal(t, "invalid_token", complete(first, "a brand new password").ErrorCode(), "a newer link replaces the older")
	require.Equal(t, "password", complete(token, "short").ErrorField())
	require.Equal(t, http.StatusNoContent, complete(token, "a brand new password").Status)
	require.Equal(t, "invalid_token", complete(token, "yet another password").ErrorCode(), "single use")

	require.Equal(t, http.StatusUnauthorized, p.opC.Do("GET", "/api/v1/me", nil).Status, "sessions ended")
	require.Equal(t, http.StatusUnauthorized, anon.Do("POST", "/api/v1/auth/login", map[string]string{"email": p.op.Email, "password": systest.Password}).Status)
	systest.NewClient(t, env.System.URL).LogIn(p.op.Email, "a brand new password")
}

func TestOperatorStatus(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	before := p.opC.Must(http.StatusOK, "GET", opPath(p.op.ID, ""), nil).Body["operator"].(map[string]any)
	require.Equal(t, "offline", before["status"])

	r := p.opC.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "away"})
	require.Equal(t, "away", r.Body["operator"].(map[string]any)["status"])
	require.NotEqual(t, before["status_changed_at"], r.Body["operator"].(map[string]any)["status_changed_at"])
	p.opC.Must(http.StatusBadRequest, "PUT", "/api/v1/me/status", map[string]string{"status": "busy"})

	var seen map[string]any
	for _, o := range p.adminC.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any) {
		if m := o.(map[string]any); m["id"] == p.op.ID.String() {
			seen = m
		}
	}
	require.NotNil(t, seen)
	require.Equal(t, "away", seen["status"])
	require.Equal(t, p.op.Email, seen["email"])
	require.Equal(t, "operator", seen["role"])
	require.Equal(t, true, seen["active"])
	require.NotContains(t, seen, "password_hash")
}

func TestPeopleRoutesHideOtherWorkspaces(t *testing.T) {
	t.Parallel()
	p := setupPeople(t)
	them := setupPeople(t)
	r := them.ownerC.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": newEmail(), "role": "operator"})
	theirInvite := r.Body["invite"].(map[string]any)["id"].(string)
	for _, target := range []uuid.UUID{them.op.ID, them.admin.ID, uuid.New()} {
		for _, rt := range []struct {
			method, suffix string
			body           any
		}{
			{"GET", "", nil},
			{"PATCH", "", map[string]any{"role": "supervisor"}},
			{"PATCH", "", map[string]any{"name": "Renamed"}},
			{"PATCH", "", map[string]any{}},
			{"POST", "/deactivate", nil},
			{"POST", "/reactivate", nil},
			{"POST", "/password-reset", nil},
		} {
			got := p.ownerC.Do(rt.method, opPath(target, rt.suffix), rt.body)
			require.Equal(t, http.StatusNotFound, got.Status, "%s %s: %s", rt.method, rt.suffix, got.Raw)
		}
	}
	p.ownerC.Must(http.StatusNotFound, "DELETE", "/api/v1/invites/"+theirInvite, nil)
	p.ownerC.Must(http.StatusNotFound, "GET", "/api/v1/operators/not-a-uuid", nil)
	require.NotContains(t, ids(p.ownerC.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any)), them.op.ID.String())
	require.Len(t, them.ownerC.Must(http.StatusOK, "GET", "/api/v1/invites", nil).Body["invites"], 1, "their invite survived")
	got := them.ownerC.Must(http.StatusOK, "GET", opPath(them.op.ID, ""), nil).Body["operator"].(map[string]any)
	require.Equal(t, "operator", got["role"])
	require.Equal(t, true, got["active"])
}

// FuzzInviteAccept posts arbitrary bodies to the public invite-accept
// endpoint of the real server: never a 5xx.
func FuzzInviteAccept(f *testing.F) {
	ws := env.NewWorkspace(f)
	owner := env.NewOperator(f, ws, "owner")
	token, hash := auth.NewToken()
	_, err := env.System.Store.CreateInvite(context.Background(), store.NewInvite{
		WorkspaceID: ws.ID, Email: newEmail(), Role: "operator", CreatedBy: owner.ID, TokenHash: hash,
		ExpiresAt: time.Now().Add(time.Hour),
	})
	require.NoError(f, err)
	f.Add(`{"token":"` + token + `","name":"Fuzz","password":"a long enough password"}`)
	f.Add(`{"token":"x","name":"\u0000","password":"` + strings.Repeat("é", 100) + `"}`)
	f.Add(`{"token":null,"name":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/invites/accept", body)
		require.Less(t, r.Status, 500, "%q: %s", body, r.Raw)
	})
}

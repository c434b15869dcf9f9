package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// tenant is a workspace with one of everything, and people of each role.
type tenant struct {
	ws         store.Workspace
	owner      *systest.Client
	operator   *systest.Client // role operator, in no department
	supervisor *systest.Client // supervisor of the department
	visitor    *systest.Client
	// ids by the resource a path's :id names.
	ids map[string]string
}

func newTenant(t *testing.T) *tenant {
	t.Helper()
	ws := env.NewWorkspace(t)
	owner := env.Login(t, env.NewOperator(t, ws, "owner"))
	supOp := env.NewOperator(t, ws, "supervisor")
	spare := env.NewOperator(t, ws, "operator")
	tn := &tenant{
		ws: ws, owner: owner,
		operator:   env.Login(t, env.NewOperator(t, ws, "operator")),
		supervisor: env.Login(t, supOp),
		ids:        map[string]string{"operators": spare.ID.String()},
	}
	dept := owner.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]any{"name": "Sales"})
	tn.ids["departments"] = dept.Body["department"].(map[string]any)["id"].(string)
	owner.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+tn.ids["departments"]+"/members/"+supOp.ID.String(), nil)
	inbox := owner.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Website", "department_ids": []string{tn.ids["departments"]}, "default_department_id": tn.ids["departments"],
	})
	tn.ids["inboxes"] = inbox.Body["inbox"].(map[string]any)["id"].(string)
	rule := owner.Must(http.StatusCreated, "POST", "/api/v1/keyword-rules", map[string]any{
		"name": "Refunds", "phrases": []string{"refund"}, "priority": "high", "department_id": tn.ids["departments"],
	})
	tn.ids["keyword-rules"] = rule.Body["keyword_rule"].(map[string]any)["id"].(string)
	flowDoc := map[string]any{"start": "hi", "nodes": []map[string]any{
		{"id": "hi", "kind": "message", "text": "secret greeting of " + t.Name(), "next": "out"},
		{"id": "out", "kind": "handoff", "department_id": tn.ids["departments"]},
	}}
	fl := owner.Must(http.StatusCreated, "POST", "/api/v1/flows", map[string]any{"name": "Front desk", "document": flowDoc})
	tn.ids["flows"] = fl.Body["flow"].(map[string]any)["id"].(string)
	owner.Must(http.StatusCreated, "POST", "/api/v1/flows/"+tn.ids["flows"]+"/publish", nil)

	tn.visitor = systest.NewClient(t, env.System.URL)
	r := tn.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": ws.ID.String(), "inbox_id": tn.ids["inboxes"]})
	tn.visitor.Token = r.Body["token"].(string)
	tn.ids["conversations"] = tn.visitor.StartConversation("secret of " + t.Name())

	invite := owner.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": uuid.NewString() + "@invite.invalid", "role": "operator"})
	tn.ids["invites"] = invite.Body["invite"].(map[string]any)["id"].(string)
	tok := owner.Must(http.StatusCreated, "POST", "/api/v1/api-tokens", map[string]any{"name": "ci", "role": "operator"})
	tn.ids["api-tokens"] = tok.Body["api_token"].(map[string]any)["id"].(string)

	secret := owner.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["identity_secret"].(string)
	key, err := hex.DecodeString(secret)
	require.NoError(t, err)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("customer-42"))
	id := tn.visitor.Must(http.StatusOK, "POST", "/api/v1/widget/identify", map[string]string{"external_id": "customer-42", "user_hash": hex.EncodeToString(m.Sum(nil))})
	tn.ids["contacts"] = id.Body["contact"].(map[string]any)["id"].(string)

	// A tag on the conversation and the contact, a private note that
	// mentions the supervisor, and the supervisor's item for it.
	tag := owner.Must(http.StatusCreated, "POST", "/api/v1/tags", map[string]any{"name": "VIP"})
	tn.ids["tags"] = tag.Body["tag"].(map[string]any)["id"].(string)
	owner.Must(http.StatusOK, "PUT", "/api/v1/conversations/"+tn.ids["conversations"]+"/tags/"+tn.ids["tags"], nil)
	owner.Must(http.StatusOK, "PUT", "/api/v1/contacts/"+tn.ids["contacts"]+"/tags/"+tn.ids["tags"], nil)
	note := owner.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+tn.ids["conversations"]+"/notes",
		map[string]any{"body": "secret note of " + t.Name(), "mentions": []string{supOp.ID.String()}})
	tn.ids["notes"] = note.Body["note"].(map[string]any)["id"].(string)
	comment := owner.Must(http.StatusCreated, "POST", "/api/v1/contacts/"+tn.ids["contacts"]+"/comments", map[string]any{"body": "secret comment of " + t.Name()})
	tn.ids["comments"] = comment.Body["comment"].(map[string]any)["id"].(string)
	items := tn.supervisor.Must(http.StatusOK, "GET", "/api/v1/notifications", nil).Body["notifications"].([]any)
	require.Len(t, items, 1)
	tn.ids["notifications"] = items[0].(map[string]any)["id"].(string)
	return tn
}

// path fills a route's parameters with the tenant's ids.
func (tn *tenant) path(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch p {
		case ":id":
			parts[i] = tn.ids[parts[i-1]]
		case ":operator_id":
			parts[i] = tn.ids["operators"]
		case ":note_id":
			parts[i] = tn.ids["notes"]
		case ":tag_id":
			parts[i] = tn.ids["tags"]
		case ":comment_id":
			parts[i] = tn.ids["comments"]
		case ":version":
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// leaks reports which of the tenant's ids appear in a response.
func (tn *tenant) leaks(raw []byte) []string {
	var out []string
	for k, id := range tn.ids {
		if strings.Contains(string(raw), id) {
			out = append(out, k)
		}
	}
	return out
}

// routeCase says how a route is probed.
type routeCase struct {
	// kind: operator (behind the operator login), visitor (widget token),
	// public (no login), socket, infra (health and metrics).
	kind string
	// minRole is the least role the route needs; a plain operator of the
	// same workspace must then get 403 (or 404 where it may not see the
	// resource at all).
	minRole string
	// body is a well-formed body, so the probe tests access, not input.
	body func(a *tenant) any
	// check replaces the generic probe for routes without ids.
	check func(t *testing.T, a, b *tenant)
}

var isolationCases = map[string]routeCase{
	"GET /healthz": {kind: "infra"},
	"GET /readyz":  {kind: "infra"},
	"GET /metrics": {kind: "infra"},
	// The inbox app's page and files: the same bytes for everyone.
	"GET /":               {kind: "infra"},
	"HEAD /":              {kind: "infra"},
	"GET /invite":         {kind: "infra"},
	"GET /reset-password": {kind: "infra"},
	"GET /assets/*file":   {kind: "infra"},
	"HEAD /assets/*file":  {kind: "infra"},
	// The widget's loader and files: the same bytes for everyone.
	"GET /widget.js":            {kind: "infra"},
	"HEAD /widget.js":           {kind: "infra"},
	"GET /widget/assets/*file":  {kind: "infra"},
	"HEAD /widget/assets/*file": {kind: "infra"},
	"GET /widget/frame":         {kind: "public", check: checkWidgetPage("/widget/frame")},
	"HEAD /widget/frame":        {kind: "public", check: checkWidgetPage("/widget/frame")},
	"GET /demo":                 {kind: "public", check: checkWidgetPage("/demo")},
	"HEAD /demo":                {kind: "public", check: checkWidgetPage("/demo")},
	"GET /ws/operator":          {kind: "socket", check: checkOperatorSocket},
	"GET /ws/widget":            {kind: "socket", check: checkWidgetSocket},

	"POST /api/v1/auth/login": {kind: "public", check: func(t *testing.T, a, b *tenant) {
		// B's credentials open B's session only, and the answer names
		// nothing of A's. (An admin, who sees every conversation of B.)
		op := env.NewOperator(t, b.ws, "admin")
		c := systest.NewClient(t, env.System.URL)
		r := c.Must(http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"email": op.Email, "password": systest.Password})
		require.Equal(t, op.ID.String(), r.Body["operator"].(map[string]any)["id"])
		require.NotContains(t, string(r.Raw), a.ws.ID.String())
		c.CSRF = r.Body["csrf_token"].(string)
		c.Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+a.ids["conversations"], nil)
		c.Must(http.StatusOK, "GET", "/api/v1/conversations/"+b.ids["conversations"], nil)
		// A wrong password answers exactly as an unknown address does:
		// login tells nobody who has an account anywhere.
		wrong := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", map[string]string{"email": op.Email, "password": "not the password at all"})
		unknown := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody-" + uuid.NewString() + "@test.invalid", "password": "not the password at all"})
		require.Equal(t, http.StatusUnauthorized, wrong.Status, string(wrong.Raw))
		require.Equal(t, string(unknown.Raw), string(wrong.Raw))

		// The same address in A too (an identity per workspace): without
		// workspace_id the login lists A and B, ids and names only; with
		// one it opens that workspace's session and no other.
		inv := a.owner.Must(http.StatusCreated, "POST", "/api/v1/invites", map[string]any{"email": op.Email, "role": "operator"})
		_, acc := accept(t, inv.Body["token"].(string), "Twin", systest.Password)
		require.Equal(t, http.StatusCreated, acc.Status, string(acc.Raw))
		r = systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", map[string]string{"email": op.Email, "password": systest.Password})
		require.Equal(t, map[string]string{a.ws.ID.String(): a.ws.Name, b.ws.ID.String(): b.ws.Name}, listedWorkspaces(t, r))
		require.Empty(t, a.leaks(r.Raw))
		require.Empty(t, b.leaks(r.Raw))
		c = systest.NewClient(t, env.System.URL)
		r = c.Must(http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"email": op.Email, "password": systest.Password, "workspace_id": b.ws.ID.String()})
		require.Equal(t, op.ID.String(), r.Body["operator"].(map[string]any)["id"])
		require.NotContains(t, string(r.Raw), a.ws.ID.String())
		c.Must(http.StatusNotFound, "GET", "/api/v1/conversations/"+a.ids["conversations"], nil)
		c.Must(http.StatusOK, "GET", "/api/v1/conversations/"+b.ids["conversations"], nil)
		// A wrong password, or a workspace the address is not in, with a
		// workspace_id: still the unknown address's answer.
		for _, body := range []map[string]string{
			{"email": op.Email, "password": "not the password at all", "workspace_id": b.ws.ID.String()},
			{"email": op.Email, "password": systest.Password, "workspace_id": uuid.NewString()},
		} {
			got := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/auth/login", body)
			require.Equal(t, string(unknown.Raw), string(got.Raw), "%v", body)
		}
	}},
	"POST /api/v1/signup": {kind: "public", check: func(t *testing.T, a, b *tenant) {
		// A new tenant starts empty: its owner sees nothing of A's, and
		// nothing of A's is in the answer.
		owner, r := signup(t, env.System.URL, signupBody())
		require.Empty(t, a.leaks(r.Raw))
		require.NotContains(t, string(r.Raw), a.ws.ID.String())
		for _, path := range []string{"/api/v1/conversations", "/api/v1/operators", "/api/v1/departments", "/api/v1/inboxes", "/api/v1/invites", "/api/v1/workspace", "/api/v1/audit-log"} {
			got := owner.Must(http.StatusOK, "GET", path, nil)
			require.Empty(t, a.leaks(got.Raw), "%s", path)
		}
		for k := range a.ids {
			if k != "api-tokens" && k != "invites" { // no GET by id
				owner.Must(http.StatusNotFound, "GET", "/api/v1/"+k+"/"+a.ids[k], nil)
			}
		}
	}},
	"POST /api/v1/auth/logout": {kind: "operator", check: func(t *testing.T, a, b *tenant) {
		// Logging out ends one's own session; A's session survives B's logout.
		c := env.Login(t, env.NewOperator(t, b.ws, "operator"))
		c.Must(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
		a.owner.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	}},
	"POST /api/v1/invites/accept": {kind: "public", check: func(t *testing.T, a, b *tenant) {
		// An invite id is not its token: nobody joins A with what lists show.
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/invites/accept", map[string]string{"token": a.ids["invites"], "name": "Mallory", "password": "long enough password"})
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	}},
	"POST /api/v1/password-resets/complete": {kind: "public", check: func(t *testing.T, a, b *tenant) {
		r := systest.NewClient(t, env.System.URL).Do("POST", "/api/v1/password-resets/complete", map[string]string{"token": a.ids["operators"], "password": "long enough password"})
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	}},
	"POST /api/v1/widget/sessions": {kind: "public", check: func(t *testing.T, a, b *tenant) {
		// A's inbox cannot be used from B's workspace...
		c := systest.NewClient(t, env.System.URL)
		r := c.Do("POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": b.ws.ID.String(), "inbox_id": a.ids["inboxes"]})
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		// ...and B's visitor token does not resume B's visitor inside A.
		r = c.Must(http.StatusCreated, "POST", "/api/v1/widget/sessions", map[string]string{"workspace_id": a.ws.ID.String(), "visitor_token": b.visitor.Token})
		require.Empty(t, b.leaks(r.Raw))
	}},

	"GET /api/v1/me":                             {kind: "operator", check: checkList("/api/v1/me", "")},
	"PUT /api/v1/me/status":                      {kind: "operator", check: checkOwnOnly("", "PUT", "/api/v1/me/status", map[string]string{"status": "online"})},
	"GET /api/v1/audit-log":                      {kind: "operator", minRole: "admin", check: checkList("/api/v1/audit-log", "admin")},
	"GET /api/v1/outbox/dead-letters":            {kind: "operator", minRole: "admin", check: checkDeadLetters},
	"POST /api/v1/outbox/dead-letters/:id/retry": {kind: "operator", minRole: "admin", check: checkDeadLetters},
	"GET /api/v1/conversations":                  {kind: "operator", check: checkList("/api/v1/conversations", "")},
	"GET /api/v1/conversation-counts":            {kind: "operator", check: checkList("/api/v1/conversation-counts", "")},
	"GET /api/v1/departments":                    {kind: "operator", check: checkList("/api/v1/departments", "")},
	"GET /api/v1/inboxes":                        {kind: "operator", check: checkList("/api/v1/inboxes", "")},
	"GET /api/v1/invites":                        {kind: "operator", minRole: "admin", check: checkList("/api/v1/invites", "admin")},
	"GET /api/v1/operators":                      {kind: "operator", check: checkList("/api/v1/operators", "")},
	"GET /api/v1/api-tokens":                     {kind: "operator", minRole: "admin", check: checkList("/api/v1/api-tokens", "admin")},
	"GET /api/v1/keyword-rules":                  {kind: "operator", minRole: "admin", check: checkList("/api/v1/keyword-rules", "admin")},
	"GET /api/v1/flows":                          {kind: "operator", minRole: "admin", check: checkList("/api/v1/flows", "admin")},
	"GET /api/v1/resolution-types":               {kind: "operator", check: checkList("/api/v1/resolution-types", "")},
	"GET /api/v1/team":                           {kind: "operator", minRole: "supervisor", check: checkList("/api/v1/team", "supervisor")},
	"PUT /api/v1/resolution-types": {kind: "operator", minRole: "admin", check: func(t *testing.T, a, b *tenant) {
		before := a.owner.Must(http.StatusOK, "GET", "/api/v1/resolution-types", nil).Raw
		body := map[string]any{"resolution_types": []map[string]string{{"key": "spam", "name": "B's spam"}}}
		b.owner.Must(http.StatusOK, "PUT", "/api/v1/resolution-types", body)
		require.Equal(t, string(before), string(a.owner.Must(http.StatusOK, "GET", "/api/v1/resolution-types", nil).Raw), "A's list changed")
		require.Equal(t, http.StatusForbidden, a.operator.Do("PUT", "/api/v1/resolution-types", body).Status)
	}},
	"GET /api/v1/contacts":                             {kind: "operator", check: checkList("/api/v1/contacts", "")},
	"POST /api/v1/contacts":                            {kind: "operator", check: checkOwnOnly("", "POST", "/api/v1/contacts", map[string]any{"name": "B's contact"})},
	"DELETE /api/v1/contacts/:id":                      {kind: "operator", minRole: "admin"},
	"POST /api/v1/contacts/:id/merge":                  {kind: "operator", minRole: "supervisor", body: func(*tenant) any { return map[string]any{"from_id": uuid.NewString()} }},
	"GET /api/v1/contacts/:id/comments":                {kind: "operator"},
	"POST /api/v1/contacts/:id/comments":               {kind: "operator", body: func(*tenant) any { return map[string]string{"body": "B's comment"} }},
	"PATCH /api/v1/contacts/:id/comments/:comment_id":  {kind: "operator", body: func(*tenant) any { return map[string]string{"body": "B was here"} }},
	"DELETE /api/v1/contacts/:id/comments/:comment_id": {kind: "operator"},
	"GET /api/v1/contact-attributes":                   {kind: "operator", check: checkList("/api/v1/contact-attributes", "")},
	"PUT /api/v1/contact-attributes": {kind: "operator", minRole: "admin", check: checkOwnOnly("admin", "PUT", "/api/v1/contact-attributes",
		map[string]any{"attributes": []map[string]string{{"key": "plan", "name": "Plan", "type": "text"}}})},
	"GET /api/v1/sla-policies": {kind: "operator", minRole: "supervisor", check: checkList("/api/v1/sla-policies", "supervisor")},
	"GET /api/v1/sla/report":   {kind: "operator", minRole: "supervisor", check: checkList("/api/v1/sla/report", "supervisor")},
	"GET /api/v1/sla/breaches": {kind: "operator", minRole: "supervisor", check: checkList("/api/v1/sla/breaches", "supervisor")},
	"POST /api/v1/sla/what-if": {kind: "operator", minRole: "supervisor", check: checkOwnOnly("supervisor", "POST", "/api/v1/sla/what-if",
		map[string]any{"policy": map[string]any{"name": "Candidate", "enabled": true, "targets": []map[string]any{{"metric": "first_response", "seconds": 60}}}})},
	"GET /api/v1/business-hours": {kind: "operator", check: checkList("/api/v1/business-hours", "")},
	"PUT /api/v1/business-hours": {kind: "operator", minRole: "admin", check: func(t *testing.T, a, b *tenant) {
		before := a.owner.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Raw
		body := map[string]any{"business_hours": map[string]any{"time_zone": "UTC", "hours": []map[string]any{{"days": []string{"mon"}, "from": "09:00", "to": "10:00"}}}}
		b.owner.Must(http.StatusOK, "PUT", "/api/v1/business-hours", body)
		require.Equal(t, string(before), string(a.owner.Must(http.StatusOK, "GET", "/api/v1/business-hours", nil).Raw), "A's hours changed")
		require.Equal(t, http.StatusForbidden, a.operator.Do("PUT", "/api/v1/business-hours", body).Status)
	}},
	"PUT /api/v1/sla-policies": {kind: "operator", minRole: "admin", check: checkForeignRefs("PUT", "/api/v1/sla-policies", func(a *tenant) any {
		return map[string]any{"policies": []map[string]any{{
			"name": "B's", "enabled": true, "conditions": map[string]any{"department_ids": []string{a.ids["departments"]}},
			"targets": []map[string]any{{"metric": "first_response", "seconds": 60}},
		}}}
	})},
	"GET /api/v1/flow-outcomes": {kind: "operator", minRole: "supervisor", check: checkList("/api/v1/flow-outcomes", "supervisor")},
	"POST /api/v1/flows": {kind: "operator", minRole: "admin", check: checkForeignRefs("POST", "/api/v1/flows", func(a *tenant) any {
		return map[string]any{"name": "B's flow", "document": map[string]any{"start": "out", "nodes": []map[string]any{
			{"id": "out", "kind": "handoff", "department_id": a.ids["departments"]},
		}}}
	})},
	"POST /api/v1/flows/simulate": {kind: "operator", minRole: "admin", check: checkForeignRefs("POST", "/api/v1/flows/simulate", func(a *tenant) any {
		return map[string]any{"flow_id": a.ids["flows"], "inputs": []map[string]string{{"text": "hi"}}}
	})},
	"POST /api/v1/keyword-rules": {kind: "operator", minRole: "admin", check: checkForeignRefs("POST", "/api/v1/keyword-rules", func(a *tenant) any {
		return map[string]any{"name": "B's rule", "phrases": []string{"urgent"}, "priority": "urgent", "department_id": a.ids["departments"]}
	})},
	"GET /api/v1/workspace":                         {kind: "operator", check: checkList("/api/v1/workspace", "")},
	"PATCH /api/v1/workspace":                       {kind: "operator", minRole: "admin", check: checkOwnOnly("admin", "PATCH", "/api/v1/workspace", map[string]any{"name": "renamed by B"})},
	"POST /api/v1/workspace/identity-secret/rotate": {kind: "operator", minRole: "admin", check: checkOwnOnly("admin", "POST", "/api/v1/workspace/identity-secret/rotate", nil)},
	"POST /api/v1/departments":                      {kind: "operator", minRole: "admin", check: checkOwnOnly("admin", "POST", "/api/v1/departments", map[string]any{"name": "B's own"})},
	"POST /api/v1/inboxes": {kind: "operator", minRole: "admin", check: checkForeignRefs("POST", "/api/v1/inboxes", func(a *tenant) any {
		return map[string]any{"name": "B's inbox", "department_ids": []string{a.ids["departments"]}}
	})},
	"POST /api/v1/invites": {kind: "operator", minRole: "admin", check: checkForeignRefs("POST", "/api/v1/invites", func(a *tenant) any {
		return map[string]any{"email": uuid.NewString() + "@x.invalid", "role": "operator", "department_ids": []string{a.ids["departments"]}}
	})},
	"POST /api/v1/api-tokens": {kind: "operator", minRole: "admin", check: checkOwnOnly("admin", "POST", "/api/v1/api-tokens", map[string]any{"name": "B's", "role": "operator"})},

	"GET /api/v1/conversations/:id":           {kind: "operator"},
	"GET /api/v1/conversations/:id/events":    {kind: "operator"},
	"GET /api/v1/conversations/:id/messages":  {kind: "operator"},
	"POST /api/v1/conversations/:id/messages": {kind: "operator", body: func(*tenant) any { return map[string]string{"body": "from B"} }},
	"POST /api/v1/conversations/:id/claim":    {kind: "operator"},
	"POST /api/v1/conversations/:id/assign": {kind: "operator", body: func(a *tenant) any {
		return map[string]any{"assignee_id": a.ids["operators"]}
	}},
	"POST /api/v1/conversations/:id/snooze":        {kind: "operator", body: func(*tenant) any { return map[string]any{"until_reply": true} }},
	"POST /api/v1/conversations/:id/wake":          {kind: "operator"},
	"POST /api/v1/conversations/:id/resolve":       {kind: "operator", body: func(*tenant) any { return map[string]any{"resolution": "spam"} }},
	"POST /api/v1/conversations/:id/reopen":        {kind: "operator"},
	"POST /api/v1/conversations/:id/priority":      {kind: "operator", body: func(*tenant) any { return map[string]any{"priority": "urgent"} }},
	"POST /api/v1/conversations/:id/hand-back":     {kind: "operator", body: func(*tenant) any { return map[string]any{"node": "hi"} }},
	"GET /api/v1/inboxes/:id/routing-rules":        {kind: "operator", minRole: "admin"},
	"PUT /api/v1/inboxes/:id/routing-rules":        {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"rules": []any{}} }},
	"POST /api/v1/conversations/:id/offer/accept":  {kind: "operator"},
	"POST /api/v1/conversations/:id/offer/decline": {kind: "operator"},
	"POST /api/v1/conversations/:id/transfer": {kind: "operator", minRole: "supervisor", body: func(a *tenant) any {
		return map[string]any{"department_id": a.ids["departments"]}
	}},
	"GET /api/v1/departments/:id":                         {kind: "operator"},
	"PATCH /api/v1/departments/:id":                       {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"name": "taken over"} }},
	"DELETE /api/v1/departments/:id":                      {kind: "operator", minRole: "admin"},
	"GET /api/v1/departments/:id/members":                 {kind: "operator"},
	"PUT /api/v1/departments/:id/members/:operator_id":    {kind: "operator", minRole: "admin"},
	"DELETE /api/v1/departments/:id/members/:operator_id": {kind: "operator", minRole: "admin"},
	"GET /api/v1/inboxes/:id":                             {kind: "operator"},
	"PATCH /api/v1/inboxes/:id":                           {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"name": "taken over"} }},
	"DELETE /api/v1/inboxes/:id":                          {kind: "operator", minRole: "admin"},
	"GET /api/v1/keyword-rules/:id":                       {kind: "operator", minRole: "admin"},
	"PATCH /api/v1/keyword-rules/:id": {kind: "operator", minRole: "admin", body: func(*tenant) any {
		return map[string]any{"name": "taken over", "phrases": []string{"x"}, "priority": "normal"}
	}},
	"DELETE /api/v1/keyword-rules/:id":        {kind: "operator", minRole: "admin"},
	"GET /api/v1/flows/:id":                   {kind: "operator", minRole: "admin"},
	"GET /api/v1/flows/:id/versions":          {kind: "operator", minRole: "admin"},
	"GET /api/v1/flows/:id/versions/:version": {kind: "operator", minRole: "admin"},
	"GET /api/v1/flows/:id/diff":              {kind: "operator", minRole: "admin"},
	"GET /api/v1/flows/:id/funnel":            {kind: "operator", minRole: "supervisor"},
	"PUT /api/v1/flows/:id": {kind: "operator", minRole: "admin", body: func(*tenant) any {
		return map[string]any{"name": "taken over", "document": map[string]any{"start": "e", "nodes": []map[string]any{{"id": "e", "kind": "end"}}}}
	}},
	"DELETE /api/v1/flows/:id":                  {kind: "operator", minRole: "admin"},
	"POST /api/v1/flows/:id/publish":            {kind: "operator", minRole: "admin"},
	"POST /api/v1/flows/:id/rollback":           {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"version": 1} }},
	"POST /api/v1/flows/:id/unpublish":          {kind: "operator", minRole: "admin"},
	"DELETE /api/v1/invites/:id":                {kind: "operator", minRole: "admin"},
	"GET /api/v1/operators/:id":                 {kind: "operator"},
	"PATCH /api/v1/operators/:id":               {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"role": "admin"} }},
	"POST /api/v1/operators/:id/deactivate":     {kind: "operator", minRole: "admin"},
	"POST /api/v1/operators/:id/reactivate":     {kind: "operator", minRole: "admin"},
	"POST /api/v1/operators/:id/release":        {kind: "operator", minRole: "supervisor"},
	"POST /api/v1/departments/:id/distribute":   {kind: "operator", minRole: "supervisor"},
	"POST /api/v1/operators/:id/password-reset": {kind: "operator", minRole: "admin"},
	"DELETE /api/v1/api-tokens/:id":             {kind: "operator", minRole: "admin"},
	"GET /api/v1/contacts/:id":                  {kind: "operator"},
	"GET /api/v1/conversations/:id/history":     {kind: "operator"},
	"PATCH /api/v1/contacts/:id":                {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"cs_notes": "B was here"} }},

	"GET /api/v1/conversations/:id/notes":             {kind: "operator"},
	"POST /api/v1/conversations/:id/notes":            {kind: "operator", body: func(*tenant) any { return map[string]string{"body": "B's note"} }},
	"PATCH /api/v1/conversations/:id/notes/:note_id":  {kind: "operator", body: func(*tenant) any { return map[string]string{"body": "B was here"} }},
	"DELETE /api/v1/conversations/:id/notes/:note_id": {kind: "operator"},
	"PUT /api/v1/conversations/:id/tags/:tag_id":      {kind: "operator"},
	"DELETE /api/v1/conversations/:id/tags/:tag_id":   {kind: "operator"},
	"PUT /api/v1/contacts/:id/tags/:tag_id":           {kind: "operator"},
	"DELETE /api/v1/contacts/:id/tags/:tag_id":        {kind: "operator"},
	"GET /api/v1/tags":                                {kind: "operator", check: checkList("/api/v1/tags", "")},
	"POST /api/v1/tags":                               {kind: "operator", check: checkOwnOnly("", "POST", "/api/v1/tags", map[string]any{"name": "B's tag"})},
	"GET /api/v1/tags/:id":                            {kind: "operator"},
	"PATCH /api/v1/tags/:id":                          {kind: "operator", minRole: "admin", body: func(*tenant) any { return map[string]any{"name": "taken over"} }},
	"POST /api/v1/tags/:id/merge":                     {kind: "operator", minRole: "admin", body: func(a *tenant) any { return map[string]any{"into_id": uuid.NewString()} }},
	"DELETE /api/v1/tags/:id":                         {kind: "operator", minRole: "admin"},
	"GET /api/v1/notifications":                       {kind: "operator", check: checkList("/api/v1/notifications", "")},
	"GET /api/v1/notifications/unread-count":          {kind: "operator", check: checkList("/api/v1/notifications/unread-count", "")},
	"POST /api/v1/notifications/:id/read":             {kind: "operator"},
	"POST /api/v1/notifications/:id/unread":           {kind: "operator"},
	"POST /api/v1/notifications/:id/archive":          {kind: "operator"},
	"POST /api/v1/notifications/:id/unarchive":        {kind: "operator"},
	"POST /api/v1/notifications/read-all": {kind: "operator", check: func(t *testing.T, a, b *tenant) {
		// B's read-all reads B's items only.
		b.owner.Must(http.StatusOK, "POST", "/api/v1/notifications/read-all", nil)
		require.EqualValues(t, 1, a.supervisor.Must(http.StatusOK, "GET", "/api/v1/notifications/unread-count", nil).Body["unread"])
	}},

	"GET /api/v1/widget/conversations/:id":           {kind: "visitor"},
	"GET /api/v1/widget/conversations/:id/messages":  {kind: "visitor"},
	"POST /api/v1/widget/conversations/:id/messages": {kind: "visitor", body: func(*tenant) any { return map[string]string{"body": "from B's visitor"} }},
	"GET /api/v1/widget/conversations": {kind: "visitor", check: func(t *testing.T, a, b *tenant) {
		r := b.visitor.Must(http.StatusOK, "GET", "/api/v1/widget/conversations", nil)
		require.Empty(t, a.leaks(r.Raw))
	}},
	"POST /api/v1/widget/conversations": {kind: "visitor", check: func(t *testing.T, a, b *tenant) {
		r := b.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", map[string]string{"message": "hi"})
		require.Empty(t, a.leaks(r.Raw))
		list := a.owner.Must(http.StatusOK, "GET", "/api/v1/conversations", nil)
		require.NotContains(t, string(list.Raw), r.Body["conversation"].(map[string]any)["id"])
	}},
	"POST /api/v1/widget/identify": {kind: "visitor", check: func(t *testing.T, a, b *tenant) {
		// A's customer id signed with A's secret means nothing in B.
		secret := a.owner.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Body["workspace"].(map[string]any)["identity_secret"].(string)
		key, _ := hex.DecodeString(secret)
		m := hmac.New(sha256.New, key)
		m.Write([]byte("customer-42"))
		r := b.visitor.Do("POST", "/api/v1/widget/identify", map[string]string{"external_id": "customer-42", "user_hash": hex.EncodeToString(m.Sum(nil))})
		require.NotEqual(t, true, r.Body["verified"], string(r.Raw))
		require.Empty(t, a.leaks(r.Raw))
	}},
}

// TestEveryRouteIsIsolated walks the router's own route list: for every
// route it tries another workspace's ids (404) and a role too low (403),
// and a route without a case fails, so a new route cannot slip through
// untested.
func TestEveryRouteIsIsolated(t *testing.T) {
	t.Parallel()
	a, b := newTenant(t), newTenant(t)
	routes := env.System.API.Routes()
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		seen[key] = true
		rc, ok := isolationCases[key]
		if !ok {
			t.Errorf("route %s has no isolation case: add one to isolationCases", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			switch {
			case rc.check != nil:
				rc.check(t, a, b)
			case rc.kind == "infra":
				resp, err := http.Get(env.System.URL + r.Path)
				require.NoError(t, err)
				defer resp.Body.Close()
				raw := make([]byte, 1<<20)
				n, _ := resp.Body.Read(raw)
				require.Empty(t, a.leaks(raw[:n]))
			case rc.kind == "operator":
				probeOperatorRoute(t, r.Method, r.Path, rc, a, b)
			case rc.kind == "visitor":
				var body any
				if rc.body != nil {
					body = rc.body(a)
				}
				got := b.visitor.Do(r.Method, a.path(r.Path), body)
				require.Equal(t, http.StatusNotFound, got.Status, "B's visitor on A's %s: %s", r.Path, got.Raw)
				// The other visitor of the same workspace neither.
				other := env.Visitor(t, a.ws)
				got = other.Do(r.Method, a.path(r.Path), body)
				require.Equal(t, http.StatusNotFound, got.Status, "another visitor of A: %s", got.Raw)
			default:
				t.Fatalf("case %s has kind %q and no check", key, rc.kind)
			}
		})
	}
	for key := range isolationCases {
		if !seen[key] {
			t.Errorf("isolation case %s names no route: remove it", key)
		}
	}
	// Nothing B did reached A.
	conv := a.owner.Must(http.StatusOK, "GET", "/api/v1/conversations/"+a.ids["conversations"], nil).Body["conversation"].(map[string]any)
	require.Equal(t, "open", conv["status"])
	require.Equal(t, "queued", conv["phase"])
	msgs := a.owner.Must(http.StatusOK, "GET", "/api/v1/conversations/"+a.ids["conversations"]+"/messages", nil)
	require.NotContains(t, string(msgs.Raw), "from B")
	dept := a.owner.Must(http.StatusOK, "GET", "/api/v1/departments/"+a.ids["departments"], nil).Body["department"].(map[string]any)
	require.Equal(t, "Sales", dept["name"])
}

// probeOperatorRoute: B's owner (every permission, wrong workspace) gets
// 404 on A's ids; A's plain operator gets 403, or 404 where it may not see
// the resource; nobody logged in gets 401.
func probeOperatorRoute(t *testing.T, method, route string, rc routeCase, a, b *tenant) {
	var body any
	if rc.body != nil {
		body = rc.body(a)
	}
	path := a.path(route)
	got := b.owner.Do(method, path, body)
	require.Equal(t, http.StatusNotFound, got.Status, "B's owner on A's %s: %s", path, got.Raw)
	require.Empty(t, a.leaks(got.Raw), "a 404 body must not echo A's data")

	if rc.minRole != "" || strings.HasPrefix(route, "/api/v1/conversations/") {
		got = a.operator.Do(method, path, body)
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, got.Status, "A's plain operator on %s: %s", path, got.Raw)
	}
	anon := systest.NewClient(t, env.System.URL)
	require.Equal(t, http.StatusUnauthorized, anon.Do(method, path, body).Status)
}

// checkList: a workspace-wide read shows B only B's things, and is 403 for
// a role below the route's.
func checkList(path, minRole string) func(t *testing.T, a, b *tenant) {
	return func(t *testing.T, a, b *tenant) {
		r := b.owner.Must(http.StatusOK, "GET", path, nil)
		require.Empty(t, a.leaks(r.Raw), "B's owner sees A's %v in %s", a.leaks(r.Raw), path)
		if minRole != "" {
			a.operator.Must(http.StatusForbidden, "GET", path, nil)
		}
	}
}

// checkOwnOnly: a write without ids acts on the caller's own workspace;
// A is untouched, and a role below the route's gets 403.
func checkOwnOnly(minRole, method, path string, body any) func(t *testing.T, a, b *tenant) {
	return func(t *testing.T, a, b *tenant) {
		before := a.owner.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Raw
		r := b.owner.Do(method, path, body)
		require.Less(t, r.Status, 300, "B's owner on its own workspace: %s", r.Raw)
		require.Empty(t, a.leaks(r.Raw))
		require.Equal(t, string(before), string(a.owner.Must(http.StatusOK, "GET", "/api/v1/workspace", nil).Raw), "A's workspace changed")
		if minRole != "" {
			got := a.operator.Do(method, path, body)
			require.Equal(t, http.StatusForbidden, got.Status, string(got.Raw))
		}
	}
}

// checkForeignRefs: a write whose body names A's ids is refused.
func checkForeignRefs(method, path string, body func(a *tenant) any) func(t *testing.T, a, b *tenant) {
	return func(t *testing.T, a, b *tenant) {
		r := b.owner.Do(method, path, body(a))
		require.Contains(t, []int{http.StatusNotFound, http.StatusUnprocessableEntity}, r.Status, "B referencing A's ids: %s", r.Raw)
		got := a.operator.Do(method, path, body(a))
		require.Equal(t, http.StatusForbidden, got.Status, string(got.Raw))
	}
}

// checkOperatorSocket: B's sockets and A's operator outside the department
// receive nothing of A's conversation; A's supervisor does.
func checkOperatorSocket(t *testing.T, a, b *tenant) {
	bSock := b.owner.Dial()
	outsider := a.operator.Dial()
	sup := a.supervisor.Dial()
	a.visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+a.ids["conversations"]+"/messages", map[string]string{"body": "psst"})
	sup.WaitFor(3*time.Second, "A's supervisor gets the message", func(f systest.Frame) bool {
		return f.Type == "message.created" && f.ConversationID == a.ids["conversations"]
	})
	for _, s := range []*systest.Socket{bSock, outsider} {
		requireSilent(t, s, a)
	}
}

// checkWidgetSocket: B's visitor socket receives nothing of A.
func checkWidgetSocket(t *testing.T, a, b *tenant) {
	sock := b.visitor.Dial()
	mine := a.visitor.Dial()
	a.owner.Must(http.StatusCreated, "POST", "/api/v1/conversations/"+a.ids["conversations"]+"/messages", map[string]string{"body": "for A's visitor only"})
	mine.WaitFor(3*time.Second, "A's visitor gets the reply", func(f systest.Frame) bool { return f.Type == "message.created" })
	requireSilent(t, sock, a)
}

func requireSilent(t *testing.T, s *systest.Socket, a *tenant) {
	t.Helper()
	for _, f := range s.Drain(300 * time.Millisecond) {
		require.False(t, slices.Contains(a.leaks(f.Raw), "conversations"), "socket got A's event: %s", f.Raw)
	}
}

// checkDeadLetters: B's owner neither sees nor retries A's dead outbox
// rows, and A's plain operator may do neither.
func checkDeadLetters(t *testing.T, a, b *tenant) {
	var id int64
	require.NoError(t, env.System.Pool.QueryRow(context.Background(), `
		INSERT INTO outbox (workspace_id, conversation_id, kind, payload, attempts, last_error, dead_at)
		VALUES ($1, $2, 'message.created', '{}', 8, 'refused', now()) RETURNING id`,
		a.ws.ID, uuid.MustParse(a.ids["conversations"])).Scan(&id))
	path := "/api/v1/outbox/dead-letters"
	r := b.owner.Must(http.StatusOK, "GET", path, nil)
	require.NotContains(t, string(r.Raw), a.ids["conversations"])
	b.owner.Must(http.StatusNotFound, "POST", fmt.Sprintf("%s/%d/retry", path, id), nil)
	a.operator.Must(http.StatusForbidden, "GET", path, nil)
	a.operator.Must(http.StatusForbidden, "POST", fmt.Sprintf("%s/%d/retry", path, id), nil)
	require.Contains(t, string(a.owner.Must(http.StatusOK, "GET", path, nil).Raw), a.ids["conversations"])
}

// checkWidgetPage: the widget's pages name an inbox by its id, which a
// site's snippet makes public; A's inbox shows A's workspace (the frame
// needs its id to open a visitor session) and none of A's other ids, and
// nothing of B.
func checkWidgetPage(path string) func(t *testing.T, a, b *tenant) {
	return func(t *testing.T, a, b *tenant) {
		resp, err := http.Get(env.System.URL + path + "?inbox=" + a.ids["inboxes"])
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		leaked := a.leaks(raw)
		slices.Sort(leaked)
		require.Subset(t, []string{"inboxes"}, leaked, "only the inbox's own id")
		require.Empty(t, b.leaks(raw))
	}
}

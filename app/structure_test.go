package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// structure is one test's workspace with departments A and B: an admin, an
// operator and a supervisor of A, an operator of B, and an inbox per
// department whose widget queues conversations there.
type structure struct {
	t              testing.TB
	ws             store.Workspace
	admin          *systest.Client
	deptA, deptB   string
	inboxA, inboxB string

	opA, supA, opB       store.Operator
	opAC, supAC, opBC    *systest.Client
	opAID, supAID, opBID string
	opA2                 store.Operator
	opA2C                *systest.Client
	opA2ID               string
}

func setupStructure(t *testing.T) *structure {
	t.Helper()
	o := &structure{t: t, ws: env.NewWorkspace(t)}
	o.admin = env.Login(t, env.NewOperator(t, o.ws, "admin"))
	o.deptA = o.department("Sales")
	o.deptB = o.department("Support")
	o.opA, o.opAC, o.opAID = o.member("operator", o.deptA)
	o.opA2, o.opA2C, o.opA2ID = o.member("operator", o.deptA)
	o.supA, o.supAC, o.supAID = o.member("supervisor", o.deptA)
	o.opB, o.opBC, o.opBID = o.member("operator", o.deptB)
	o.inboxA = o.inbox("Sales widget", []string{o.deptA}, nil, nil)
	o.inboxB = o.inbox("Support widget", []string{o.deptB}, &o.deptB, nil)
	return o
}

func (o *structure) department(name string) string {
	o.t.Helper()
	r := o.admin.Must(http.StatusCreated, "POST", "/api/v1/departments", map[string]string{"name": name})
	return r.Body["department"].(map[string]any)["id"].(string)
}

// member creates an operator with role, adds them to dept and logs them in
// (after the membership, so the session has it from the start).
func (o *structure) member(role, dept string) (store.Operator, *systest.Client, string) {
	o.t.Helper()
	op := env.NewOperator(o.t, o.ws, role)
	o.admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+dept+"/members/"+op.ID.String(), nil)
	return op, env.Login(o.t, op), op.ID.String()
}

func (o *structure) inbox(name string, depts []string, def *string, origins []string) string {
	o.t.Helper()
	body := map[string]any{"name": name, "department_ids": depts}
	if def != nil {
		body["default_department_id"] = *def
	}
	if origins != nil {
		body["allowed_origins"] = origins
	}
	r := o.admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", body)
	return r.Body["inbox"].(map[string]any)["id"].(string)
}

// widgetSession posts a widget session request as a page of origin would
// ("" sends no Origin, like a non-browser client).
func postWidgetSession(t testing.TB, body map[string]any, origin string) systest.Response {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest("POST", env.System.URL+"/api/v1/widget/sessions", bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := systest.Response{Status: resp.StatusCode, Header: resp.Header}
	out.Raw, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(out.Raw) > 0 {
		require.NoError(t, json.Unmarshal(out.Raw, &out.Body), string(out.Raw))
	}
	return out
}

// inboxVisitor is a visitor of an inbox's widget.
func (o *structure) inboxVisitor(inbox string) *systest.Client {
	o.t.Helper()
	r := postWidgetSession(o.t, map[string]any{"workspace_id": o.ws.ID.String(), "inbox_id": inbox}, "")
	require.Equal(o.t, http.StatusCreated, r.Status, string(r.Raw))
	c := systest.NewClient(o.t, env.System.URL)
	c.Token = r.Body["token"].(string)
	return c
}

func convPath(id, suffix string) string { return "/api/v1/conversations/" + id + suffix }

func convField(r systest.Response, name string) any { return convBody(r)[name] }

// noFrameFor waits for a frame of marker and fails if a frame of
// forbidden came first: Deliver is sequential, so a socket that gets the
// later marker without the earlier event never got that event.
func noFrameFor(t *testing.T, s *systest.Socket, forbidden, marker string) {
	t.Helper()
	var leaked []string
	s.WaitFor(5*time.Second, "marker event", func(f systest.Frame) bool {
		if f.ConversationID == forbidden {
			leaked = append(leaked, f.Type)
		}
		return f.ConversationID == marker
	})
	require.Empty(t, leaked, "events of a conversation the operator may not see")
}

func requireSocketClosedWith(t *testing.T, s *systest.Socket, code int) {
	t.Helper()
	err := s.WaitClosed(5 * time.Second)
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
	require.Equal(t, code, ce.Code)
}

func TestDepartmentIsolation(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	sockA, sockB := o.opAC.Dial(), o.opBC.Dial()

	visitor := o.inboxVisitor(o.inboxB)
	conv := visitor.StartConversation("my parcel is late")
	got := o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	require.Equal(t, o.deptB, convField(got, "department_id"))
	require.Equal(t, o.inboxB, convField(got, "inbox_id"))

	// B's operator gets the first message live; A's operator never does.
	sockB.WaitFor(5*time.Second, "B's message", func(f systest.Frame) bool {
		return f.Type == "message.created" && f.ConversationID == conv
	})
	marker := o.inboxVisitor(o.inboxA).StartConversation("a question for sales")
	noFrameFor(t, sockA, conv, marker)

	// Not through any endpoint either: what A cannot see does not exist.
	for _, req := range []struct {
		method, suffix string
		body           any
	}{
		{"GET", "", nil},
		{"GET", "/messages", nil},
		{"GET", "/events", nil},
		{"POST", "/messages", map[string]string{"body": "hi"}},
		{"POST", "/claim", nil},
		{"POST", "/assign", map[string]any{"assignee_id": o.opAID}},
		{"POST", "/snooze", map[string]any{"until_reply": true}},
		{"POST", "/wake", nil},
		{"POST", "/resolve", map[string]string{"resolution": "answered_question"}},
		{"POST", "/reopen", nil},
		{"POST", "/transfer", map[string]any{"department_id": o.deptA}},
	} {
		r := o.opAC.Do(req.method, convPath(conv, req.suffix), req.body)
		require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", req.method, req.suffix, r.Raw)
	}
	list := o.opAC.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"].([]any)
	require.Equal(t, []string{marker}, convIDs(list))

	// Later events of the conversation do not reach A either.
	o.opBC.Must(http.StatusOK, "POST", convPath(conv, "/claim"), nil)
	sockB.WaitFor(5*time.Second, "claimed", systest.Updated(conv, "open", "claimed"))
	o.opBC.Must(http.StatusCreated, "POST", convPath(conv, "/messages"), map[string]string{"body": "on it"})
	o.opAC.Must(http.StatusCreated, "POST", convPath(marker, "/messages"), map[string]string{"body": "second marker"})
	noFrameFor(t, sockA, conv, marker)
}

func TestAssignedConversationStaysVisible(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	mine := o.inboxVisitor(o.inboxB).StartConversation("first")
	queued := o.inboxVisitor(o.inboxB).StartConversation("second")
	o.opBC.Must(http.StatusOK, "POST", convPath(mine, "/claim"), nil)

	// B's operator leaves B: B's queue is gone for them, the conversation
	// assigned to them is not.
	o.admin.Must(http.StatusNoContent, "DELETE", "/api/v1/departments/"+o.deptB+"/members/"+o.opBID, nil)
	o.opBC.Must(http.StatusNotFound, "GET", convPath(queued, ""), nil)
	got := o.opBC.Must(http.StatusOK, "GET", convPath(mine, ""), nil)
	require.Equal(t, o.opBID, convField(got, "assignee_id"))
	list := o.opBC.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"].([]any)
	require.Equal(t, []string{mine}, convIDs(list))
	o.opBC.Must(http.StatusCreated, "POST", convPath(mine, "/messages"), map[string]string{"body": "still mine"})

	// They may release it; then it is B's queue's, no longer theirs.
	o.opBC.Must(http.StatusOK, "POST", convPath(mine, "/assign"), map[string]any{"assignee_id": nil})
	o.opBC.Must(http.StatusNotFound, "GET", convPath(mine, ""), nil)
}

func TestSupervisorManagesDepartment(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	supSock := o.supAC.Dial()
	conv := o.inboxVisitor(o.inboxA).StartConversation("only department: routed to A")
	got := o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	require.Equal(t, o.deptA, convField(got, "department_id"), "an inbox's only department is its default")

	o.opAC.Must(http.StatusOK, "POST", convPath(conv, "/claim"), nil)
	supSock.WaitFor(5*time.Second, "a colleague's claim", systest.Updated(conv, "open", "claimed"))

	// A colleague's conversation: hidden from another operator of A,
	// visible to A's supervisor.
	o.opA2C.Must(http.StatusNotFound, "GET", convPath(conv, ""), nil)
	o.supAC.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	list := o.supAC.Must(http.StatusOK, "GET", "/api/v1/conversations?assignee_id="+o.opAID, nil).Body["conversations"].([]any)
	require.Equal(t, []string{conv}, convIDs(list))

	// The operator may not hand it over, the supervisor may.
	r := o.opAC.Must(http.StatusForbidden, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": o.opA2ID})
	require.Equal(t, "forbidden", r.ErrorCode())
	r = o.supAC.Must(http.StatusUnprocessableEntity, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": o.opBID})
	require.Equal(t, "assignee_id", r.ErrorField(), "B's operator does not work A's conversations")
	r = o.supAC.Must(http.StatusOK, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": o.opA2ID})
	require.Equal(t, o.opA2ID, convField(r, "assignee_id"))
	o.opAC.Must(http.StatusNotFound, "GET", convPath(conv, ""), nil)
	o.opA2C.Must(http.StatusOK, "GET", convPath(conv, ""), nil)

	// Nor take it from a colleague, even for themselves.
	o.opAC.Must(http.StatusNotFound, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": o.opAID})
	r = o.opA2C.Must(http.StatusForbidden, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": o.opAID})
	require.Equal(t, "forbidden", r.ErrorCode())

	// Releasing their own sends it back to A's queue.
	r = o.opA2C.Must(http.StatusOK, "POST", convPath(conv, "/assign"), map[string]any{"assignee_id": nil})
	require.Equal(t, "queued", convField(r, "phase"))
	o.opAC.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	sockA, sockB := o.opAC.Dial(), o.opBC.Dial()
	conv := o.inboxVisitor(o.inboxA).StartConversation("this is a support question really")
	o.opAC.Must(http.StatusOK, "GET", convPath(conv, ""), nil)

	r := o.opAC.Must(http.StatusForbidden, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptB})
	require.Equal(t, "forbidden", r.ErrorCode())
	r = o.supAC.Must(http.StatusUnprocessableEntity, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": uuid.NewString()})
	require.Equal(t, "department_id", r.ErrorField())
	other := setupStructure(t)
	r = o.supAC.Must(http.StatusUnprocessableEntity, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": other.deptB})
	require.Equal(t, "department_id", r.ErrorField(), "another workspace's department")
	r = o.supAC.Must(http.StatusUnprocessableEntity, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptB, "assignee_id": o.opAID})
	require.Equal(t, "assignee_id", r.ErrorField(), "A's operator does not work B")
	r = o.supAC.Must(http.StatusBadRequest, "POST", convPath(conv, "/transfer"), map[string]any{})
	require.Equal(t, "department_id", r.ErrorField())

	r = o.supAC.Must(http.StatusBadRequest, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptB, "note": "bell\a"})
	require.Equal(t, "note", r.ErrorField())
	r = o.supAC.Must(http.StatusOK, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptB, "note": "Billing question, \"urgent\".\nSee order 4411."})
	require.Equal(t, o.deptB, convField(r, "department_id"))
	require.Equal(t, "queued", convField(r, "phase"))

	// A's operator hears it leave, B's hears it arrive; then A cannot see it.
	sockA.WaitFor(5*time.Second, "transferred away", systest.Updated(conv, "open", "transferred"))
	sockB.WaitFor(5*time.Second, "transferred here", systest.Updated(conv, "open", "transferred"))
	o.opAC.Must(http.StatusNotFound, "GET", convPath(conv, ""), nil)
	list := o.opAC.Must(http.StatusOK, "GET", "/api/v1/conversations", nil).Body["conversations"].([]any)
	require.NotContains(t, convIDs(list), conv)
	got := o.opBC.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	events := got.Body["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	require.Equal(t, "transferred", last["type"])
	require.Equal(t, map[string]any{"from_department_id": o.deptA, "to_department_id": o.deptB, "note": "Billing question, \"urgent\".\nSee order 4411."}, last["data"])

	// Messages after the move follow it.
	o.opBC.Must(http.StatusCreated, "POST", convPath(conv, "/messages"), map[string]string{"body": "support here"})
	marker := o.inboxVisitor(o.inboxA).StartConversation("marker")
	noFrameFor(t, sockA, conv, marker)

	// The supervisor of A no longer manages it; an admin moves it back to
	// an operator of A.
	o.supAC.Must(http.StatusNotFound, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptA})
	r = o.admin.Must(http.StatusOK, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptA, "assignee_id": o.opAID})
	require.Equal(t, o.opAID, convField(r, "assignee_id"))
	require.Equal(t, "assigned", convField(r, "phase"))
	o.admin.Must(http.StatusConflict, "POST", convPath(conv, "/transfer"), map[string]any{"department_id": o.deptA, "assignee_id": o.opAID})
}

func TestMembershipChangeClosesSocket(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	sock := o.opAC.Dial()
	bystander := o.opBC.Dial()
	o.admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+o.deptB+"/members/"+o.opAID, nil)
	requireSocketClosedWith(t, sock, 4003)

	// Reconnected, the operator has B's access at once.
	sock = o.opAC.Dial()
	conv := o.inboxVisitor(o.inboxB).StartConversation("now visible to A's operator too")
	sock.WaitFor(5*time.Second, "B's message", func(f systest.Frame) bool { return f.ConversationID == conv })
	bystander.WaitFor(5*time.Second, "B's message", func(f systest.Frame) bool { return f.ConversationID == conv })

	// Adding again changes nothing: the socket stays.
	o.admin.Must(http.StatusNoContent, "PUT", "/api/v1/departments/"+o.deptB+"/members/"+o.opAID, nil)
	o.opBC.Must(http.StatusCreated, "POST", convPath(conv, "/messages"), map[string]string{"body": "still there?"})
	sock.WaitFor(5*time.Second, "a later message", func(f systest.Frame) bool {
		return f.ConversationID == conv && strings.Contains(string(f.Data), "still there?")
	})
	o.admin.Must(http.StatusNoContent, "DELETE", "/api/v1/departments/"+o.deptB+"/members/"+o.opAID, nil)
	requireSocketClosedWith(t, sock, 4003)
	o.admin.Must(http.StatusNotFound, "DELETE", "/api/v1/departments/"+o.deptB+"/members/"+o.opAID, nil)
	o.opAC.Must(http.StatusNotFound, "GET", convPath(conv, ""), nil)
}

func TestDepartmentsAndInboxesAdminOnly(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	dept := "/api/v1/departments/" + o.deptA
	inbox := "/api/v1/inboxes/" + o.inboxA
	for _, c := range []*systest.Client{o.opAC, o.supAC} {
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/departments", map[string]string{"name": "Mine"}},
			{"PATCH", dept, map[string]string{"name": "Renamed"}},
			{"DELETE", dept, nil},
			{"PUT", dept + "/members/" + o.opBID, nil},
			{"DELETE", dept + "/members/" + o.opAID, nil},
			{"POST", "/api/v1/inboxes", map[string]any{"name": "Mine"}},
			{"PATCH", inbox, map[string]any{"name": "Renamed"}},
			{"DELETE", inbox, nil},
		} {
			r := c.Do(req.method, req.path, req.body)
			require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", req.method, req.path, r.Raw)
		}
		// Everyone reads them.
		deps := c.Must(http.StatusOK, "GET", "/api/v1/departments", nil).Body["departments"].([]any)
		require.Len(t, deps, 2)
		c.Must(http.StatusOK, "GET", dept, nil)
		members := c.Must(http.StatusOK, "GET", dept+"/members", nil).Body["members"].([]any)
		require.Len(t, members, 3)
		inboxes := c.Must(http.StatusOK, "GET", "/api/v1/inboxes", nil).Body["inboxes"].([]any)
		require.Len(t, inboxes, 2)
		c.Must(http.StatusOK, "GET", inbox, nil)
	}

	// Another workspace's ids name nothing, also for its admin.
	other := setupStructure(t)
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", dept, nil},
		{"PATCH", dept, map[string]string{"name": "Taken over"}},
		{"DELETE", dept, nil},
		{"GET", dept + "/members", nil},
		{"PUT", dept + "/members/" + other.opAID, nil},
		{"PUT", "/api/v1/departments/" + other.deptA + "/members/" + o.opBID, nil},
		{"DELETE", dept + "/members/" + o.opAID, nil},
		{"GET", inbox, nil},
		{"PATCH", inbox, map[string]any{"name": "Taken over"}},
		{"DELETE", inbox, nil},
		{"GET", "/api/v1/departments/not-an-id", nil},
	} {
		r := other.admin.Do(req.method, req.path, req.body)
		require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", req.method, req.path, r.Raw)
	}
	r := other.admin.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/inboxes", map[string]any{"name": "Stolen", "department_ids": []string{o.deptA}})
	require.Equal(t, "department_ids", r.ErrorField())
	o.admin.Must(http.StatusOK, "GET", dept, nil)
}

func TestDepartmentLifecycle(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	r := o.admin.Must(http.StatusConflict, "POST", "/api/v1/departments", map[string]string{"name": "Sales"})
	require.Equal(t, "name", r.ErrorField())
	r = o.admin.Must(http.StatusBadRequest, "POST", "/api/v1/departments", map[string]string{"name": "  "})
	require.Equal(t, "name", r.ErrorField())
	r = o.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+o.deptA, map[string]string{"name": "Sales EMEA"})
	require.Equal(t, "Sales EMEA", r.Body["department"].(map[string]any)["name"])
	o.admin.Must(http.StatusNotFound, "PUT", "/api/v1/departments/"+o.deptA+"/members/"+uuid.NewString(), nil)

	// A department with open work cannot go; once it is resolved it can,
	// and the conversation keeps its history, unrouted.
	v := o.inboxVisitor(o.inboxA)
	conv := v.StartConversation("hello")
	r = o.admin.Must(http.StatusConflict, "DELETE", "/api/v1/departments/"+o.deptA, nil)
	require.Equal(t, "department_in_use", r.ErrorCode())
	sock := o.opAC.Dial()
	o.opAC.Must(http.StatusOK, "POST", convPath(conv, "/resolve"), map[string]string{"resolution": "answered_question"})
	o.admin.Must(http.StatusNoContent, "DELETE", "/api/v1/departments/"+o.deptA, nil)
	requireSocketClosedWith(t, sock, 4003)
	o.admin.Must(http.StatusNotFound, "GET", "/api/v1/departments/"+o.deptA, nil)
	got := o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	require.Nil(t, convField(got, "department_id"))
	require.Equal(t, "resolved", convField(got, "status"))
	msgs := o.admin.Must(http.StatusOK, "GET", convPath(conv, "/messages"), nil).Body["messages"].([]any)
	require.Len(t, msgs, 1)
	inbox := o.admin.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+o.inboxA, nil).Body["inbox"].(map[string]any)
	require.Empty(t, inbox["department_ids"])

	// Reopened, it is unrouted and its workflow still persists changes.
	r = o.admin.Must(http.StatusOK, "POST", convPath(conv, "/reopen"), nil)
	require.Equal(t, "open", convField(r, "status"))

	var actions []string
	for _, e := range o.admin.Must(http.StatusOK, "GET", "/api/v1/audit-log?limit=200", nil).Body["entries"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	for _, want := range []string{"department.created", "department.renamed", "department.deleted", "department.member_added", "inbox.created"} {
		require.Contains(t, actions, want)
	}
}

func TestInboxes(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	for _, tc := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{}, 400, "name"},
		{map[string]any{"name": "Shop", "allowed_origins": []string{"https://shop.example/path"}}, 400, "allowed_origins"},
		{map[string]any{"name": "Shop", "allowed_origins": []string{"ftp://shop.example"}}, 400, "allowed_origins"},
		{map[string]any{"name": "Shop", "allowed_origins": []string{"*.shop.example"}}, 400, "allowed_origins"},
		{map[string]any{"name": "Shop", "department_ids": []string{"nope"}}, 400, "department_ids"},
		{map[string]any{"name": "Shop", "department_ids": []string{uuid.NewString()}}, 422, "department_ids"},
		{map[string]any{"name": "Shop", "department_ids": []string{o.deptA}, "default_department_id": o.deptB}, 422, "default_department_id"},
		{map[string]any{"name": "Shop", "default_department_id": 7}, 400, "default_department_id"},
		{map[string]any{"name": "Sales widget"}, 409, "name"},
	} {
		r := o.admin.Do("POST", "/api/v1/inboxes", tc.body)
		require.Equal(t, tc.status, r.Status, "%v: %s", tc.body, r.Raw)
		require.Equal(t, tc.field, r.ErrorField(), "%v", tc.body)
	}

	r := o.admin.Must(http.StatusCreated, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Shop", "department_ids": []string{o.deptA, o.deptB}, "default_department_id": o.deptB,
		"allowed_origins": []string{"HTTPS://Shop.Example:443", "http://localhost:8080"},
	})
	created := r.Body["inbox"].(map[string]any)
	id := created["id"].(string)
	require.Equal(t, []any{"https://shop.example", "http://localhost:8080"}, created["allowed_origins"])
	require.Equal(t, o.deptB, created["default_department_id"])

	// PATCH changes only what it names; null clears the default.
	r = o.admin.Must(http.StatusOK, "PATCH", "/api/v1/inboxes/"+id, map[string]any{"default_department_id": nil})
	patched := r.Body["inbox"].(map[string]any)
	require.Nil(t, patched["default_department_id"])
	require.Equal(t, "Shop", patched["name"])
	require.Len(t, patched["department_ids"], 2)
	r = o.admin.Must(http.StatusUnprocessableEntity, "PATCH", "/api/v1/inboxes/"+o.inboxB, map[string]any{"department_ids": []string{o.deptA}})
	require.Equal(t, "default_department_id", r.ErrorField(), "the default must stay one of its departments")

	// Two departments and no default: conversations wait unrouted.
	conv := o.inboxVisitor(id).StartConversation("which team?")
	got := o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	require.Nil(t, convField(got, "department_id"))
	require.Equal(t, id, convField(got, "inbox_id"))

	// Deleting the inbox keeps its conversations.
	o.admin.Must(http.StatusNoContent, "DELETE", "/api/v1/inboxes/"+id, nil)
	o.admin.Must(http.StatusNotFound, "GET", "/api/v1/inboxes/"+id, nil)
	got = o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil)
	require.Nil(t, convField(got, "inbox_id"))
}

func TestWidgetInboxOrigins(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	const shop = "https://shop.example"
	inbox := o.inbox("Shop", []string{o.deptB}, nil, []string{shop})
	wsID := o.ws.ID.String()

	other := setupStructure(t)
	r := postWidgetSession(t, map[string]any{"workspace_id": wsID, "inbox_id": other.inboxA}, "")
	require.Equal(t, http.StatusNotFound, r.Status, "another workspace's inbox")
	r = postWidgetSession(t, map[string]any{"workspace_id": wsID, "inbox_id": "nope"}, "")
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "inbox_id", r.ErrorField())
	r = postWidgetSession(t, map[string]any{"workspace_id": wsID, "inbox_id": inbox}, "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, "origin_not_allowed", r.ErrorCode())
	r = postWidgetSession(t, map[string]any{"workspace_id": wsID, "inbox_id": inbox}, shop)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.Equal(t, inbox, r.Body["inbox_id"])
	token := r.Body["token"].(string)

	dial := func(origin string) (*websocket.Conn, int) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		url := "ws" + strings.TrimPrefix(env.System.URL, "http") + "/ws/widget?token=" + token
		conn, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err != nil {
			require.NotNil(t, resp, "dial: %v", err)
			resp.Body.Close()
			return nil, resp.StatusCode
		}
		resp.Body.Close()
		t.Cleanup(func() { conn.Close() })
		return conn, http.StatusSwitchingProtocols
	}
	_, status := dial("https://evil.example")
	require.Equal(t, http.StatusForbidden, status)
	_, status = dial("https://shop.example.evil.example")
	require.Equal(t, http.StatusForbidden, status)
	_, status = dial(shop)
	require.Equal(t, http.StatusSwitchingProtocols, status)

	// An inbox without an allowlist, and a visitor bound to no inbox, take
	// any page.
	for _, body := range []map[string]any{
		{"workspace_id": wsID, "inbox_id": o.inboxA},
		{"workspace_id": wsID},
	} {
		r = postWidgetSession(t, body, "https://anywhere.example")
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		token = r.Body["token"].(string)
		_, status = dial("https://anywhere.example")
		require.Equal(t, http.StatusSwitchingProtocols, status)
	}
}

func convIDs(list []any) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.(map[string]any)["id"].(string)
	}
	return out
}

package app_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// dispatchDesk is one test's workspace with a department whose inbox's
// widget queues conversations there, and operators of it.
type dispatchDesk struct {
	*structure
	dept, inbox string
	ops         []*systest.Client
	opIDs       []string
}

func setupDispatch(t *testing.T, mode string, capacity, operators int) *dispatchDesk {
	t.Helper()
	o := &structure{t: t, ws: env.NewWorkspace(t)}
	o.admin = env.Login(t, env.NewOperator(t, o.ws, "admin"))
	d := &dispatchDesk{structure: o, dept: o.department("Support")}
	o.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"dispatch_mode": mode, "max_concurrent": capacity})
	for range operators {
		_, c, id := o.member("operator", d.dept)
		d.ops = append(d.ops, c)
		d.opIDs = append(d.opIDs, id)
	}
	d.inbox = o.inbox("Website", []string{d.dept}, &d.dept, nil)
	return d
}

func (d *dispatchDesk) online(i int, status string) {
	d.t.Helper()
	d.ops[i].Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": status})
}

// start has a new visitor of the inbox open a conversation.
func (d *dispatchDesk) start(text string) string {
	d.t.Helper()
	return d.inboxVisitor(d.inbox).StartConversation(text)
}

func (d *dispatchDesk) conv(id string) map[string]any {
	d.t.Helper()
	return convBody(d.admin.Must(http.StatusOK, "GET", convPath(id, ""), nil))
}

// assignee waits until the conversation is assigned and returns to whom.
func (d *dispatchDesk) assignee(id string, within time.Duration) string {
	d.t.Helper()
	var got string
	require.Eventually(d.t, func() bool {
		c := d.conv(id)
		got, _ = c["assignee_id"].(string)
		return c["phase"] == "assigned"
	}, within, 20*time.Millisecond, "conversation %s never assigned", id)
	return got
}

// stillQueued asserts the conversation stays in its queue for a while.
func (d *dispatchDesk) stillQueued(id string) {
	d.t.Helper()
	require.Never(d.t, func() bool { return d.conv(id)["phase"] != "queued" }, 700*time.Millisecond, 50*time.Millisecond)
}

// TestDispatchGivesOnlineOperatorsWork: in round robin, a new conversation
// goes at once to an online operator, never to an offline one; past
// everyone's capacity it waits, and goes the moment someone has room (an
// operator coming online, a conversation resolved). The event log says
// dispatch did it.
func TestDispatchGivesOnlineOperatorsWork(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "round_robin", 1, 2)
	d.online(0, "online")

	first := d.start("hello")
	require.Equal(t, d.opIDs[0], d.assignee(first, 5*time.Second))
	events := d.admin.Must(http.StatusOK, "GET", convPath(first, "/events"), nil).Body["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	assert.Equal(t, "assigned", last["type"])
	assert.Equal(t, "dispatch", last["reason"])
	assert.Equal(t, "round_robin", last["data"].(map[string]any)["mode"])

	// Operator 0 is full and operator 1 offline: it waits.
	second := d.start("anyone?")
	d.stillQueued(second)
	require.NotNil(t, d.conv(second)["queued_at"])

	// Operator 1 comes online: it is theirs at once.
	d.online(1, "online")
	require.Equal(t, d.opIDs[1], d.assignee(second, 5*time.Second))

	// Both full; operator 0 resolves: the third is theirs.
	third := d.start("me too")
	d.stillQueued(third)
	d.ops[0].Must(http.StatusOK, "POST", convPath(first, "/resolve"), map[string]string{"resolution": "solved"})
	require.Equal(t, d.opIDs[0], d.assignee(third, 5*time.Second))

	// Away: nothing more for operator 1 even with room.
	d.ops[1].Must(http.StatusOK, "POST", convPath(second, "/resolve"), map[string]string{"resolution": "solved"})
	d.online(1, "away")
	fourth := d.start("still there?")
	d.stillQueued(fourth)
}

// TestDispatchBacklogWhenOperatorsComeOnline: 100 conversations wait while
// everyone is offline; 10 operators come online together and the backlog
// is theirs, each conversation once, nobody over capacity.
func TestDispatchBacklogWhenOperatorsComeOnline(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "least_loaded", 10, 10)
	ids := make([]string, 100)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = d.start("waiting") })
		if i%10 == 9 {
			wg.Wait()
		}
	}
	wg.Wait()
	began := time.Now()
	for i := range d.ops {
		wg.Go(func() { d.online(i, "online") })
	}
	wg.Wait()
	load := map[string]int{}
	require.Eventually(t, func() bool {
		clear(load)
		r := d.admin.Must(http.StatusOK, "GET", "/api/v1/conversations?status=open&limit=100", nil)
		n := 0
		for _, c := range r.Body["conversations"].([]any) {
			c := c.(map[string]any)
			if c["phase"] == "assigned" {
				n++
				load[c["assignee_id"].(string)]++
			}
		}
		return n == len(ids)
	}, 30*time.Second, 50*time.Millisecond)
	t.Logf("100 waiting conversations assigned %v after 10 operators came online", time.Since(began).Round(time.Millisecond))
	for _, id := range d.opIDs {
		assert.Equal(t, 10, load[id], "operator %s", id)
	}
	for _, id := range ids {
		n := 0
		for _, e := range d.admin.Must(http.StatusOK, "GET", convPath(id, "/events"), nil).Body["events"].([]any) {
			if e.(map[string]any)["type"] == "assigned" {
				n++
			}
		}
		require.Equal(t, 1, n, "conversation %s assigned %d times", id, n)
	}
}

// TestDispatchCapacityUnderConcurrentArrivals: 50 conversations arrive at
// once for 3 operators with room for 2 each: 6 are assigned, 2 each, the
// rest wait.
func TestDispatchCapacityUnderConcurrentArrivals(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "round_robin", 2, 3)
	for i := range d.ops {
		d.online(i, "online")
	}
	ids := make([]string, 50)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = d.start("all at once") })
	}
	wg.Wait()
	count := func() (map[string]int, int) {
		load, queued := map[string]int{}, 0
		for _, id := range ids {
			c := d.conv(id)
			switch c["phase"] {
			case "assigned":
				load[c["assignee_id"].(string)]++
			case "queued":
				queued++
			}
		}
		return load, queued
	}
	require.Eventually(t, func() bool { _, q := count(); return q == len(ids)-6 }, 20*time.Second, 100*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // and no more than that
	load, queued := count()
	assert.Equal(t, len(ids)-6, queued)
	for _, id := range d.opIDs {
		assert.Equal(t, 2, load[id], "operator %s", id)
	}
}

// TestReopenGoesToTheQueueWhenTheAssigneeIsAway: a resolved conversation
// the customer writes to again goes back to its assignee when they are
// online, and to the queue when they are not.
func TestReopenGoesToTheQueueWhenTheAssigneeIsAway(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "manual", 5, 1)
	d.online(0, "online")
	v := d.inboxVisitor(d.inbox)
	id := v.StartConversation("hi")
	d.stillQueued(id) // manual: nobody is given it
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/claim"), nil)
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "solved"})

	// Online: back to them.
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+id+"/messages", map[string]string{"body": "one more thing"})
	require.Eventually(t, func() bool { return d.conv(id)["status"] == "open" }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, d.opIDs[0], d.assignee(id, time.Second))

	// Offline: to the queue.
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "solved"})
	d.online(0, "offline")
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+id+"/messages", map[string]string{"body": "hello again"})
	require.Eventually(t, func() bool { return d.conv(id)["status"] == "open" }, 5*time.Second, 20*time.Millisecond)
	c := d.conv(id)
	assert.Equal(t, "queued", c["phase"])
	assert.Nil(t, c["assignee_id"])

	// And an operator's reopen, too.
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/claim"), nil)
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "solved"})
	r := d.admin.Must(http.StatusOK, "POST", convPath(id, "/reopen"), nil)
	assert.Equal(t, "queued", convBody(r)["phase"])
}

// TestDispatchSettingsInput: bad settings are 400s naming the field and
// change nothing; only supervisors and above set an operator's capacity.
func TestDispatchSettingsInput(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "manual", 5, 1)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"dispatch_mode": "random"}, "dispatch_mode"},
		{map[string]any{"max_concurrent": 0}, "max_concurrent"},
		{map[string]any{"max_concurrent": 1001}, "max_concurrent"},
		{map[string]any{"max_concurrent": "five"}, "max_concurrent"},
	} {
		r := d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/departments/"+d.dept, tc.body)
		assert.Equal(t, tc.field, r.ErrorField(), "%v", tc.body)
	}
	got := d.admin.Must(http.StatusOK, "GET", "/api/v1/departments/"+d.dept, nil).Body["department"].(map[string]any)
	assert.Equal(t, "manual", got["dispatch_mode"])
	assert.EqualValues(t, 5, got["max_concurrent"])

	r := d.ops[0].Must(http.StatusForbidden, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 50})
	assert.Equal(t, "max_concurrent", r.ErrorField())
	r = d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": -1})
	assert.Equal(t, "max_concurrent", r.ErrorField())
	op := d.admin.Must(http.StatusOK, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 3}).Body["operator"].(map[string]any)
	assert.EqualValues(t, 3, op["max_concurrent"])
	op = d.admin.Must(http.StatusOK, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 0}).Body["operator"].(map[string]any)
	assert.Nil(t, op["max_concurrent"])
}

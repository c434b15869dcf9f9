package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
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

func setupDispatch(t testing.TB, mode string, capacity, operators int) *dispatchDesk {
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
	require.Equal(t, d.opIDs[0], d.assignee(first, 20*time.Second))
	require.Equal(t, []string{"assigned"}, notificationKinds(t, d.ops[0]), "dispatch's assignment is in the operator's inbox")
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
	require.Equal(t, d.opIDs[1], d.assignee(second, 20*time.Second))

	// Both full; operator 0 resolves: the third is theirs.
	third := d.start("me too")
	d.stillQueued(third)
	d.ops[0].Must(http.StatusOK, "POST", convPath(first, "/resolve"), map[string]string{"resolution": "answered_question"})
	require.Equal(t, d.opIDs[0], d.assignee(third, 20*time.Second))

	// Away: nothing more for operator 1 even with room.
	d.ops[1].Must(http.StatusOK, "POST", convPath(second, "/resolve"), map[string]string{"resolution": "answered_question"})
	d.online(1, "away")
	fourth := d.start("still there?")
	d.stillQueued(fourth)
}

// TestDispatchBacklogWhenOperatorsComeOnline: a backlog waits while
// everyone is offline; 10 operators come online together and the backlog
// is theirs, each conversation once, nobody over capacity (3 each, all
// full). Not parallel: it loads the embedded Temporal for a while. The
// 1-second figure at 200 conversations is BenchmarkDispatchBacklog's.
func TestDispatchBacklogWhenOperatorsComeOnline(t *testing.T) {
	d := setupDispatch(t, "least_loaded", 3, 10)
	ids := make([]string, 30)
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
	}, time.Minute, 50*time.Millisecond)
	t.Logf("%d waiting conversations assigned %v after 10 operators came online", len(ids), time.Since(began).Round(time.Millisecond))
	for _, id := range d.opIDs {
		assert.Equal(t, 3, load[id], "operator %s", id)
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
// rest wait. Not parallel: 50 workflow starts at once.
func TestDispatchCapacityUnderConcurrentArrivals(t *testing.T) {
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
	require.Eventually(t, func() bool { _, q := count(); return q == len(ids)-6 }, time.Minute, 100*time.Millisecond)
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
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "answered_question"})

	// Online: back to them.
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+id+"/messages", map[string]string{"body": "one more thing"})
	require.Eventually(t, func() bool { return d.conv(id)["status"] == "open" }, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, d.opIDs[0], d.assignee(id, time.Second))

	// Offline: to the queue.
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "answered_question"})
	d.online(0, "offline")
	v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+id+"/messages", map[string]string{"body": "hello again"})
	require.Eventually(t, func() bool { return d.conv(id)["status"] == "open" }, 20*time.Second, 20*time.Millisecond)
	c := d.conv(id)
	assert.Equal(t, "queued", c["phase"])
	assert.Nil(t, c["assignee_id"])

	// And an operator's reopen, too.
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/claim"), nil)
	d.ops[0].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "answered_question"})
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
		{map[string]any{"reply_within_seconds": 10}, "reply_within_seconds"},
	} {
		r := d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/departments/"+d.dept, tc.body)
		assert.Equal(t, tc.field, r.ErrorField(), "%v", tc.body)
	}
	got := d.admin.Must(http.StatusOK, "GET", "/api/v1/departments/"+d.dept, nil).Body["department"].(map[string]any)
	assert.Equal(t, "manual", got["dispatch_mode"])
	assert.EqualValues(t, 5, got["max_concurrent"])
	assert.Nil(t, got["reply_within_seconds"])
	got = d.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"reply_within_seconds": 300}).Body["department"].(map[string]any)
	assert.EqualValues(t, 300, got["reply_within_seconds"])
	got = d.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"reply_within_seconds": 0}).Body["department"].(map[string]any)
	assert.Nil(t, got["reply_within_seconds"])

	r := d.ops[0].Must(http.StatusForbidden, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 50})
	assert.Equal(t, "max_concurrent", r.ErrorField())
	r = d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": -1})
	assert.Equal(t, "max_concurrent", r.ErrorField())
	op := d.admin.Must(http.StatusOK, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 3}).Body["operator"].(map[string]any)
	assert.EqualValues(t, 3, op["max_concurrent"])
	op = d.admin.Must(http.StatusOK, "PATCH", "/api/v1/operators/"+d.opIDs[0], map[string]any{"max_concurrent": 0}).Body["operator"].(map[string]any)
	assert.Nil(t, op["max_concurrent"])
}

// BenchmarkDispatchOperatorOnline: an operator comes online (PUT
// /me/status) with a conversation waiting in their department; the time
// until their socket hears it is assigned to them.
func BenchmarkDispatchOperatorOnline(b *testing.B) {
	d := setupDispatch(b, "least_loaded", 1, 1)
	sock := d.ops[0].Dial()
	v := d.inboxVisitor(d.inbox)
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		conv := v.StartConversation("anyone there?")
		b.StartTimer()
		start := time.Now()
		d.online(0, "online")
		sock.WaitFor(10*time.Second, "assigned", systest.Updated(conv, "open", "assigned"))
		lat = append(lat, time.Since(start))
		b.StopTimer()
		d.ops[0].Must(http.StatusOK, "POST", convPath(conv, "/resolve"), map[string]string{"resolution": "answered_question"})
		d.online(0, "offline")
		b.StartTimer()
	}
	reportLatencies(b, lat)
}

// BenchmarkDispatchThroughput: 200 visitors start conversations at once in
// a round-robin department whose 10 operators are online with room; each
// conversation's time from its start to its assignment reaching the
// supervisor's socket, and conversations queued and assigned per second.
func BenchmarkDispatchThroughput(b *testing.B) {
	const n = 200
	d := setupDispatch(b, "round_robin", 1000, 10)
	for i := range d.ops {
		d.online(i, "online")
	}
	sock := d.admin.Dial()
	visitors := make([]*systest.Client, n)
	for i := range visitors {
		visitors[i] = d.inboxVisitor(d.inbox)
	}
	var lat []time.Duration
	var total time.Duration
	for b.Loop() {
		started := make([]time.Time, n)
		ids := make([]string, n)
		var wg sync.WaitGroup
		var next atomic.Int64
		begin := time.Now()
		for range 16 {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					started[i] = time.Now()
					ids[i] = visitors[i].StartConversation("hello")
				}
			})
		}
		wg.Wait()
		index := make(map[string]int, n)
		for i, id := range ids {
			index[id] = i
		}
		for seen := 0; seen < n; {
			f := sock.WaitFor(30*time.Second, "assignments", func(f systest.Frame) bool {
				_, ok := index[f.ConversationID]
				return ok && systest.Updated(f.ConversationID, "open", "assigned")(f)
			})
			lat = append(lat, time.Since(started[index[f.ConversationID]]))
			delete(index, f.ConversationID)
			seen++
		}
		total += time.Since(begin)
	}
	reportLatencies(b, lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "assigned/s")
}

// BenchmarkDispatchBacklog: 200 conversations wait (their workflows
// running, the outbox drained) while a department's 10 operators are
// offline; the operators come online together, with room for 20 each. The
// time from then until each assignment reaches the supervisor's socket,
// and assignments per second: dispatch's own pace, without the workflow
// starts of new conversations.
func BenchmarkDispatchBacklog(b *testing.B) {
	const n = 200
	d := setupDispatch(b, "least_loaded", 20, 10)
	sock := d.admin.Dial()
	visitors := make([]*systest.Client, n)
	for i := range visitors {
		visitors[i] = d.inboxVisitor(d.inbox)
	}
	var lat []time.Duration
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		ids := make([]string, n)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					ids[i] = visitors[i].StartConversation("waiting")
				}
			})
		}
		wg.Wait()
		require.Eventually(b, func() bool {
			var left int
			err := env.System.Pool.QueryRow(b.Context(), `SELECT count(*) FROM outbox WHERE dead_at IS NULL`).Scan(&left)
			return err == nil && left == 0
		}, 5*time.Minute, 100*time.Millisecond, "the workflows started")
		index := make(map[string]bool, n)
		for _, id := range ids {
			index[id] = true
		}
		b.StartTimer()
		begin := time.Now()
		for i := range d.ops {
			wg.Go(func() { d.online(i, "online") })
		}
		for seen := 0; seen < n; seen++ {
			f := sock.WaitFor(time.Minute, "assignments", func(f systest.Frame) bool {
				return index[f.ConversationID] && systest.Updated(f.ConversationID, "open", "assigned")(f)
			})
			lat = append(lat, time.Since(begin))
			delete(index, f.ConversationID)
		}
		total += time.Since(begin)
		wg.Wait()
		b.StopTimer()
		for i, id := range ids {
			wg.Go(func() {
				c := d.conv(id)
				for j, op := range d.opIDs {
					if c["assignee_id"] == op {
						d.ops[j].Must(http.StatusOK, "POST", convPath(id, "/resolve"), map[string]string{"resolution": "answered_question"})
					}
				}
			})
			if i%16 == 15 {
				wg.Wait()
			}
		}
		wg.Wait()
		for i := range d.ops {
			d.online(i, "offline")
		}
		b.StartTimer()
	}
	reportLatencies(b, lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "assigned/s")
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// TestPresenceGrace: an online operator whose last socket closes is away
// once the workspace's grace has passed (and gets no work), offline later;
// a socket again brings them back online, and the waiting work is theirs
// at once. A status the operator chose is never overridden.
func TestPresenceGrace(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "round_robin", 5, 1)
	bad := d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/workspace", map[string]any{"away_after_seconds": 5, "offline_after_seconds": 4})
	require.Equal(t, "offline_after_seconds", bad.ErrorField())
	w := d.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]any{"away_after_seconds": 5, "offline_after_seconds": 7}).Body["workspace"].(map[string]any)
	require.EqualValues(t, 5, w["away_after_seconds"])
	status := func() string {
		for _, p := range d.admin.Must(http.StatusOK, "GET", "/api/v1/operators", nil).Body["operators"].([]any) {
			if p := p.(map[string]any); p["id"] == d.opIDs[0] {
				return p["status"].(string)
			}
		}
		return ""
	}
	d.online(0, "online")
	sock := d.ops[0].Dial()
	first := d.start("hi")
	require.Equal(t, d.opIDs[0], d.assignee(first, 20*time.Second))

	closed := time.Now()
	require.NoError(t, sock.Conn.Close())
	require.Eventually(t, func() bool { return status() == "away" }, 20*time.Second, 100*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(closed), 4*time.Second, "not before the grace")
	waiting := d.start("anyone?")
	d.stillQueued(waiting)
	require.Eventually(t, func() bool { return status() == "offline" }, 20*time.Second, 100*time.Millisecond)

	// Back: online, and the waiting conversation is theirs.
	sock = d.ops[0].Dial()
	require.Eventually(t, func() bool { return status() == "online" }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, d.opIDs[0], d.assignee(waiting, 20*time.Second))

	// Chose away themselves: a new socket leaves it so.
	d.online(0, "away")
	require.NoError(t, sock.Conn.Close())
	sock = d.ops[0].Dial()
	require.Never(t, func() bool { return status() != "away" }, time.Second, 100*time.Millisecond)
	_ = sock.Conn.Close()
}

// TestWaitingVisitorSeesTheirSpot: a visitor waiting in a queue reads
// their place in line (and a wait estimate once the department's pace is
// known), and hears it move over the widget socket as the queue moves.
func TestWaitingVisitorSeesTheirSpot(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "manual", 5, 1)
	var vs []*systest.Client
	var ids []string
	for range 3 {
		v := d.inboxVisitor(d.inbox)
		vs = append(vs, v)
		ids = append(ids, v.StartConversation("waiting"))
	}
	spot := func(i int) map[string]any {
		r := vs[i].Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+ids[i], nil)
		require.Equal(t, true, r.Body["conversation"].(map[string]any)["waiting"])
		return r.Body["queue"].(map[string]any)
	}
	for i := range 3 {
		q := spot(i)
		assert.EqualValues(t, i+1, q["position"])
		assert.Nil(t, q["wait_seconds"], "no pace yet")
		assert.Equal(t, true, q["open"])
	}
	sock := vs[2].Dial()
	d.online(0, "online")
	d.ops[0].Must(http.StatusOK, "POST", convPath(ids[0], "/claim"), nil)
	f := sock.WaitFor(20*time.Second, "moved up", func(f systest.Frame) bool { return f.Type == "queue.position" })
	var got struct {
		ConversationID string `json:"conversation_id"`
		Queue          struct {
			Position    int  `json:"position"`
			WaitSeconds *int `json:"wait_seconds"`
		} `json:"queue"`
	}
	require.NoError(t, json.Unmarshal(f.Data, &got))
	assert.Equal(t, ids[2], got.ConversationID)
	assert.Equal(t, 2, got.Queue.Position)
	require.NotNil(t, got.Queue.WaitSeconds, "one taken in the last hour")
	assert.Equal(t, 7200, *got.Queue.WaitSeconds)

	// Taken: no longer waiting, no spot.
	r := vs[0].Must(http.StatusOK, "GET", "/api/v1/widget/conversations/"+ids[0], nil)
	assert.Equal(t, false, r.Body["conversation"].(map[string]any)["waiting"])
	assert.Nil(t, r.Body["queue"])
}

// offeredTo waits for the offered event of a conversation on a socket and
// returns to whom.
func offeredTo(sock *systest.Socket, conv string) string {
	f := sock.WaitFor(20*time.Second, "offered", systest.Updated(conv, "open", "offered"))
	var d struct {
		Event struct {
			Data struct {
				OperatorID string `json:"operator_id"`
			} `json:"data"`
		} `json:"event"`
	}
	_ = json.Unmarshal(f.Data, &d)
	return d.Event.Data.OperatorID
}

// TestOfferMode: a waiting conversation is offered to one online operator
// at a time; a decline passes it to the next; when everyone has passed it
// waits in the Unclaimed queue; an accepted offer assigns; only the
// offered operator may answer.
func TestOfferMode(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "offer", 5, 2)
	d.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"offer_timeout_seconds": 5})
	bad := d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"offer_timeout_seconds": 1})
	require.Equal(t, "offer_timeout_seconds", bad.ErrorField())
	sock := d.admin.Dial()
	d.online(0, "online")
	d.online(1, "online")
	index := map[string]int{d.opIDs[0]: 0, d.opIDs[1]: 1}

	conv := d.start("hello")
	first := offeredTo(sock, conv)
	require.Contains(t, index, first)
	other := d.opIDs[1-index[first]]
	r := d.ops[1-index[first]].Must(http.StatusConflict, "POST", convPath(conv, "/offer/accept"), nil)
	require.Equal(t, "conflict", r.ErrorCode())
	d.ops[index[first]].Must(http.StatusOK, "POST", convPath(conv, "/offer/decline"), nil)
	require.Equal(t, other, offeredTo(sock, conv), "passed to the next")

	// The second lets it expire: everyone passed, it waits unclaimed.
	sock.WaitFor(20*time.Second, "expired", systest.Updated(conv, "open", "offer_expired"))
	d.stillQueued(conv)

	// A new one, accepted.
	next := d.start("me too")
	to := offeredTo(sock, next)
	got := d.ops[index[to]].Must(http.StatusOK, "POST", convPath(next, "/offer/accept"), nil)
	assert.Equal(t, "assigned", convBody(got)["phase"])
	assert.Equal(t, to, convBody(got)["assignee_id"])
	d.ops[index[to]].Must(http.StatusConflict, "POST", convPath(next, "/offer/decline"), nil)
	// Each offer reached its operator's notification inbox.
	require.Contains(t, notificationKinds(t, d.ops[index[to]]), "offered")
}

// TestRoutingRules: an inbox's rules, in order, send each new conversation
// to its department (a keyword in the first message, the visitor's pick,
// a catch-all), the routed event names the rule, and dispatch takes it
// from there. Bad rules are 400s (422 for a department not of the inbox)
// naming the rule's field.
func TestRoutingRules(t *testing.T) {
	t.Parallel()
	o := &structure{t: t, ws: env.NewWorkspace(t)}
	o.admin = env.Login(t, env.NewOperator(t, o.ws, "admin"))
	billing, support, elsewhere := o.department("Billing"), o.department("Support"), o.department("Elsewhere")
	o.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+billing, map[string]any{"dispatch_mode": "round_robin"})
	_, biller, billerID := o.member("operator", billing)
	biller.Must(http.StatusOK, "PUT", "/api/v1/me/status", map[string]string{"status": "online"})
	inbox := o.inbox("Website", []string{billing, support}, &support, nil)
	rules := "/api/v1/inboxes/" + inbox + "/routing-rules"

	for _, tc := range []struct {
		rule   map[string]any
		status int
		field  string
	}{
		{map[string]any{"name": "x", "kind": "telepathy", "department_id": billing}, 400, "rules[0].kind"},
		{map[string]any{"name": "x", "kind": "keywords", "phrases": []string{"!!"}, "department_id": billing}, 400, "rules[0].phrases"},
		{map[string]any{"name": "x", "kind": "field", "department_id": billing}, 400, "rules[0].field"},
		{map[string]any{"name": "x", "kind": "always"}, 400, "rules[0].department_id"},
		{map[string]any{"name": "x", "kind": "always", "department_id": elsewhere}, 422, "rules[0].department_id"},
	} {
		r := o.admin.Must(tc.status, "PUT", rules, map[string]any{"rules": []any{tc.rule}})
		assert.Equal(t, tc.field, r.ErrorField(), "%v", tc.rule)
	}
	assert.Empty(t, o.admin.Must(http.StatusOK, "GET", rules, nil).Body["rules"], "a refused set changes nothing")

	set := o.admin.Must(http.StatusOK, "PUT", rules, map[string]any{"rules": []any{
		map[string]any{"name": "Refunds", "kind": "keywords", "phrases": []string{"Refund", "money back"}, "department_id": billing},
		map[string]any{"name": "Their pick", "kind": "visitor_choice"},
		map[string]any{"name": "Everything else", "kind": "always", "department_id": support},
	}}).Body["rules"].([]any)
	require.Len(t, set, 3)
	assert.Equal(t, []any{"refund", "money back"}, set[0].(map[string]any)["phrases"])

	// Taking Billing off the inbox while a rule sends there is refused,
	// naming the rule; nothing changes.
	r := o.admin.Must(http.StatusUnprocessableEntity, "PATCH", "/api/v1/inboxes/"+inbox, map[string]any{"department_ids": []string{support}})
	assert.Equal(t, "department_ids", r.ErrorField())
	assert.Contains(t, string(r.Raw), "Refunds")
	assert.Len(t, o.admin.Must(http.StatusOK, "GET", "/api/v1/inboxes/"+inbox, nil).Body["inbox"].(map[string]any)["department_ids"], 2)

	routedBy := func(conv string) (dept, rule string) {
		var ev map[string]any
		require.Eventually(t, func() bool {
			for _, e := range o.admin.Must(http.StatusOK, "GET", convPath(conv, "/events"), nil).Body["events"].([]any) {
				if e := e.(map[string]any); e["type"] == "routed" {
					ev = e
					return true
				}
			}
			return false
		}, 20*time.Second, 20*time.Millisecond, "routed")
		c := convBody(o.admin.Must(http.StatusOK, "GET", convPath(conv, ""), nil))
		rule, _ = ev["data"].(map[string]any)["routing_rule"].(string)
		return c["department_id"].(string), rule
	}

	refund := o.inboxVisitor(inbox).StartConversation("Hello, I want my money back please")
	dept, rule := routedBy(refund)
	assert.Equal(t, billing, dept)
	assert.Equal(t, "Refunds", rule)
	d := &dispatchDesk{structure: o}
	assert.Equal(t, billerID, d.assignee(refund, 20*time.Second), "dispatched once routed")

	v := o.inboxVisitor(inbox)
	bad := v.Must(http.StatusUnprocessableEntity, "POST", "/api/v1/widget/conversations", map[string]any{"message": "hi", "department_id": elsewhere})
	assert.Equal(t, "department_id", bad.ErrorField())
	picked := v.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations", map[string]any{"message": "hi", "department_id": billing}).Body["conversation"].(map[string]any)["id"].(string)
	dept, rule = routedBy(picked)
	assert.Equal(t, billing, dept)
	assert.Equal(t, "Their pick", rule)

	plain := o.inboxVisitor(inbox).StartConversation("hello")
	dept, rule = routedBy(plain)
	assert.Equal(t, support, dept)
	assert.Equal(t, "Everything else", rule)
}

// TestUnclaimedLadder: a conversation left unclaimed climbs its
// department's ladder: its supervisors hear of it, its priority rises, it
// widens to the fallback department, each step an event. Bad ladders are
// 400s (422 for a fallback that is no other department of the workspace).
func TestUnclaimedLadder(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "manual", 5, 0)
	fallback := d.department("Everyone")
	_, sup, _ := d.member("supervisor", d.dept)
	dept := "/api/v1/departments/" + d.dept
	for _, tc := range []struct {
		ladder map[string]any
		status int
		field  string
	}{
		{map[string]any{"notify_after_seconds": 5}, 400, "unclaimed_ladder.notify_after_seconds"},
		{map[string]any{"widen_after_seconds": 60}, 400, "unclaimed_ladder.fallback_department_id"},
		{map[string]any{"widen_after_seconds": 60, "fallback_department_id": d.dept}, 422, "unclaimed_ladder.fallback_department_id"},
		{map[string]any{"widen_after_seconds": 60, "fallback_department_id": uuid.NewString()}, 422, "unclaimed_ladder.fallback_department_id"},
	} {
		r := d.admin.Must(tc.status, "PATCH", dept, map[string]any{"unclaimed_ladder": tc.ladder})
		assert.Equal(t, tc.field, r.ErrorField(), "%v", tc.ladder)
	}
	got := d.admin.Must(http.StatusOK, "PATCH", dept, map[string]any{"unclaimed_ladder": map[string]any{
		"notify_after_seconds": 10, "raise_after_seconds": 11, "widen_after_seconds": 12, "fallback_department_id": fallback,
	}}).Body["department"].(map[string]any)["unclaimed_ladder"].(map[string]any)
	assert.EqualValues(t, 10, got["notify_after_seconds"])
	assert.Equal(t, fallback, got["fallback_department_id"])

	sock := sup.Dial()
	conv := d.start("hello? anyone?")
	began := time.Now()
	sock.WaitFor(30*time.Second, "supervisors hear of it", systest.Updated(conv, "open", "escalated"))
	assert.GreaterOrEqual(t, time.Since(began), 9*time.Second)
	require.Eventually(t, func() bool { return d.conv(conv)["department_id"] == fallback }, 30*time.Second, 100*time.Millisecond)
	c := d.conv(conv)
	assert.Equal(t, "high", c["priority"])
	assert.Equal(t, "queued", c["phase"])
	var steps []string
	for _, e := range d.admin.Must(http.StatusOK, "GET", convPath(conv, "/events"), nil).Body["events"].([]any) {
		if e := e.(map[string]any); e["reason"] == "unclaimed" {
			steps = append(steps, e["data"].(map[string]any)["step"].(string))
		}
	}
	assert.Equal(t, []string{"notify", "raise", "widen"}, steps)
}

// TestAwayPolicyRequeue: in a department that returns an away operator's
// work to the queue, an operator whose sockets are gone past the grace
// loses their open conversations to someone online; one who goes offline
// by choice too. A department that keeps them keeps them.
func TestAwayPolicyRequeue(t *testing.T) {
	t.Parallel()
	d := setupDispatch(t, "round_robin", 1, 2)
	bad := d.admin.Must(http.StatusBadRequest, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"away_policy": "vanish"})
	require.Equal(t, "away_policy", bad.ErrorField())
	d.admin.Must(http.StatusOK, "PATCH", "/api/v1/departments/"+d.dept, map[string]any{"away_policy": "requeue"})
	d.admin.Must(http.StatusOK, "PATCH", "/api/v1/workspace", map[string]any{"away_after_seconds": 5, "offline_after_seconds": 600})
	d.online(0, "online")
	sock := d.ops[0].Dial()
	first := d.start("hi")
	require.Equal(t, d.opIDs[0], d.assignee(first, 20*time.Second))
	d.online(1, "online") // room for it once it comes back

	require.NoError(t, sock.Conn.Close())
	require.Eventually(t, func() bool { return d.conv(first)["assignee_id"] == d.opIDs[1] }, 30*time.Second, 100*time.Millisecond,
		"back to the queue once operator 0 is away, and to operator 1")
	var reasons []string
	for _, e := range d.admin.Must(http.StatusOK, "GET", convPath(first, "/events"), nil).Body["events"].([]any) {
		if e := e.(map[string]any); e["type"] == "unassigned" {
			reasons = append(reasons, e["reason"].(string))
		}
	}
	assert.Equal(t, []string{"operator_away"}, reasons)

	// Offline by choice: the same.
	d.online(0, "online")
	d.online(1, "offline")
	require.Eventually(t, func() bool { return d.conv(first)["assignee_id"] == d.opIDs[0] }, 20*time.Second, 100*time.Millisecond)
}

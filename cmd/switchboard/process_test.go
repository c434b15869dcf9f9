package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/systest"
)

// These tests run the real binary as separate processes: they kill it,
// restart it, and split it into serve and worker nodes.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "switchboard")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("building switchboard: %v\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is one running switchboard process.
type proc struct {
	cmd    *exec.Cmd
	stdout *lineBuffer
	stderr *lineBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit error, once done is closed
}

// wait returns the exit error once the process has exited.
func (p *proc) wait() error {
	<-p.done
	return p.err
}

type lineBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lineBuffer) add(s string) {
	b.mu.Lock()
	b.lines = append(b.lines, s)
	b.mu.Unlock()
}

func (b *lineBuffer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, stdout: &lineBuffer{}, stderr: &lineBuffer{}, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	for r, buf := range map[io.Reader]*lineBuffer{out: p.stdout, stderr: p.stderr} {
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				buf.add(sc.Text())
			}
		}()
	}
	go func() {
		wg.Wait()
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of %v:\n%s\n%s", args, p.stdout.text(), p.stderr.text())
		}
	})
	return p
}

func waitReady(t *testing.T, base string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(base + "/readyz"); err == nil {
			r.Body.Close()
			// dev prints its banner after the server is up.
			if r.StatusCode == http.StatusOK && (p.cmd.Args[1] != "dev" || strings.Contains(p.stdout.text(), "Ctrl-C")) {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("process exited before ready: %v\n%s\n%s", p.err, p.stdout.text(), p.stderr.text())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready within 60 s\n%s\n%s", base, p.stdout.text(), p.stderr.text())
}

var credRE = regexp.MustCompile(`(?m)^\s+email\s+(\S+)\n\s+password\s+(\S+)\n\s+workspace\s+(\S+)`)

// devNode describes how to start one `switchboard dev`.
type devNode struct {
	env  []string
	base string
}

func newDevNode(t *testing.T, extra ...string) devNode {
	dbURL, drop, err := systest.NewDatabase(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	httpPort := freePort(t)
	return devNode{
		env: append([]string{
			"DATABASE_URL=" + dbURL,
			fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", httpPort),
			fmt.Sprintf("TEMPORAL_PORT=%d", freePort(t)),
			"SWITCHBOARD_DATA_DIR=" + t.TempDir(),
		}, extra...),
		base: fmt.Sprintf("http://127.0.0.1:%d", httpPort),
	}
}

// login reads the first admin from the banner and logs in.
func login(t *testing.T, base, banner string) (*systest.Client, string) {
	t.Helper()
	m := credRE.FindStringSubmatch(banner)
	require.NotNil(t, m, "no admin credentials in the banner:\n%s", banner)
	c := systest.NewClient(t, base)
	c.LogIn(m[1], m[2])
	return c, m[3]
}

func events(t *testing.T, c *systest.Client, conv string) []map[string]any {
	r := c.Must(http.StatusOK, "GET", "/api/v1/conversations/"+conv+"/events", nil)
	var out []map[string]any
	for _, e := range r.Body["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func waitEvent(t *testing.T, c *systest.Client, conv, typ, reason string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, e := range events(t, c, conv) {
			if e["type"] == typ && e["reason"] == reason {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s/%s event on %s within %s: %v", typ, reason, conv, within, events(t, c, conv))
	return nil
}

// TestDevSurvivesKill: a snooze whose time passes while the process is dead
// wakes right after restart, and a customer reply committed an instant
// before a SIGKILL still reaches its workflow.
func TestDevSurvivesKill(t *testing.T) {
	t.Parallel()
	node := newDevNode(t)
	p := start(t, node.env, "dev")
	waitReady(t, node.base, p)
	op, ws := login(t, node.base, p.stdout.text())
	visitor := systest.NewVisitor(t, node.base, ws)

	timed := visitor.StartConversation("snooze me on a timer")
	until := time.Now().Add(3 * time.Second)
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+timed+"/snooze", map[string]any{"until": until})

	replied := visitor.StartConversation("snooze me until I write")
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+replied+"/snooze", map[string]any{"until_reply": true})
	visitor.Must(http.StatusCreated, "POST", "/api/v1/widget/conversations/"+replied+"/messages", map[string]string{"body": "me again"})
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	_ = p.wait()

	time.Sleep(time.Until(until) + 500*time.Millisecond) // the deadline passes while nothing runs
	restarted := time.Now()
	p2 := start(t, node.env, "dev")
	waitReady(t, node.base, p2)
	require.NotContains(t, p2.stdout.text(), "First admin", "a restart must not create another admin")
	op2 := systest.NewClient(t, node.base)
	m := credRE.FindStringSubmatch(p.stdout.text())
	op2.LogIn(m[1], m[2])

	woke := waitEvent(t, op2, timed, "woken", "snooze_expired", 15*time.Second)
	t.Logf("overdue snooze fired %s after the restart began", time.Since(restarted).Round(time.Millisecond))
	at, err := time.Parse(time.RFC3339Nano, woke["created_at"].(string))
	require.NoError(t, err)
	require.False(t, at.Before(until), "woke before its time")
	waitEvent(t, op2, replied, "woken", "customer_replied", 15*time.Second)
	r := op2.Must(http.StatusOK, "GET", "/api/v1/conversations/"+replied, nil)
	require.Equal(t, "open", r.Body["conversation"].(map[string]any)["status"])
}

// TestGracefulShutdown: SIGTERM closes sockets with "going away" and exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	node := newDevNode(t)
	p := start(t, node.env, "dev")
	waitReady(t, node.base, p)
	op, _ := login(t, node.base, p.stdout.text())
	sock := op.Dial()

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	err := sock.WaitClosed(10 * time.Second)
	require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "close: %v", err)
	select {
	case <-p.done:
		require.NoError(t, p.err, "exit status")
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit within 20 s of SIGTERM")
	}
}

// TestServeAndWorkerOverNATS runs the roles as separate processes, as a
// scaled-out deployment does: dev provides Temporal (its own worker also
// polls), a serve node answers HTTP, a worker node runs activities; the
// lifecycle event a worker publishes reaches the serve node's socket
// through NATS.
func TestServeAndWorkerOverNATS(t *testing.T) {
	t.Parallel()
	nats := os.Getenv("TEST_NATS_URL")
	if nats == "" {
		nats = "nats://127.0.0.1:4222"
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(nats, "nats://"), time.Second); err != nil {
		t.Fatalf("no NATS at %s (run scripts/ensure-nats.sh or `make test`): %v", nats, err)
	} else {
		c.Close()
	}
	node := newDevNode(t, "NATS_URL="+nats)
	dev := start(t, node.env, "dev")
	waitReady(t, node.base, dev)
	_, ws := login(t, node.base, dev.stdout.text())
	m := credRE.FindStringSubmatch(dev.stdout.text())

	var temporalPort string
	for _, kv := range node.env {
		if v, ok := strings.CutPrefix(kv, "TEMPORAL_PORT="); ok {
			temporalPort = v
		}
	}
	servePort := freePort(t)
	shared := []string{node.env[0], "NATS_URL=" + nats, "TEMPORAL_ADDRESS=127.0.0.1:" + temporalPort}
	serveBase := fmt.Sprintf("http://127.0.0.1:%d", servePort)
	serve := start(t, append(shared, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", servePort)), "serve")
	start(t, shared, "worker")
	waitReady(t, serveBase, serve)

	op := systest.NewClient(t, serveBase)
	op.LogIn(m[1], m[2])
	sock := op.Dial()
	// The visitor talks to the other node.
	visitor := systest.NewVisitor(t, node.base, ws)
	conv := visitor.StartConversation("hello from another node")
	sock.WaitFor(5*time.Second, "message via NATS", func(f systest.Frame) bool {
		return f.Type == "message.created" && f.ConversationID == conv
	})
	op.Must(http.StatusOK, "POST", "/api/v1/conversations/"+conv+"/claim", nil)
	sock.WaitFor(5*time.Second, "claim via NATS", systest.Updated(conv, "open", "claimed"))
}

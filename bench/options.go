// Package bench is Switchboard's load generator: it drives a running
// system over loopback the way real clients do (HTTP API, WebSockets) and
// measures how long a widget message takes to reach every operator socket
// of its workspace. `switchboard bench` is its command line.
//
// Only the fixtures (workspaces and operators with a known password) are
// written straight to PostgreSQL; everything else goes through the public
// API. Load is open loop: messages are due at fixed intended times and
// latency is measured from those, so a slow server cannot hide its delay
// by slowing the generator down (coordinated omission).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Options configures a run. Zero values of the optional fields take the
// defaults noted.
type Options struct {
	// URL is the running system's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// DatabaseURL is the PostgreSQL the system uses; fixtures go there.
	DatabaseURL string

	Workspaces int // workspaces created for the run
	Operators  int // total, spread evenly across the workspaces
	Visitors   int // total, spread evenly across the workspaces

	Rate     float64       // messages per second, all visitors together
	Duration time.Duration // the whole load phase, warmup included
	Warmup   time.Duration // first part of Duration left out of the figures
	BodySize int           // message body length in bytes
	// Timeout: a message not received by every operator socket of its
	// workspace within Timeout of its intended send time is lost. It also
	// bounds each HTTP send.
	Timeout time.Duration

	// Senders is the number of concurrent HTTP senders (and idle
	// connections kept); default 256.
	Senders int
	// SetupConcurrency bounds concurrent requests while logging in
	// operators and creating visitors; default 16.
	SetupConcurrency int
	// Settle is the longest wait after setup for the server's outbox
	// (switchboard_outbox_backlog on /metrics) to drain, so that starting
	// thousands of conversation workflows does not overlap the measured
	// load. Zero skips the wait.
	Settle time.Duration

	// The conversation mix. ReplyEvery > 0: an operator of the workspace
	// answers after every ReplyEvery-1 to ReplyEvery+1 customer messages
	// of a conversation (turns alternate, as in real support); 0: only
	// customers write. Of a conversation's replies, every SnoozeEvery-th is
	// followed by a snooze until the customer replies, every
	// ResolveEvery-th by a resolve (the customer's next message reopens
	// it); 0 turns either off. Replies and commands are load, not measured
	// messages.
	ReplyEvery   int
	SnoozeEvery  int
	ResolveEvery int

	// Timers > 0 runs the timers scenario instead of the message load:
	// Timers conversations (one per visitor; Visitors is set to it), each
	// snoozed by an operator to a deadline, the first TimerDelay after
	// setup and the rest spread evenly over TimerSpread (0: all at one
	// instant); the wakes are watched on an operator socket, a wake not
	// seen Timeout after its deadline is missed.
	Timers      int
	TimerDelay  time.Duration
	TimerSpread time.Duration
	// SLA > 0 runs the SLA burst instead (bench/sla.go): SLA
	// conversations whose first-response clocks all start at one opening
	// of business hours (the next whole minute SLADelay after setup
	// starts) and breach SLATarget later, at one instant.
	SLA       int
	SLATarget time.Duration
	SLADelay  time.Duration
	// SingleSource makes every connection from the default local address.
	// By default, against a loopback URL, each simulated operator and
	// visitor connects during setup from its own 127.x.y.z address (see
	// sourceIP), since the server limits logins and widget sessions per
	// client address.
	SingleSource bool
	// AllowRemote permits a non-loopback URL. Off by default: a load
	// generator must not be pointed at someone else's system by accident.
	AllowRemote bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Defaults are the values `switchboard bench` starts from.
func Defaults() Options {
	return Options{
		URL:              "http://127.0.0.1:8080",
		Workspaces:       10,
		Operators:        200,
		Visitors:         2000,
		Rate:             200,
		Duration:         30 * time.Second,
		Warmup:           3 * time.Second,
		BodySize:         100,
		Timeout:          5 * time.Second,
		Senders:          256,
		SetupConcurrency: 16,
		Settle:           5 * time.Minute,
		ReplyEvery:       3,
		SnoozeEvery:      8,
		ResolveEvery:     12,
	}
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	u, err := url.Parse(o.URL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("url %q: %w", o.URL, err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("url %q: want http:// or https://", o.URL))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("url %q has no host", o.URL))
	case !o.AllowRemote && !loopbackHost(u.Hostname()):
		errs = append(errs, fmt.Errorf("url %q is not a loopback address (127.0.0.0/8, ::1, localhost); bench only drives a local system unless -allow-remote is given", o.URL))
	case u.Path != "" && u.Path != "/":
		errs = append(errs, fmt.Errorf("url %q: give the base URL, without a path", o.URL))
	}
	if o.DatabaseURL == "" {
		errs = append(errs, errors.New("a database URL is required (fixtures are created in PostgreSQL)"))
	}
	if o.Workspaces < 1 {
		errs = append(errs, fmt.Errorf("workspaces %d: want at least 1", o.Workspaces))
	}
	if o.Operators < o.Workspaces {
		errs = append(errs, fmt.Errorf("operators %d: want at least one per workspace (%d)", o.Operators, o.Workspaces))
	}
	if o.Visitors < o.Workspaces {
		errs = append(errs, fmt.Errorf("visitors %d: want at least one per workspace (%d)", o.Visitors, o.Workspaces))
	}
	if o.Rate <= 0 {
		errs = append(errs, fmt.Errorf("rate %g: want > 0", o.Rate))
	}
	if o.Duration <= 0 {
		errs = append(errs, fmt.Errorf("duration %s: want > 0", o.Duration))
	}
	if o.Warmup < 0 || o.Warmup >= o.Duration {
		errs = append(errs, fmt.Errorf("warmup %s: want 0 <= warmup < duration (%s)", o.Warmup, o.Duration))
	}
	if o.BodySize < 1 || o.BodySize > 10000 {
		errs = append(errs, fmt.Errorf("body-size %d: want 1..10000 (the API's limit)", o.BodySize))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %s: want > 0", o.Timeout))
	}
	if o.Senders < 0 || o.SetupConcurrency < 0 || o.Settle < 0 {
		errs = append(errs, errors.New("senders, setup concurrency and settle must not be negative"))
	}
	if n := o.messages(); n > 10_000_000 {
		errs = append(errs, fmt.Errorf("rate × duration is %d messages; at most 10,000,000", n))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	d := Defaults()
	if o.Timers > 0 {
		o.Visitors = o.Timers
		if o.TimerDelay == 0 {
			o.TimerDelay = 20 * time.Second
		}
	}
	if o.SLA > 0 {
		o.Visitors = o.SLA
		if o.SLATarget < time.Second {
			o.SLATarget = 30 * time.Second
		}
		if o.SLADelay == 0 {
			o.SLADelay = time.Minute
		}
	}
	if o.Senders == 0 {
		o.Senders = d.Senders
	}
	if o.SetupConcurrency == 0 {
		o.SetupConcurrency = d.SetupConcurrency
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// messages is how many messages the load phase schedules: those whose
// intended time falls before Duration.
func (o Options) messages() int {
	n := int(o.Rate * o.Duration.Seconds())
	// offset(n) may round to just under Duration; keep the bound strict.
	for n > 0 && offset(n-1, o.Rate) >= o.Duration {
		n--
	}
	for offset(n, o.Rate) < o.Duration {
		n++
	}
	return n
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// dialer connects only to loopback addresses unless remote is allowed: the
// check runs on the resolved address of every connection (HTTP and
// WebSocket), so neither a DNS answer nor a redirect can send load
// elsewhere.
func dialer(allowRemote bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowRemote {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("bench: refusing to connect to non-loopback address %s", address)
			}
			return nil
		}
	}
	return d
}

// sourceKey carries, in a dial's context, the local address a simulated
// client connects from.
type sourceKey struct{}

// withSource makes connections dialed under ctx come from ip.
func withSource(ctx context.Context, ip net.IP) context.Context {
	if ip == nil {
		return ctx
	}
	return context.WithValue(ctx, sourceKey{}, ip)
}

// sourceIP is simulated client k's own loopback address, 127.1.0.1 and up
// (no octet 0 or 255). Linux answers on all of 127.0.0.0/8, so a load
// generator can give each visitor and operator its own address, as real
// ones have: the server's per-address limits (logins, widget sessions) then
// see many clients instead of one client making thousands of requests.
func sourceIP(k int) net.IP {
	return net.IPv4(127, byte(1+k/(254*254)), byte(k/254%254+1), byte(k%254+1))
}

// dialContext is the DialContext of every connection bench makes: only
// to loopback (unless allowed otherwise), from the source address in the
// context if there is one.
func dialContext(allowRemote bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	base := dialer(allowRemote)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ip, _ := ctx.Value(sourceKey{}).(net.IP)
		if ip == nil {
			return base.DialContext(ctx, network, addr)
		}
		d := *base
		d.LocalAddr = &net.TCPAddr{IP: ip}
		return d.DialContext(ctx, network, addr)
	}
}

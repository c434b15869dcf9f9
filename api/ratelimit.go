package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// Limit is a token bucket: Burst requests at once, refilled at PerMinute.
// The zero Limit does not limit.
type Limit struct {
	PerMinute float64
	Burst     int
}

func (l Limit) off() bool { return l.PerMinute <= 0 || l.Burst <= 0 }

// Limits are the request limits of the public and widget endpoints. They
// are kept in memory, per node: behind N API nodes a client gets up to N
// times the limit, which is still a limit; sharing buckets through
// PostgreSQL would put a write on every login and widget message.
type Limits struct {
	// LoginPerIP and LoginPerEmail both count every login attempt,
	// successful or not: the first slows one address guessing many
	// accounts, the second many addresses guessing one account.
	LoginPerIP    Limit
	LoginPerEmail Limit
	// WidgetSessionPerIP counts new widget sessions (each makes a visitor).
	WidgetSessionPerIP Limit
	// WidgetSendPerVisitor counts a visitor's writes: messages sent,
	// conversations started, identify calls.
	WidgetSendPerVisitor Limit
	// TokenRedeemPerIP counts redemptions of one-time tokens (accepting an
	// invite, completing a password reset).
	TokenRedeemPerIP Limit
	// SignupPerIP and SignupPerEmail count workspace signups, as the login
	// limits count logins (in buckets of their own, so signups do not
	// lock anyone out of logging in).
	SignupPerIP    Limit
	SignupPerEmail Limit
}

// DefaultLimits are the limits a Server uses when its Limits field is nil.
func DefaultLimits() Limits {
	return Limits{
		LoginPerIP:           Limit{PerMinute: 10, Burst: 10},
		LoginPerEmail:        Limit{PerMinute: 5, Burst: 5},
		WidgetSessionPerIP:   Limit{PerMinute: 30, Burst: 30},
		WidgetSendPerVisitor: Limit{PerMinute: 60, Burst: 20},
		TokenRedeemPerIP:     Limit{PerMinute: 10, Burst: 10},
		SignupPerIP:          Limit{PerMinute: 10, Burst: 10},
		SignupPerEmail:       Limit{PerMinute: 5, Burst: 5},
	}
}

// limiterSet is a Server's buckets, made on first use.
type limiterSet struct {
	once                                                        sync.Once
	loginIP, loginEmail, widgetSession, widgetSend, tokenRedeem *keyedLimiter
	signupIP, signupEmail                                       *keyedLimiter
}

func (s *Server) limiters() *limiterSet {
	s.limits.once.Do(func() {
		l := DefaultLimits()
		if s.Limits != nil {
			l = *s.Limits
		}
		s.limits.loginIP = newKeyedLimiter(l.LoginPerIP)
		s.limits.loginEmail = newKeyedLimiter(l.LoginPerEmail)
		s.limits.widgetSession = newKeyedLimiter(l.WidgetSessionPerIP)
		s.limits.widgetSend = newKeyedLimiter(l.WidgetSendPerVisitor)
		s.limits.tokenRedeem = newKeyedLimiter(l.TokenRedeemPerIP)
		s.limits.signupIP = newKeyedLimiter(l.SignupPerIP)
		s.limits.signupEmail = newKeyedLimiter(l.SignupPerEmail)
	})
	return &s.limits
}

// trustProxies makes c.ClientIP() believe X-Forwarded-For only from the
// configured proxies; gin's default trusts every peer, which would let any
// client pick the address its limits are counted under.
func (s *Server) trustProxies(r *gin.Engine) {
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		s.Logger.Error("invalid trusted proxies; trusting none", "proxies", s.TrustedProxies, "err", err)
		_ = r.SetTrustedProxies(nil)
	}
}

// limitLoginIP limits login attempts per client address.
func (s *Server) limitLoginIP() gin.HandlerFunc {
	return limitBy(s.limiters().loginIP, (*gin.Context).ClientIP)
}

// limitWidgetSessions limits new widget sessions per client address.
func (s *Server) limitWidgetSessions() gin.HandlerFunc {
	return limitBy(s.limiters().widgetSession, (*gin.Context).ClientIP)
}

// limitWidgetSends limits a visitor's writes; it runs after requireVisitor.
func (s *Server) limitWidgetSends() gin.HandlerFunc {
	return limitBy(s.limiters().widgetSend, func(c *gin.Context) string { return visitorOf(c).VisitorID.String() })
}

// limitTokenRedeem limits redemptions of one-time tokens (invite accept,
// password reset) per client address.
func (s *Server) limitTokenRedeem() gin.HandlerFunc {
	return limitBy(s.limiters().tokenRedeem, (*gin.Context).ClientIP)
}

// limitSignupIP limits workspace signups per client address.
func (s *Server) limitSignupIP() gin.HandlerFunc {
	return limitBy(s.limiters().signupIP, (*gin.Context).ClientIP)
}

// allowSignupEmail counts a signup for an email (already normalised) and
// answers 429 when there were too many.
func (s *Server) allowSignupEmail(c *gin.Context, email string) bool {
	return allow(c, s.limiters().signupEmail, email)
}

// allowLoginEmail counts a login attempt for an email (already normalised)
// and answers 429 when there were too many.
func (s *Server) allowLoginEmail(c *gin.Context, email string) bool {
	return allow(c, s.limiters().loginEmail, email)
}

func limitBy(l *keyedLimiter, key func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if allow(c, l, key(c)) {
			c.Next()
		}
	}
}

func allow(c *gin.Context, l *keyedLimiter, key string) bool {
	wait, ok := l.take(key, time.Now())
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	fail(c, &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many requests; retry after " + strconv.Itoa(secs) + " s"})
	return false
}

// keyedLimiter is a token bucket per key (an address, an email, a visitor).
//
// Memory stays bounded without a timer goroutine: a bucket that has
// refilled to its burst is indistinguishable from a new one, so sweeps
// (at most once per sweepEvery, on the request path) drop those losslessly.
// What remains is the keys active within one refill period. Should a flood
// of distinct keys still pass maxKeys, every bucket is dropped: the limits
// forget, briefly, rather than the process running out of memory.
type keyedLimiter struct {
	limit     Limit
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	nextSweep time.Time
}

const (
	sweepEvery = time.Minute
	maxKeys    = 100_000
)

func newKeyedLimiter(l Limit) *keyedLimiter {
	return &keyedLimiter{limit: l, buckets: map[string]*rate.Limiter{}}
}

// take spends one token of key's bucket, or reports how long until one is
// there.
func (k *keyedLimiter) take(key string, now time.Time) (time.Duration, bool) {
	if k.limit.off() {
		return 0, true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !now.Before(k.nextSweep) || len(k.buckets) >= maxKeys {
		k.sweep(now)
	}
	b, ok := k.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Limit(k.limit.PerMinute/60), k.limit.Burst)
		k.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request costs nothing more
		return d, false
	}
	return 0, true
}

func (k *keyedLimiter) sweep(now time.Time) {
	k.nextSweep = now.Add(sweepEvery)
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.limit.Burst) {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= maxKeys {
		clear(k.buckets)
	}
}

// Package api is Switchboard's HTTP surface: the Gin router under /api/v1,
// the WebSocket endpoints, health and metrics. Handlers are thin: bind,
// authorize, call, respond.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/api/ws"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/keywords"
	"github.com/switchboardhq/switchboard/metrics"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/web"
	"github.com/switchboardhq/switchboard/widget"
)

// Server holds what the handlers need.
type Server struct {
	Store    *store.Store
	Bus      bus.Bus
	Hub      *ws.Hub
	Temporal client.Client
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// Kick, when set, wakes the outbox relay of this process after a commit.
	Kick func()
	// SecureCookies marks the session cookie Secure (set behind TLS).
	SecureCookies bool
	// SessionTTL and VisitorTokenTTL default to 7 days and 30 days.
	SessionTTL      time.Duration
	VisitorTokenTTL time.Duration
	// Limits are the rate limits (ratelimit.go); nil means DefaultLimits().
	Limits *Limits
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client; none by default, so the limits
	// count the connecting address.
	TrustedProxies []string
	// Signup enables POST /signup, which creates a workspace and its owner
	// for anyone who asks; off, it answers 404 signup_disabled.
	Signup bool
	// Widget serves the site widget and /demo (widgetapp.go); nil:
	// Handler makes one that finds inboxes in Store.
	Widget *widget.Handler

	keys   keyCache
	rules  keywords.Cache
	limits limiterSet
	routes gin.RoutesInfo
}

// Routes lists the routes Handler registered; the isolation test walks it
// so that no route escapes it.
func (s *Server) Routes() gin.RoutesInfo { return s.routes }

// Handler builds the HTTP handler.
func (s *Server) Handler() http.Handler {
	if s.SessionTTL == 0 {
		s.SessionTTL = 7 * 24 * time.Hour
	}
	s.rules.TTL, s.rules.Load = keywordRulesCache, s.loadKeywordRules
	if s.VisitorTokenTTL == 0 {
		s.VisitorTokenTTL = 30 * 24 * time.Hour
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	s.trustProxies(r)
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	r.Use(s.observe, s.recover)
	r.NoRoute(func(c *gin.Context) { fail(c, errNotFound) })
	r.NoMethod(func(c *gin.Context) {
		fail(c, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed"})
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{})))

	s.apiRoutes(r.Group("/api/v1")) // routes.go

	inbox := web.MustInbox()
	r.GET("/", gin.WrapF(inbox.ServeIndex))
	r.HEAD("/", gin.WrapF(inbox.ServeIndex))
	// The links invites and password resets hand out open the same app,
	// which reads the token from the fragment (never sent to a server).
	r.GET("/invite", gin.WrapF(inbox.ServeIndex))
	r.GET("/reset-password", gin.WrapF(inbox.ServeIndex))
	r.GET("/assets/*file", gin.WrapF(inbox.ServeAsset))
	r.HEAD("/assets/*file", gin.WrapF(inbox.ServeAsset))
	s.widgetRoutes(r) // widgetapp.go: /widget.js, /widget/frame, /widget/assets, /demo

	r.GET("/ws/operator", s.requireOperator, s.operatorSocket)
	r.GET("/ws/widget", s.requireVisitor, s.requireIdentity, s.widgetSocket)
	s.routes = r.Routes()
	return r
}

// observe records latency by route and logs server errors.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.Metrics.HTTPDuration.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	if status >= 500 {
		s.Logger.ErrorContext(c, "request failed", "method", c.Request.Method, "route", route, "status", status, "errors", c.Errors.String())
	}
}

// recover turns a handler panic into a 500; no input may crash the process.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.Logger.ErrorContext(c, "handler panicked", "panic", p, "route", c.FullPath())
			fail(c, &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"})
		}
	}()
	c.Next()
}

// ready answers 200 only when PostgreSQL and Temporal both answer.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c, 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["postgres"] = err.Error()
		ok = false
	} else {
		checks["postgres"] = "ok"
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		ok = false
	} else {
		checks["temporal"] = "ok"
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}

// keyCache keeps workspaces' visitor-token keys, so verifying a token costs
// no query on the hot path.
type keyCache struct {
	m sync.Map // uuid.UUID -> cachedKey
}

type cachedKey struct {
	key []byte
	at  time.Time
}

const keyCacheTTL = time.Minute

func (s *Server) workspaceKey(ctx context.Context, id uuid.UUID) ([]byte, error) {
	if v, ok := s.keys.m.Load(id); ok {
		if ck := v.(cachedKey); time.Since(ck.at) < keyCacheTTL {
			return ck.key, nil
		}
	}
	w, err := s.Store.Workspace(ctx, id)
	if err != nil {
		return nil, err
	}
	s.keys.m.Store(id, cachedKey{key: w.VisitorTokenKey, at: time.Now()})
	return w.VisitorTokenKey, nil
}

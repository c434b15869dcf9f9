package api

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/keywords"
	"github.com/switchboardhq/switchboard/store"
)

type workspaceView struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	RequireIdentity bool      `json:"require_identity"`
	// IdentitySecret (hex) is for admins, who give it to their site's
	// server; it is absent for everyone else.
	IdentitySecret string `json:"identity_secret,omitempty"`
	// HumanPhrases: what a visitor writes to ask a bot flow for a person.
	HumanPhrases []string `json:"human_phrases"`
	// FlowHTTPHosts: the hosts bot flows' http nodes may call.
	FlowHTTPHosts []string `json:"flow_http_hosts"`
	// AwayAfterSeconds: an operator whose sockets all closed is away after
	// this grace; OfflineAfterSeconds (from the same moment): offline.
	AwayAfterSeconds    int `json:"away_after_seconds"`
	OfflineAfterSeconds int `json:"offline_after_seconds"`
}

func viewWorkspace(w store.WorkspaceSettings, v access.Viewer) workspaceView {
	view := workspaceView{
		ID: w.ID, Name: w.Name, RequireIdentity: w.RequireIdentity,
		HumanPhrases: nonNil(w.HumanPhrases), FlowHTTPHosts: nonNil(w.FlowHTTPHosts),
		AwayAfterSeconds: int(w.AwayAfter / time.Second), OfflineAfterSeconds: int(w.OfflineAfter / time.Second),
	}
	if v.SeesSecrets() {
		view.IdentitySecret = hex.EncodeToString(w.IdentitySecret)
	}
	return view
}

// getWorkspace is readable by every operator (the inbox shows the name);
// only admins get the identity secret.
func (s *Server) getWorkspace(c *gin.Context) {
	p := principalOf(c)
	w, err := s.Store.WorkspaceSettings(c, p.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(w, viewerOf(c))})
}

type updateWorkspaceRequest struct {
	Name            *string   `json:"name"`
	RequireIdentity *bool     `json:"require_identity"`
	HumanPhrases    *[]string `json:"human_phrases"`
	FlowHTTPHosts   *[]string `json:"flow_http_hosts"`
	// AwayAfterSeconds 5–86400; OfflineAfterSeconds 5–604800, not before
	// away.
	AwayAfterSeconds    *int `json:"away_after_seconds"`
	OfflineAfterSeconds *int `json:"offline_after_seconds"`
}

const (
	maxHumanPhrases  = 50
	maxFlowHTTPHosts = 50
)

func (r *updateWorkspaceRequest) validate() error {
	if r.AwayAfterSeconds != nil && (*r.AwayAfterSeconds < 5 || *r.AwayAfterSeconds > 86400) {
		return badRequest("away_after_seconds", "away_after_seconds must be between 5 and 86400")
	}
	if r.OfflineAfterSeconds != nil && (*r.OfflineAfterSeconds < 5 || *r.OfflineAfterSeconds > 604800) {
		return badRequest("offline_after_seconds", "offline_after_seconds must be between 5 and 604800")
	}
	if r.HumanPhrases != nil {
		if len(*r.HumanPhrases) > maxHumanPhrases {
			return badRequest("human_phrases", "at most %d phrases", maxHumanPhrases)
		}
		var out []string
		for _, p := range *r.HumanPhrases {
			n := keywords.Normalize(p)
			if n == "" || utf8.RuneCountInString(p) > maxRulePhraseLen {
				return badRequest("human_phrases", "each phrase must have letters or digits, at most %d characters", maxRulePhraseLen)
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		r.HumanPhrases = &out
	}
	if r.FlowHTTPHosts != nil {
		if len(*r.FlowHTTPHosts) > maxFlowHTTPHosts {
			return badRequest("flow_http_hosts", "at most %d hosts", maxFlowHTTPHosts)
		}
		out := []string{}
		for _, h := range *r.FlowHTTPHosts {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" || len(h) > 253 || strings.ContainsAny(h, "/:@ *?#") {
				return badRequest("flow_http_hosts", "%q is not a host name (no scheme, port or path)", truncate(h, 100))
			}
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
		r.FlowHTTPHosts = &out
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) updateWorkspace(c *gin.Context) {
	var req updateWorkspaceRequest
	if !bind(c, &req) {
		return
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
			fail(c, badRequest("name", "name must be 1 to 200 characters"))
			return
		}
		req.Name = &name
	}
	p := principalOf(c)
	before, after, err := s.Store.UpdateWorkspaceSettings(c, p.WorkspaceID, store.SettingsChange{
		Name: req.Name, RequireIdentity: req.RequireIdentity, HumanPhrases: req.HumanPhrases, FlowHTTPHosts: req.FlowHTTPHosts,
		AwayAfter: seconds(req.AwayAfterSeconds), OfflineAfter: seconds(req.OfflineAfterSeconds),
	})
	if errors.Is(err, store.ErrOfflineBeforeAway) {
		fail(c, badRequest("offline_after_seconds", "offline_after_seconds must not be less than away_after_seconds"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if before.Name != after.Name {
		s.audit(c, "workspace.renamed", "workspace", &after.ID, gin.H{"from": before.Name, "to": after.Name})
	}
	if before.RequireIdentity != after.RequireIdentity {
		s.audit(c, "workspace.require_identity_changed", "workspace", &after.ID, gin.H{"require_identity": after.RequireIdentity})
	}
	if req.HumanPhrases != nil || req.FlowHTTPHosts != nil {
		s.audit(c, "workspace.flow_settings_changed", "workspace", &after.ID, gin.H{
			"human_phrases": after.HumanPhrases, "flow_http_hosts": after.FlowHTTPHosts,
		})
	}
	if before.AwayAfter != after.AwayAfter || before.OfflineAfter != after.OfflineAfter {
		s.audit(c, "workspace.presence_changed", "workspace", &after.ID, gin.H{
			"away_after_seconds": int(after.AwayAfter / time.Second), "offline_after_seconds": int(after.OfflineAfter / time.Second),
		})
	}
	if after.RequireIdentity && !before.RequireIdentity {
		// Every node closes its anonymous widget sockets of the workspace;
		// their reconnects are refused until they identify.
		s.publishControl(c, bus.Event{Type: bus.TypeIdentityRequired, WorkspaceID: after.ID})
	}
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(after, viewerOf(c))})
}

// rotateIdentitySecret answers with the new secret. Hashes made with the
// old one stop verifying at once; visitors verified before stay verified.
func (s *Server) rotateIdentitySecret(c *gin.Context) {
	p := principalOf(c)
	w, err := s.Store.RotateIdentitySecret(c, p.WorkspaceID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "workspace.identity_secret_rotated", "workspace", &w.ID, gin.H{})
	c.JSON(http.StatusOK, gin.H{"workspace": viewWorkspace(w, viewerOf(c))})
}

// publishControl publishes an event that tells every node's hub to
// change its sockets. The change is committed; a node that misses the
// event keeps a socket as it was until it reconnects, and every request
// checks the database anyway.
func (s *Server) publishControl(c *gin.Context, ev bus.Event) {
	if err := s.Bus.Publish(c, ev); err != nil {
		s.Logger.WarnContext(c, "publishing "+ev.Type, "workspace", ev.WorkspaceID, "err", err)
	}
}

func seconds(n *int) *time.Duration {
	if n == nil {
		return nil
	}
	d := time.Duration(*n) * time.Second
	return &d
}

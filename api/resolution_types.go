package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/keywords"
	"github.com/switchboardhq/switchboard/store"
)

// Resolution types: the workspace's list of how a conversation ended,
// offered to whoever resolves one. Everyone reads it; admins set it.

const (
	maxResolutionTypes    = 30
	maxResolutionTypeName = 60
)

type resolutionTypeInput struct {
	// Key names an existing type (renamed, moved, or offered again after
	// it was archived); empty for a new type, whose key is made from its
	// name.
	Key  string `json:"key"`
	Name string `json:"name"`
}

type resolutionTypesRequest struct {
	Types []resolutionTypeInput `json:"resolution_types"`
}

// check turns the request into the list to store, naming the field at
// fault (resolution_types[1].name).
func (r resolutionTypesRequest) check() ([]store.ResolutionType, error) {
	if len(r.Types) == 0 || len(r.Types) > maxResolutionTypes {
		return nil, badRequest("resolution_types", "offer 1 to %d resolution types", maxResolutionTypes)
	}
	out := make([]store.ResolutionType, 0, len(r.Types))
	keys := map[string]bool{}
	names := map[string]bool{}
	for i, in := range r.Types {
		at := func(f string) string { return fmt.Sprintf("resolution_types[%d].%s", i, f) }
		name, err := checkLabel(at("name"), in.Name)
		if err != nil {
			return nil, err
		}
		if len([]rune(name)) > maxResolutionTypeName {
			return nil, badRequest(at("name"), "a resolution type's name is at most %d characters", maxResolutionTypeName)
		}
		if names[strings.ToLower(name)] {
			return nil, badRequest(at("name"), "%q is listed twice", name)
		}
		names[strings.ToLower(name)] = true
		key := in.Key
		if key == "" {
			key = resolutionKey(name)
			if key == "" {
				key = "type"
			}
			for base, n := key, 2; keys[key] || r.named(key, i); n++ {
				key = fmt.Sprintf("%s_%d", base, n)
			}
		} else if !conversation.ValidResolutionKey(key) {
			return nil, badRequest(at("key"), "key must be 1 to %d of a-z, 0-9 and _", conversation.MaxResolutionKey)
		}
		if keys[key] {
			return nil, badRequest(at("key"), "key %q is listed twice", key)
		}
		keys[key] = true
		out = append(out, store.ResolutionType{Key: key, Name: name})
	}
	return out, nil
}

// named reports whether another entry than i names key explicitly: a new
// type's key must not take it.
func (r resolutionTypesRequest) named(key string, i int) bool {
	for j, in := range r.Types {
		if j != i && in.Key == key {
			return true
		}
	}
	return false
}

func (s *Server) listResolutionTypes(c *gin.Context) {
	types, err := s.Store.ResolutionTypes(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"resolution_types": types})
}

// setResolutionTypes makes the list the workspace offers, in order; types
// left out are archived (conversations resolved with them keep their
// names), a listed archived type is offered again.
func (s *Server) setResolutionTypes(c *gin.Context) {
	var req resolutionTypesRequest
	if !bind(c, &req) {
		return
	}
	types, err := req.check()
	if err != nil {
		fail(c, err)
		return
	}
	saved, err := s.Store.SetResolutionTypes(c, viewerOf(c).WorkspaceID, types)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "workspace.resolution_types_set", "workspace", nil, gin.H{"resolution_types": types})
	c.JSON(http.StatusOK, gin.H{"resolution_types": saved})
}

// resolutionKey makes a new type's key from its name: its words as
// keywords compares them (lowercase, no accents), joined by underscores,
// of a-z and 0-9 only ("Not a problem!" → not_a_problem); empty when
// nothing is left.
func resolutionKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(keywords.Normalize(name), " ", "_") {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		}
	}
	return strings.Trim(b.String()[:min(b.Len(), conversation.MaxResolutionKey-4)], "_")
}

package api

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

var tagColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// tagPalette colours a tag made without one: calm tones that read on
// white, chosen by the name so the same name gets the same colour.
var tagPalette = []string{"#2563eb", "#0891b2", "#059669", "#65a30d", "#d97706", "#dc2626", "#db2777", "#7c3aed", "#475569"}

type tagRequest struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

func (r *tagRequest) validate() error {
	if r.Name != nil {
		name := strings.Join(strings.Fields(*r.Name), " ")
		if name == "" || utf8.RuneCountInString(name) > 50 || !utf8.ValidString(name) {
			return badRequest("name", "name must be 1 to 50 characters")
		}
		r.Name = &name
	}
	if r.Color != nil {
		color := strings.ToLower(strings.TrimSpace(*r.Color))
		if !tagColor.MatchString(color) {
			return badRequest("color", `color must be a hex colour like "#2563eb"`)
		}
		r.Color = &color
	}
	return nil
}

func (s *Server) listTags(c *gin.Context) {
	tags, err := s.Store.Tags(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"tags": tags})
}

func (s *Server) getTag(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	tag, err := s.Store.Tag(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"tag": tag})
}

// createTag: any operator may make a tag while tagging; renaming,
// merging and deleting are admins'.
func (s *Server) createTag(c *gin.Context) {
	var req tagRequest
	if !bind(c, &req) {
		return
	}
	if req.Name == nil {
		fail(c, badRequest("name", "name is required"))
		return
	}
	color := ""
	if req.Color != nil {
		color = *req.Color
	} else {
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(*req.Name)))
		color = tagPalette[h.Sum32()%uint32(len(tagPalette))]
	}
	ws := viewerOf(c).WorkspaceID
	tag, err := s.Store.CreateTag(c, ws, *req.Name, color)
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("tag"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.publishTags(c, ws)
	c.JSON(http.StatusCreated, gin.H{"tag": tag})
}

func (s *Server) updateTag(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req tagRequest
	if !bind(c, &req) {
		return
	}
	ws := viewerOf(c).WorkspaceID
	cur, err := s.Store.Tag(c, ws, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	name, color := cur.Name, cur.Color
	if req.Name != nil {
		name = *req.Name
	}
	if req.Color != nil {
		color = *req.Color
	}
	tag, err := s.Store.UpdateTag(c, ws, id, name, color)
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, nameTaken("tag"))
		return
	}
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if name != cur.Name {
		s.audit(c, "tag.renamed", "tag", &id, gin.H{"from": cur.Name, "to": name})
	}
	s.publishTags(c, ws)
	c.JSON(http.StatusOK, gin.H{"tag": tag})
}

type mergeTagRequest struct {
	IntoID uuid.UUID `json:"into_id"`
}

// mergeTag moves everything tagged :id to into_id, then deletes :id.
func (s *Server) mergeTag(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req mergeTagRequest
	if !bind(c, &req) {
		return
	}
	ws := viewerOf(c).WorkspaceID
	from, err := s.Store.Tag(c, ws, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if req.IntoID == id {
		fail(c, unprocessable("into_id", "into_id must name another tag of this workspace"))
		return
	}
	into, err := s.Store.Tag(c, ws, req.IntoID)
	if err != nil {
		fail(c, unprocessable("into_id", "into_id must name another tag of this workspace"))
		return
	}
	convs, contacts, err := s.Store.MergeTag(c, ws, id, &into.ID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "tag.merged", "tag", &into.ID, gin.H{"from_id": from.ID, "from": from.Name, "into": into.Name, "conversations": convs, "contacts": contacts})
	s.publishTags(c, ws)
	c.JSON(http.StatusOK, gin.H{"tag": into, "conversations": convs, "contacts": contacts})
}

// deleteTag removes a tag from everything it tagged, then the tag.
func (s *Server) deleteTag(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	ws := viewerOf(c).WorkspaceID
	tag, err := s.Store.Tag(c, ws, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	convs, contacts, err := s.Store.MergeTag(c, ws, id, nil)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "tag.deleted", "tag", &id, gin.H{"name": tag.Name, "conversations": convs, "contacts": contacts})
	s.publishTags(c, ws)
	c.Status(http.StatusNoContent)
}

// tagParam reads :tag_id (a malformed one names nothing: 404).
func tagParam(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("tag_id"))
	if err != nil {
		fail(c, errNotFound)
		return uuid.Nil, false
	}
	return id, true
}

// tagConversation returns the handler that adds (add) or removes a tag
// on a conversation the caller may see: a conversation event, pushed to
// those who see the conversation. Adding a tag it has, or removing one it
// has not, changes nothing and answers 200 without an event.
func (s *Server) tagConversation(add bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		conv, ok := s.operatorConversation(c)
		if !ok {
			return
		}
		tagID, ok := tagParam(c)
		if !ok {
			return
		}
		t, err := s.Store.TagConversation(c, conv.WorkspaceID, conv.ID, tagID, operatorOf(c).ID, add)
		if errors.Is(err, store.ErrTooManyTags) {
			fail(c, unprocessable("tag_id", err.Error()))
			return
		}
		if err != nil {
			fail(c, notFoundOr(err))
			return
		}
		if t.Event != nil {
			s.publishConversation(c, t.Conversation, t.Event)
		}
		c.JSON(http.StatusOK, gin.H{"conversation": t.Conversation, "event": t.Event})
	}
}

// tagContact returns the handler that adds or removes a tag on a contact.
func (s *Server) tagContact(add bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c)
		if err != nil {
			fail(c, err)
			return
		}
		tagID, ok := tagParam(c)
		if !ok {
			return
		}
		v := viewerOf(c)
		ct, err := s.Store.TagContact(c, v.WorkspaceID, id, tagID, add)
		if errors.Is(err, store.ErrTooManyTags) {
			fail(c, unprocessable("tag_id", err.Error()))
			return
		}
		if err != nil {
			fail(c, notFoundOr(err))
			return
		}
		c.JSON(http.StatusOK, gin.H{"contact": viewContact(ct, v)})
	}
}

// publishConversation tells the operators who see a conversation of an
// operator's change to it that is not the visitor's business (no Visitor
// payload): a tag.
func (s *Server) publishConversation(c *gin.Context, conv store.Conversation, ev *store.Event) {
	data, err := json.Marshal(activities.ConversationUpdate{Conversation: conv, Event: ev})
	if err == nil {
		err = s.Bus.Publish(c, bus.Event{
			Type: bus.TypeConversationUpdated, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID,
			VisitorID: conv.VisitorID, Seq: ev.Seq, Data: data,
			Audience: bus.Audience{States: []bus.VisibilityState{{Department: conv.DepartmentID, Assignee: conv.AssigneeID}}},
		})
	}
	if err != nil {
		s.Logger.WarnContext(c, "publishing conversation.updated", "conversation", conv.ID, "err", err)
	}
}

// publishTags tells every operator of the workspace its tags as they are
// now: inboxes name and colour tags from this list.
func (s *Server) publishTags(c *gin.Context, workspaceID uuid.UUID) {
	tags, err := s.Store.Tags(c, workspaceID)
	var data []byte
	if err == nil {
		data, err = json.Marshal(gin.H{"tags": tags})
	}
	if err == nil {
		err = s.Bus.Publish(c, bus.Event{Type: bus.TypeTagsChanged, WorkspaceID: workspaceID, Data: data})
	}
	if err != nil {
		s.Logger.WarnContext(c, "publishing tags.changed", "err", err)
	}
}

package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/store"
)

// commentRequest is a comment on a contact: a body whose @names mention
// colleagues, and mentions by id.
type commentRequest struct {
	Body     string      `json:"body"`
	Mentions []uuid.UUID `json:"mentions"`
}

func (r *commentRequest) validate() error {
	if err := checkBody(r.Body); err != nil {
		return err
	}
	if len(r.Mentions) > maxMentions {
		return badRequest("mentions", "at most %d mentions", maxMentions)
	}
	return nil
}

// commentContact reads :id as one of the workspace's contacts.
func (s *Server) commentContact(c *gin.Context) (store.Contact, bool) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return store.Contact{}, false
	}
	ct, err := s.Store.Contact(c, viewerOf(c).WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return store.Contact{}, false
	}
	return ct, true
}

// commentTarget reads /contacts/:id/comments/:comment_id.
func (s *Server) commentTarget(c *gin.Context) (store.Contact, uuid.UUID, bool) {
	ct, ok := s.commentContact(c)
	if !ok {
		return store.Contact{}, uuid.Nil, false
	}
	id, err := uuid.Parse(c.Param("comment_id"))
	if err != nil {
		fail(c, errNotFound)
		return store.Contact{}, uuid.Nil, false
	}
	return ct, id, true
}

func (s *Server) listComments(c *gin.Context) {
	ct, ok := s.commentContact(c)
	if !ok {
		return
	}
	list, err := s.Store.Comments(c, ct.WorkspaceID, ct.ID, 500)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"comments": list})
}

// addComment writes a comment on a contact; those it mentions get an item
// linked to the contact, pushed live.
func (s *Server) addComment(c *gin.Context) {
	ct, ok := s.commentContact(c)
	if !ok {
		return
	}
	var req commentRequest
	if !bind(c, &req) {
		return
	}
	mentions, err := s.mentions(c, ct.WorkspaceID, req.Body, req.Mentions)
	if err != nil {
		fail(c, err)
		return
	}
	w, err := s.Store.AddComment(c, ct.WorkspaceID, ct.ID, operatorOf(c).ID, req.Body, mentions)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.notifier().Created(c, w.Notifications)
	c.JSON(http.StatusCreated, gin.H{"comment": w.Comment})
}

// editComment replaces a comment's body: its author's, or an admin's doing.
func (s *Server) editComment(c *gin.Context) {
	ct, id, ok := s.commentTarget(c)
	if !ok {
		return
	}
	var req commentRequest
	if !bind(c, &req) {
		return
	}
	mentions, err := s.mentions(c, ct.WorkspaceID, req.Body, req.Mentions)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	w, err := s.Store.EditComment(c, ct.WorkspaceID, ct.ID, id, req.Body, mentions, func(cm store.Comment) error {
		return v.MayChangeNote(cm.AuthorID)
	})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.notifier().Created(c, w.Notifications)
	c.JSON(http.StatusOK, gin.H{"comment": w.Comment})
}

// deleteComment removes a comment: its author's, or an admin's doing.
func (s *Server) deleteComment(c *gin.Context) {
	ct, id, ok := s.commentTarget(c)
	if !ok {
		return
	}
	v := viewerOf(c)
	_, err := s.Store.DeleteComment(c, ct.WorkspaceID, ct.ID, id, func(cm store.Comment) error {
		return v.MayChangeNote(cm.AuthorID)
	})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.Status(http.StatusNoContent)
}

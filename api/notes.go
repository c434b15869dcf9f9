package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/bus"
	"github.com/switchboardhq/switchboard/store"
)

const maxMentions = 20

type noteRequest struct {
	Body string `json:"body"`
	// Mentions name operators beside those the body's @names find.
	Mentions       []uuid.UUID `json:"mentions"`
	IdempotencyKey string      `json:"idempotency_key"`
}

func (r *noteRequest) validate() error {
	if err := checkBody(r.Body); err != nil {
		return err
	}
	if len(r.Mentions) > maxMentions {
		return badRequest("mentions", "at most %d mentions", maxMentions)
	}
	return checkIdempotencyKey(r.IdempotencyKey)
}

// listNotes answers a conversation's private notes after after_seq, in
// seq order: the inbox merges them into the timeline.
func (s *Server) listNotes(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	after, limit, err := seqPage(c)
	if err != nil {
		fail(c, err)
		return
	}
	notes, err := s.Store.Notes(c, conv.WorkspaceID, conv.ID, after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notes": notes})
}

// addNote writes a private note; the operators it mentions get an item
// in their notification inbox, pushed live.
func (s *Server) addNote(c *gin.Context) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return
	}
	var req noteRequest
	if !bind(c, &req) {
		return
	}
	mentions, err := s.mentions(c, conv.WorkspaceID, req.Body, req.Mentions)
	if err != nil {
		fail(c, err)
		return
	}
	op := operatorOf(c)
	w, err := s.Store.AddNote(c, store.NewNote{
		WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AuthorID: op.ID, Body: req.Body,
		Mentions: mentions, IdempotencyKey: req.IdempotencyKey,
	})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if !w.Created {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, gin.H{"note": w.Note})
		return
	}
	s.publishNote(c, bus.TypeNoteCreated, conv, w.Note, w.Note)
	s.notifier().Created(c, w.Notifications)
	c.JSON(http.StatusCreated, gin.H{"note": w.Note})
}

type editNoteRequest struct {
	Body     string      `json:"body"`
	Mentions []uuid.UUID `json:"mentions"`
}

func (r *editNoteRequest) validate() error {
	n := noteRequest{Body: r.Body, Mentions: r.Mentions}
	return n.validate()
}

// editNote replaces a note's body: its author's, or an admin's doing.
func (s *Server) editNote(c *gin.Context) {
	conv, noteID, ok := s.noteTarget(c)
	if !ok {
		return
	}
	var req editNoteRequest
	if !bind(c, &req) {
		return
	}
	mentions, err := s.mentions(c, conv.WorkspaceID, req.Body, req.Mentions)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	w, err := s.Store.EditNote(c, conv.WorkspaceID, conv.ID, noteID, req.Body, mentions, func(n store.Note) error {
		return v.MayChangeNote(n.AuthorID)
	})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.publishNote(c, bus.TypeNoteUpdated, conv, w.Note, w.Note)
	s.notifier().Created(c, w.Notifications)
	c.JSON(http.StatusOK, gin.H{"note": w.Note})
}

// deleteNote removes a note for good: its author's, or an admin's doing
// (audited when it is not the author's own).
func (s *Server) deleteNote(c *gin.Context) {
	conv, noteID, ok := s.noteTarget(c)
	if !ok {
		return
	}
	v := viewerOf(c)
	n, err := s.Store.DeleteNote(c, conv.WorkspaceID, conv.ID, noteID, func(n store.Note) error {
		return v.MayChangeNote(n.AuthorID)
	})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if n.AuthorID != v.OperatorID {
		s.audit(c, "note.deleted", "conversation", &conv.ID, gin.H{"note_id": n.ID, "author_id": n.AuthorID})
	}
	s.publishNote(c, bus.TypeNoteDeleted, conv, n, gin.H{"id": n.ID, "conversation_id": n.ConversationID, "seq": n.Seq})
	c.Status(http.StatusNoContent)
}

// noteTarget reads /conversations/:id/notes/:note_id for a conversation
// the viewer may see.
func (s *Server) noteTarget(c *gin.Context) (store.Conversation, uuid.UUID, bool) {
	conv, ok := s.operatorConversation(c)
	if !ok {
		return store.Conversation{}, uuid.Nil, false
	}
	id, err := uuid.Parse(c.Param("note_id"))
	if err != nil {
		fail(c, errNotFound)
		return store.Conversation{}, uuid.Nil, false
	}
	return conv, id, true
}

// publishNote tells the operators who may see the conversation of a note;
// never its visitor (no Visitor payload).
func (s *Server) publishNote(c *gin.Context, typ string, conv store.Conversation, n store.Note, payload any) {
	data, err := json.Marshal(payload)
	if err == nil {
		err = s.Bus.Publish(c, bus.Event{
			Type: typ, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, VisitorID: conv.VisitorID, Seq: n.Seq, Data: data,
			Audience: bus.Audience{States: []bus.VisibilityState{{Department: conv.DepartmentID, Assignee: conv.AssigneeID}}},
		})
	}
	if err != nil {
		s.Logger.WarnContext(c, "publishing "+typ, "conversation", conv.ID, "err", err)
	}
}

func (s *Server) notifier() activities.Notifier {
	return activities.Notifier{Store: s.Store, Bus: s.Bus, Logger: s.Logger}
}

// mentions resolves who a note mentions: the ids given (each an active
// operator of the workspace, else 422) and the @names in its body.
func (s *Server) mentions(c *gin.Context, workspaceID uuid.UUID, body string, given []uuid.UUID) ([]uuid.UUID, error) {
	people, err := s.Store.People(c, workspaceID, false)
	if err != nil {
		return nil, err
	}
	out := make([]uuid.UUID, 0, len(given))
	for _, id := range given {
		i := slices.IndexFunc(people, func(p store.Person) bool { return p.ID == id })
		if i < 0 {
			return nil, unprocessable("mentions", "mentions must name active operators of this workspace")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range mentionedIn(body, people) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// mentionedIn finds the operators a text names with @: an operator's name,
// their first name when no one else has it, or the part of their email
// before its @, in any case, ending where a word does. The longest match wins ("@Ada Lovelace" over "@Ada"); an @
// inside a word (an email address) mentions nobody.
func mentionedIn(text string, people []store.Person) []uuid.UUID {
	lower := strings.ToLower(text)
	var out []uuid.UUID
	// A first name alone ("@grace") names the one operator who has it;
	// shared by two, it names neither.
	firstNames := map[uuid.UUID]string{}
	holders := map[string]int{}
	for _, p := range people {
		first, _, found := strings.Cut(strings.ToLower(p.Name), " ")
		holders[first]++
		if found && first != "" {
			firstNames[p.ID] = first
		}
	}
	for id, first := range firstNames {
		if holders[first] > 1 {
			delete(firstNames, id)
		}
	}
	for i := 0; i < len(lower); i++ {
		if lower[i] != '@' {
			continue
		}
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(lower[:i])
			if wordRune(prev) {
				continue
			}
		}
		rest := lower[i+1:]
		best, bestLen := uuid.Nil, 0
		for _, p := range people {
			local, _, _ := strings.Cut(p.Email, "@")
			handles := []string{strings.ToLower(p.Name), strings.ToLower(local)}
			if first := firstNames[p.ID]; first != "" {
				handles = append(handles, first)
			}
			for _, handle := range handles {
				if len(handle) <= bestLen || !strings.HasPrefix(rest, handle) {
					continue
				}
				if next, _ := utf8.DecodeRuneInString(rest[len(handle):]); wordRune(next) {
					continue
				}
				best, bestLen = p.ID, len(handle)
			}
		}
		if bestLen > 0 && !slices.Contains(out, best) {
			out = append(out, best)
		}
	}
	return out
}

func wordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

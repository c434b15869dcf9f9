package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/store"
)

// contactView is a contact as an operator sees it; CS notes only for
// admins (absent, not empty, for others).
type contactView struct {
	store.Contact
	CSNotes *string `json:"cs_notes,omitempty"`
}

func viewContact(ct store.Contact, v access.Viewer) contactView {
	view := contactView{Contact: ct}
	if v.SeesSecrets() {
		notes := ct.CSNotes
		view.CSNotes = &notes
	}
	return view
}

func (s *Server) getContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	p := principalOf(c)
	ct, err := s.Store.Contact(c, p.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"contact": viewContact(ct, viewerOf(c))})
}

type updateContactRequest struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	CSNotes *string `json:"cs_notes"`
}

const maxCSNotes = 10000

// updateContact: supervisors and admins edit name and email; CS notes are
// admins' alone, and a request carrying them from anyone else is refused
// whole.
func (s *Server) updateContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req updateContactRequest
	if !bind(c, &req) {
		return
	}
	v := viewerOf(c)
	if req.CSNotes != nil {
		if err := v.MayWriteCSNotes(); err != nil {
			fail(c, err)
			return
		}
	}
	before, after, err := s.Store.UpdateContact(c, v.WorkspaceID, id, store.ContactChange{Name: req.Name, Email: req.Email, CSNotes: req.CSNotes})
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if before.CSNotes != after.CSNotes {
		// What the notes say stays out of the audit log, which more
		// eyes read over the years than the notes themselves.
		s.audit(c, "contact.cs_notes_changed", "contact", &after.ID, gin.H{})
	}
	c.JSON(http.StatusOK, gin.H{"contact": viewContact(after, v)})
}

func (r *updateContactRequest) validate() error {
	if r.Name != nil {
		name := strings.TrimSpace(*r.Name)
		if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
			return badRequest("name", "name must be at most 200 characters")
		}
		r.Name = &name
	}
	if r.Email != nil {
		email := strings.TrimSpace(*r.Email)
		if !validContactEmail(email) {
			return badRequest("email", "email must be an address of at most 320 characters, or empty")
		}
		r.Email = &email
	}
	if r.CSNotes != nil && (utf8.RuneCountInString(*r.CSNotes) > maxCSNotes || !utf8.ValidString(*r.CSNotes)) {
		return badRequest("cs_notes", "cs_notes must be text of at most %d characters", maxCSNotes)
	}
	return nil
}

func validContactEmail(e string) bool {
	if e == "" {
		return true
	}
	at := strings.IndexByte(e, '@')
	return len(e) <= 320 && utf8.ValidString(e) && at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n")
}

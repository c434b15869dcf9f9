package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/bus"
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
	Name      *string `json:"name"`
	Email     *string `json:"email"`
	Phone     *string `json:"phone"`
	AvatarURL *string `json:"avatar_url"`
	CSNotes   *string `json:"cs_notes"`
	// Attributes set the values given; null removes one.
	Attributes map[string]any `json:"attributes"`
}

const maxCSNotes = 10000

// updateContact: supervisors and admins edit the profile and attributes;
// CS notes are admins' alone, and a request carrying them from anyone else
// is refused whole.
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
	var attrs map[string]any
	if req.Attributes != nil {
		defs, err := s.Store.AttributeDefs(c, v.WorkspaceID)
		if err == nil {
			attrs, err = contactAttributes(defs, req.Attributes, "attributes", true)
		}
		if err != nil {
			fail(c, err)
			return
		}
	}
	before, after, err := s.Store.UpdateContact(c, v.WorkspaceID, id, store.ContactChange{
		Name: req.Name, Email: req.Email, Phone: req.Phone, AvatarURL: req.AvatarURL, CSNotes: req.CSNotes, Attributes: attrs,
	})
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
	if err := (profile{Name: r.Name, Email: r.Email, Phone: r.Phone, AvatarURL: r.AvatarURL}).check(); err != nil {
		return err
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

// contactAttributes checks attribute values against the workspace's
// definitions: a defined key, a value of its type (null removes it on an
// edit). field names the request's object ("attributes").
func contactAttributes(defs []store.AttributeDef, in map[string]any, field string, allowNull bool) (map[string]any, error) {
	if len(in) > 100 {
		return nil, badRequest(field, "at most 100 attributes")
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		i := slices.IndexFunc(defs, func(d store.AttributeDef) bool { return d.Key == k })
		if i < 0 {
			return nil, unprocessable(field+"."+k, "not a contact attribute of this workspace (define it first: PUT /contact-attributes)")
		}
		if v == nil {
			if !allowNull {
				return nil, badRequest(field+"."+k, "a value is required")
			}
			out[k] = nil
			continue
		}
		val, ok := typedAttribute(defs[i].Type, v)
		if !ok {
			return nil, badRequest(field+"."+k, "%s must be a %s", k, attributeShape(defs[i].Type))
		}
		out[k] = val
	}
	return out, nil
}

// typedAttribute checks a JSON value against an attribute type.
func typedAttribute(typ string, v any) (any, bool) {
	switch typ {
	case store.AttributeNumber:
		f, ok := v.(float64)
		return f, ok
	case store.AttributeBoolean:
		b, ok := v.(bool)
		return b, ok
	case store.AttributeDate:
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		_, err := time.Parse(time.DateOnly, s)
		return s, err == nil
	default:
		s, ok := v.(string)
		return s, ok && utf8.RuneCountInString(s) <= 1000 && utf8.ValidString(s)
	}
}

func attributeShape(typ string) string {
	switch typ {
	case store.AttributeNumber:
		return "number"
	case store.AttributeBoolean:
		return "true or false"
	case store.AttributeDate:
		return "date (YYYY-MM-DD)"
	}
	return "text of at most 1,000 characters"
}

// attributeFilter reads attr.<key>=value query parameters as the
// attributes' types say.
func attributeFilter(c *gin.Context, defs []store.AttributeDef) (map[string]any, error) {
	out := map[string]any{}
	for name, values := range c.Request.URL.Query() {
		key, ok := strings.CutPrefix(name, "attr.")
		if !ok {
			continue
		}
		i := slices.IndexFunc(defs, func(d store.AttributeDef) bool { return d.Key == key })
		if i < 0 {
			return nil, badRequest(name, "%s is not a contact attribute of this workspace", key)
		}
		raw := values[0]
		var v any = raw
		switch defs[i].Type {
		case store.AttributeNumber:
			f, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, badRequest(name, "%s must be a number", name)
			}
			v = f
		case store.AttributeBoolean:
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return nil, badRequest(name, "%s must be true or false", name)
			}
			v = b
		}
		out[key] = v
	}
	return out, nil
}

// listContacts pages the workspace's contacts, newest first: q (a piece
// of the name, email, phone or external id), tag_id, attr.<key>=value;
// format=csv answers every match as CSV instead.
func (s *Server) listContacts(c *gin.Context) {
	v := viewerOf(c)
	defs, err := s.Store.AttributeDefs(c, v.WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	f := store.ContactFilter{Query: c.Query("q")}
	if utf8.RuneCountInString(f.Query) > 200 || !utf8.ValidString(f.Query) {
		fail(c, badRequest("q", "q must be text of at most 200 characters"))
		return
	}
	if t := c.Query("tag_id"); t != "" {
		id, err := uuid.Parse(t)
		if err != nil {
			fail(c, badRequest("tag_id", "tag_id must be a UUID"))
			return
		}
		f.TagID = &id
	}
	if f.Attributes, err = attributeFilter(c, defs); err != nil {
		fail(c, err)
		return
	}
	if format := c.Query("format"); format == "csv" {
		s.exportContacts(c, defs, f)
		return
	} else if format != "" {
		fail(c, badRequest("format", "format must be csv, or left out for JSON"))
		return
	}
	limit, cursor, err := page(c, defaultLimit, maxLimit)
	if err != nil {
		fail(c, err)
		return
	}
	list, next, err := s.Store.Contacts(c, v.WorkspaceID, f, cursor, limit)
	if err != nil {
		fail(c, err)
		return
	}
	views := make([]contactView, len(list))
	for i, ct := range list {
		views[i] = viewContact(ct, v)
	}
	c.JSON(http.StatusOK, gin.H{"contacts": views, "next_cursor": encodeCursor(next)})
}

// exportContacts streams every contact the filter matches as CSV: the
// profile, tags by name, then one column per defined attribute. Cells a
// spreadsheet would run as a formula are prefixed with '.
func (s *Server) exportContacts(c *gin.Context, defs []store.AttributeDef, f store.ContactFilter) {
	v := viewerOf(c)
	tags, err := s.Store.Tags(c, v.WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	tagName := map[uuid.UUID]string{}
	for _, t := range tags {
		tagName[t.ID] = t.Name
	}
	w := startCSV(c, "contacts.csv")
	head := []string{"id", "external_id", "name", "email", "phone", "created_at", "last_seen_at", "tags"}
	for _, d := range defs {
		head = append(head, d.Key)
	}
	_ = w.Write(head)
	var cursor *store.Cursor
	for {
		page, next, err := s.Store.Contacts(c, v.WorkspaceID, f, cursor, 500)
		if err != nil {
			// Headers are gone: end the body short; the client sees a
			// truncated file rather than a wrong one.
			_ = c.Error(err)
			return
		}
		for _, ct := range page {
			var names []string
			for _, id := range ct.TagIDs {
				names = append(names, tagName[id])
			}
			seen := ""
			if ct.LastSeenAt != nil {
				seen = ct.LastSeenAt.UTC().Format(time.RFC3339)
			}
			row := []string{ct.ID.String(), deref(ct.ExternalID), ct.Name, ct.Email, ct.Phone, ct.CreatedAt.UTC().Format(time.RFC3339), seen, strings.Join(names, "; ")}
			for _, d := range defs {
				cell := ""
				if val, ok := ct.Attributes[d.Key]; ok && val != nil {
					cell = fmt.Sprint(val)
				}
				row = append(row, cell)
			}
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			_ = w.Write(row)
		}
		w.Flush()
		if next == nil {
			return
		}
		cursor = next
	}
}

// csvSafe keeps a spreadsheet from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type createContactRequest struct {
	ExternalID *string        `json:"external_id"`
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	AvatarURL  string         `json:"avatar_url"`
	Attributes map[string]any `json:"attributes"`
}

func (r *createContactRequest) validate() error {
	if r.ExternalID != nil {
		id := strings.TrimSpace(*r.ExternalID)
		if id == "" || len(id) > 200 || !utf8.ValidString(id) {
			return badRequest("external_id", "external_id must be 1 to 200 characters, or left out")
		}
		r.ExternalID = &id
	}
	p := profile{Name: &r.Name, Email: &r.Email, Phone: &r.Phone, AvatarURL: &r.AvatarURL}
	return p.check()
}

// profile is the editable profile fields of a request, checked (and
// trimmed) in place; nil fields are absent.
type profile struct {
	Name, Email, Phone, AvatarURL *string
}

func (p profile) check() error {
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
		if utf8.RuneCountInString(*p.Name) > 200 || !utf8.ValidString(*p.Name) {
			return badRequest("name", "name must be at most 200 characters")
		}
	}
	if p.Email != nil {
		*p.Email = strings.TrimSpace(*p.Email)
		if !validContactEmail(*p.Email) {
			return badRequest("email", "email must be an address of at most 320 characters, or empty")
		}
	}
	if p.Phone != nil {
		*p.Phone = strings.TrimSpace(*p.Phone)
		if len(*p.Phone) > 50 || strings.Trim(*p.Phone, "+0123456789 ()-./") != "" {
			return badRequest("phone", "phone must be digits (with + ( ) - . / and spaces), at most 50 characters")
		}
	}
	if p.AvatarURL != nil {
		*p.AvatarURL = strings.TrimSpace(*p.AvatarURL)
		if *p.AvatarURL != "" {
			u, err := url.Parse(*p.AvatarURL)
			if err != nil || u.Scheme != "https" || u.Host == "" || len(*p.AvatarURL) > 1000 {
				return badRequest("avatar_url", "avatar_url must be an https URL of at most 1,000 characters, or empty")
			}
		}
	}
	return nil
}

// createContact adds a contact (an operator's, or an integration's
// through an API token).
func (s *Server) createContact(c *gin.Context) {
	var req createContactRequest
	if !bind(c, &req) {
		return
	}
	v := viewerOf(c)
	defs, err := s.Store.AttributeDefs(c, v.WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	attrs, err := contactAttributes(defs, req.Attributes, "attributes", false)
	if err != nil {
		fail(c, err)
		return
	}
	ct, err := s.Store.CreateContact(c, store.NewContact{
		WorkspaceID: v.WorkspaceID, ExternalID: req.ExternalID, Name: req.Name, Email: req.Email,
		Phone: req.Phone, AvatarURL: req.AvatarURL, Attributes: attrs,
	})
	if errors.Is(err, store.ErrDuplicate) {
		fail(c, &apiError{Status: http.StatusConflict, Code: "external_id_taken", Field: "external_id", Message: "another contact has that external_id"})
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"contact": viewContact(ct, v)})
}

type mergeContactRequest struct {
	FromID uuid.UUID `json:"from_id"`
}

// mergeContact folds from_id into :id (supervisors and admins): the
// devices, conversations and items move; :id keeps its profile and takes
// what it lacks; from_id is gone. The moved devices' sockets follow.
func (s *Server) mergeContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req mergeContactRequest
	if !bind(c, &req) {
		return
	}
	v := viewerOf(c)
	if _, err := s.Store.Contact(c, v.WorkspaceID, id); err != nil {
		fail(c, notFoundOr(err))
		return
	}
	if req.FromID == id || req.FromID == uuid.Nil {
		fail(c, unprocessable("from_id", "from_id must name another contact of this workspace"))
		return
	}
	if _, err := s.Store.Contact(c, v.WorkspaceID, req.FromID); err != nil {
		fail(c, unprocessable("from_id", "from_id must name another contact of this workspace"))
		return
	}
	m, err := s.Store.MergeContacts(c, v.WorkspaceID, id, req.FromID)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	into := m.Contact.ID
	for _, visitor := range m.VisitorIDs {
		s.publishControl(c, bus.Event{Type: bus.TypeVisitorIdentified, WorkspaceID: v.WorkspaceID, VisitorID: visitor, ContactID: &into})
	}
	s.audit(c, "contact.merged", "contact", &into, gin.H{"from_id": req.FromID, "visitors": len(m.VisitorIDs), "conversations": m.Conversations})
	c.JSON(http.StatusOK, gin.H{"contact": viewContact(m.Contact, v), "moved": gin.H{"visitors": len(m.VisitorIDs), "conversations": m.Conversations}})
}

// eraseContact deletes a contact and their personal data (admins; a
// privacy request): see store.EraseContact. Audited with counts only.
func (s *Server) eraseContact(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewerOf(c)
	e, err := s.Store.EraseContact(c, v.WorkspaceID, id)
	if err != nil {
		fail(c, notFoundOr(err))
		return
	}
	s.audit(c, "contact.erased", "contact", &id, gin.H{"conversations": len(e.Conversations), "visitors": e.Visitors})
	c.JSON(http.StatusOK, gin.H{"erased": gin.H{"conversations": len(e.Conversations), "visitors": e.Visitors}})
}

func (s *Server) listAttributeDefs(c *gin.Context) {
	defs, err := s.Store.AttributeDefs(c, viewerOf(c).WorkspaceID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"attributes": defs})
}

var attributeKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

type attributeDefsRequest struct {
	Attributes []store.AttributeDef `json:"attributes"`
}

func (r *attributeDefsRequest) validate() error {
	if r.Attributes == nil {
		return badRequest("attributes", "attributes is required (an empty list removes every definition)")
	}
	if len(r.Attributes) > 100 {
		return badRequest("attributes", "at most 100 attributes")
	}
	seen := map[string]bool{}
	for i := range r.Attributes {
		a := &r.Attributes[i]
		field := fmt.Sprintf("attributes[%d]", i)
		if !attributeKey.MatchString(a.Key) {
			return badRequest(field+".key", "key must be a lowercase letter then letters, digits or _, at most 40")
		}
		if seen[a.Key] {
			return badRequest(field+".key", "%s twice", a.Key)
		}
		seen[a.Key] = true
		a.Name = strings.TrimSpace(a.Name)
		if a.Name == "" || utf8.RuneCountInString(a.Name) > 60 {
			return badRequest(field+".name", "name must be 1 to 60 characters")
		}
		switch a.Type {
		case store.AttributeText, store.AttributeNumber, store.AttributeDate, store.AttributeBoolean:
		default:
			return badRequest(field+".type", "type must be text, number, date or boolean")
		}
	}
	return nil
}

// setAttributeDefs replaces the workspace's contact attribute definitions
// (admins).
func (s *Server) setAttributeDefs(c *gin.Context) {
	var req attributeDefsRequest
	if !bind(c, &req) {
		return
	}
	defs, err := s.Store.SetAttributeDefs(c, viewerOf(c).WorkspaceID, req.Attributes)
	if err != nil {
		fail(c, err)
		return
	}
	s.audit(c, "workspace.contact_attributes_set", "workspace", nil, gin.H{"attributes": defs})
	c.JSON(http.StatusOK, gin.H{"attributes": defs})
}

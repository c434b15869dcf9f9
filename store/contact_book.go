package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// NewContact is a contact made through the API or by an operator.
type NewContact struct {
	WorkspaceID uuid.UUID
	ExternalID  *string
	Name        string
	Email       string
	Phone       string
	AvatarURL   string
	Attributes  map[string]any
}

// CreateContact adds a contact; an external id taken is ErrDuplicate.
func (s *Store) CreateContact(ctx context.Context, n NewContact) (Contact, error) {
	attrs := n.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return Contact{}, err
	}
	r, err := s.q.ContactInsert(ctx, dbsqlc.ContactInsertParams{
		ID: newID(), WorkspaceID: n.WorkspaceID, ExternalID: n.ExternalID, Name: n.Name, Email: n.Email,
		Phone: n.Phone, AvatarUrl: n.AvatarURL, Attributes: raw,
	})
	if err != nil {
		return Contact{}, fmt.Errorf("creating contact: %w", interpretError(err))
	}
	return contactFromRow(r), nil
}

// ContactFilter narrows the contact list; zero fields do not filter.
type ContactFilter struct {
	// Query is a piece of the name, email, phone or external id.
	Query string
	TagID *uuid.UUID
	// Attributes: the contact's attributes hold these values.
	Attributes map[string]any
}

// likeEscaper escapes LIKE's wildcards (the default escape is \).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Contacts returns a page of the workspace's contacts, newest first, and
// the cursor of the next page (nil at the end).
func (s *Store) Contacts(ctx context.Context, workspaceID uuid.UUID, f ContactFilter, after *Cursor, limit int) ([]Contact, *Cursor, error) {
	var attrs []byte
	if len(f.Attributes) > 0 {
		var err error
		if attrs, err = json.Marshal(f.Attributes); err != nil {
			return nil, nil, err
		}
	}
	var cursorAt *time.Time
	var cursorID uuid.NullUUID
	if after != nil {
		cursorAt, cursorID = &after.At, uuid.NullUUID{UUID: after.ID, Valid: true}
	}
	var rows []dbsqlc.Contact
	var err error
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		rows, err = s.q.ContactSearch(ctx, dbsqlc.ContactSearchParams{
			WorkspaceID: workspaceID, Pattern: "%" + likeEscaper.Replace(q) + "%", TagID: nullUUID(f.TagID),
			Attributes: attrs, CursorAt: cursorAt, CursorID: cursorID, RowLimit: int32(limit + 1),
		})
	} else {
		rows, err = s.q.ContactList(ctx, dbsqlc.ContactListParams{
			WorkspaceID: workspaceID, TagID: nullUUID(f.TagID), Attributes: attrs,
			CursorAt: cursorAt, CursorID: cursorID, RowLimit: int32(limit + 1),
		})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing contacts: %w", err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = &Cursor{At: last.CreatedAt, ID: last.ID}
	}
	out := make([]Contact, len(rows))
	for i, r := range rows {
		out[i] = contactFromRow(r)
	}
	return out, next, nil
}

// Types of a contact attribute.
const (
	AttributeText    = "text"
	AttributeNumber  = "number"
	AttributeDate    = "date"
	AttributeBoolean = "boolean"
)

// AttributeDef defines one of a workspace's contact attributes.
type AttributeDef struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// AttributeDefs lists the workspace's contact attribute definitions.
func (s *Store) AttributeDefs(ctx context.Context, workspaceID uuid.UUID) ([]AttributeDef, error) {
	rows, err := s.q.ContactAttributeDefList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing contact attributes: %w", err)
	}
	out := make([]AttributeDef, len(rows))
	for i, r := range rows {
		out[i] = AttributeDef{Key: r.Key, Name: r.Name, Type: r.Type}
	}
	return out, nil
}

// SetAttributeDefs replaces the workspace's definitions, in the order
// given (the CSV's columns, the profile's lines): those left out are
// removed (contacts keep their values, untyped).
func (s *Store) SetAttributeDefs(ctx context.Context, workspaceID uuid.UUID, defs []AttributeDef) ([]AttributeDef, error) {
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.WorkspaceLock(ctx, workspaceID); err != nil {
			return err
		}
		old, err := q.ContactAttributeDefList(ctx, workspaceID)
		if err != nil {
			return err
		}
		for _, o := range old {
			if !slices.ContainsFunc(defs, func(d AttributeDef) bool { return d.Key == o.Key }) {
				if _, err := q.ContactAttributeDefDelete(ctx, dbsqlc.ContactAttributeDefDeleteParams{WorkspaceID: workspaceID, Key: o.Key}); err != nil {
					return err
				}
			}
		}
		for i, d := range defs {
			if _, err := q.ContactAttributeDefUpsert(ctx, dbsqlc.ContactAttributeDefUpsertParams{
				WorkspaceID: workspaceID, Key: d.Key, Name: d.Name, Type: d.Type, Position: int32(i),
			}); err != nil {
				return interpretError(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("setting contact attributes: %w", err)
	}
	return s.AttributeDefs(ctx, workspaceID)
}

// Merged is a merge's outcome: the contact that remains, the visitors
// (devices) that moved to it, and how many conversations did.
type Merged struct {
	Contact       Contact
	VisitorIDs    []uuid.UUID
	Conversations int64
}

// MergeContacts folds contact from into contact into: from's devices,
// conversations, comments and notification items move; into keeps its profile and
// takes what it lacks from from's (name, email, phone, avatar, external
// id, attributes), the tags of both, both CS notes; from is deleted.
func (s *Store) MergeContacts(ctx context.Context, workspaceID, into, from uuid.UUID) (Merged, error) {
	var out Merged
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		// Locked in id order: two merges of the same pair cannot deadlock.
		rows := map[uuid.UUID]dbsqlc.Contact{}
		ids := []uuid.UUID{into, from}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		for _, id := range ids {
			r, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: workspaceID, ID: id})
			if err != nil {
				return interpretError(err)
			}
			rows[id] = r
		}
		keep, gone := contactFromRow(rows[into]), contactFromRow(rows[from])
		moved, err := q.ContactMergeMove(ctx, dbsqlc.ContactMergeMoveParams{WorkspaceID: workspaceID, IntoID: nullUUID(&into), FromID: nullUUID(&from)})
		if err != nil {
			return err
		}
		out.VisitorIDs, out.Conversations = moved.VisitorIDs, moved.Conversations
		if _, err := q.ContactCommentsMove(ctx, dbsqlc.ContactCommentsMoveParams{WorkspaceID: workspaceID, IntoID: into, FromID: from}); err != nil {
			return err
		}
		if _, err := q.ContactDelete(ctx, dbsqlc.ContactDeleteParams{WorkspaceID: workspaceID, ID: from}); err != nil {
			return err
		}
		if keep.ExternalID == nil && gone.ExternalID != nil {
			if err := q.ContactSetExternalID(ctx, dbsqlc.ContactSetExternalIDParams{WorkspaceID: workspaceID, ID: into, ExternalID: gone.ExternalID}); err != nil {
				return interpretError(err)
			}
		}
		tags := slices.Clone(keep.TagIDs)
		for _, t := range gone.TagIDs {
			if !slices.Contains(tags, t) && len(tags) < MaxTagsPerItem {
				tags = append(tags, t)
			}
		}
		if err := q.ContactSetTagIDs(ctx, dbsqlc.ContactSetTagIDsParams{WorkspaceID: workspaceID, ID: into, TagIDs: tags}); err != nil {
			return err
		}
		ch := ContactChange{Attributes: map[string]any{}}
		fill := func(have, take string) *string {
			if have == "" && take != "" {
				return &take
			}
			return nil
		}
		ch.Name, ch.Email, ch.Phone, ch.AvatarURL = fill(keep.Name, gone.Name), fill(keep.Email, gone.Email), fill(keep.Phone, gone.Phone), fill(keep.AvatarURL, gone.AvatarURL)
		for k, v := range gone.Attributes {
			if _, ok := keep.Attributes[k]; !ok {
				ch.Attributes[k] = v
			}
		}
		if gone.CSNotes != "" {
			notes := strings.TrimSpace(keep.CSNotes + "\n\n" + gone.CSNotes)
			ch.CSNotes = &notes
		}
		keep.TagIDs = tags
		r, err := editContact(ctx, q, keep, ch)
		if err != nil {
			return err
		}
		out.Contact = contactFromRow(r)
		return nil
	})
	if err != nil {
		return Merged{}, fmt.Errorf("merging contact %s into %s: %w", from, into, err)
	}
	return out, nil
}

// Erased is what erasing a contact did.
type Erased struct {
	// Conversations were emptied of their words and kept, anonymous.
	Conversations []uuid.UUID
	// Visitors forgot who they were.
	Visitors int64
}

// EraseContact removes a contact and their personal data for good (a
// privacy request): the profile, attributes, tags and CS notes; their
// conversations' words (messages, previews, subjects, what a bot gathered,
// notes); their devices' identity. The conversations stay, anonymous,
// with their counts and times.
func (s *Store) EraseContact(ctx context.Context, workspaceID, id uuid.UUID) (Erased, error) {
	var out Erased
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: workspaceID, ID: id}); err != nil {
			return interpretError(err)
		}
		convs, err := q.ContactEraseConversations(ctx, dbsqlc.ContactEraseConversationsParams{WorkspaceID: workspaceID, ContactID: nullUUID(&id)})
		if err != nil {
			return err
		}
		out.Conversations = convs
		if out.Visitors, err = q.ContactEraseVisitors(ctx, dbsqlc.ContactEraseVisitorsParams{WorkspaceID: workspaceID, ContactID: nullUUID(&id)}); err != nil {
			return err
		}
		_, err = q.ContactDelete(ctx, dbsqlc.ContactDeleteParams{WorkspaceID: workspaceID, ID: id})
		return err
	})
	if err != nil {
		return Erased{}, fmt.Errorf("erasing contact %s: %w", id, err)
	}
	return out, nil
}

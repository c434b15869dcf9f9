package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	dbsqlc "github.com/switchboardhq/switchboard/db/sqlc"
)

// MaxTagsPerItem caps the tags on one conversation or contact.
const MaxTagsPerItem = 20

// ErrTooManyTags: the conversation or contact has MaxTagsPerItem tags.
var ErrTooManyTags = fmt.Errorf("at most %d tags on one conversation or contact", MaxTagsPerItem)

// Conversation events that are operators' own, not the workflow's.
const (
	EventTagAdded   = "tag_added"
	EventTagRemoved = "tag_removed"
)

// Tag is a workspace's label for conversations and contacts.
type Tag struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	CreatedAt time.Time `json:"created_at"`
}

func tagFromRow(r dbsqlc.Tag) Tag {
	return Tag{ID: r.ID, Name: r.Name, Color: r.Color, CreatedAt: r.CreatedAt}
}

// Tags lists a workspace's tags by name.
func (s *Store) Tags(ctx context.Context, workspaceID uuid.UUID) ([]Tag, error) {
	rows, err := s.q.TagList(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("listing tags: %w", err)
	}
	out := make([]Tag, len(rows))
	for i, r := range rows {
		out[i] = tagFromRow(r)
	}
	return out, nil
}

// Tag returns one tag of a workspace.
func (s *Store) Tag(ctx context.Context, workspaceID, id uuid.UUID) (Tag, error) {
	r, err := s.q.TagGet(ctx, dbsqlc.TagGetParams{WorkspaceID: workspaceID, ID: id})
	if err != nil {
		return Tag{}, interpretError(err)
	}
	return tagFromRow(r), nil
}

// CreateTag adds a tag; a name taken (in any case) is ErrDuplicate.
func (s *Store) CreateTag(ctx context.Context, workspaceID uuid.UUID, name, color string) (Tag, error) {
	r, err := s.q.TagInsert(ctx, dbsqlc.TagInsertParams{ID: newID(), WorkspaceID: workspaceID, Name: name, Color: color})
	if err != nil {
		return Tag{}, fmt.Errorf("creating tag %q: %w", name, interpretError(err))
	}
	return tagFromRow(r), nil
}

// UpdateTag renames or recolours a tag; what it tags carries its id, so
// every conversation shows the new name at once.
func (s *Store) UpdateTag(ctx context.Context, workspaceID, id uuid.UUID, name, color string) (Tag, error) {
	r, err := s.q.TagUpdate(ctx, dbsqlc.TagUpdateParams{WorkspaceID: workspaceID, ID: id, Name: name, Color: color})
	if err != nil {
		return Tag{}, fmt.Errorf("updating tag %s: %w", id, interpretError(err))
	}
	return tagFromRow(r), nil
}

// MergeTag moves everything tagged from to into (each item once) and
// deletes from; with into nil it only deletes from, untagging everything.
// It returns how many conversations and contacts changed.
func (s *Store) MergeTag(ctx context.Context, workspaceID, from uuid.UUID, into *uuid.UUID) (conversations, contacts int64, err error) {
	err = s.tx(ctx, func(q *dbsqlc.Queries) error {
		if into != nil {
			if _, err := q.TagGet(ctx, dbsqlc.TagGetParams{WorkspaceID: workspaceID, ID: *into}); err != nil {
				return interpretError(err)
			}
		}
		n, err := q.TagDelete(ctx, dbsqlc.TagDeleteParams{WorkspaceID: workspaceID, ID: from})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		p := dbsqlc.ConversationsRetagParams{WorkspaceID: workspaceID, FromID: from, IntoID: nullUUID(into)}
		if conversations, err = q.ConversationsRetag(ctx, p); err != nil {
			return err
		}
		contacts, err = q.ContactsRetag(ctx, dbsqlc.ContactsRetagParams(p))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("merging tag %s: %w", from, err)
	}
	return conversations, contacts, nil
}

// Tagged is a conversation after a tag change, and the event that records
// it (nil when nothing changed: the tag was there already, or was not).
type Tagged struct {
	Conversation Conversation
	Event        *Event
}

// TagConversation adds (add) or removes a workspace tag on a conversation,
// recording the change as a conversation event with the next seq, by the
// operator actor. The tag must be the workspace's (else ErrNotFound).
func (s *Store) TagConversation(ctx context.Context, workspaceID, conversationID, tagID, actor uuid.UUID, add bool) (Tagged, error) {
	var out Tagged
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		tag, err := q.TagGet(ctx, dbsqlc.TagGetParams{WorkspaceID: workspaceID, ID: tagID})
		if err != nil {
			return interpretError(err)
		}
		at := time.Now()
		r, err := q.ConversationSetTag(ctx, dbsqlc.ConversationSetTagParams{
			WorkspaceID: workspaceID, ID: conversationID, TagID: tagID, Add: add, MaxTags: MaxTagsPerItem, At: at,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			cur, gerr := q.ConversationGet(ctx, dbsqlc.ConversationGetParams{WorkspaceID: workspaceID, ID: conversationID})
			if gerr != nil {
				return interpretError(gerr)
			}
			out.Conversation = conversationFromRow(cur)
			if add && len(cur.TagIDs) >= MaxTagsPerItem && !slices.Contains(cur.TagIDs, tagID) {
				return ErrTooManyTags
			}
			return nil // nothing to change
		}
		if err != nil {
			return interpretError(err)
		}
		out.Conversation = conversationFromRow(r)
		typ := EventTagRemoved
		if add {
			typ = EventTagAdded
		}
		data, _ := json.Marshal(map[string]any{"tag_id": tag.ID, "name": tag.Name, "color": tag.Color})
		ev, err := q.ConversationEventInsert(ctx, dbsqlc.ConversationEventInsertParams{
			ID: newID(), WorkspaceID: workspaceID, ConversationID: conversationID, Seq: r.LastSeq,
			Type: typ, ActorType: "operator", ActorID: nullUUID(&actor), Data: data, CreatedAt: at,
		})
		if err != nil {
			return interpretError(err)
		}
		e := eventFromRow(ev)
		out.Event = &e
		return nil
	})
	if err != nil {
		return Tagged{}, fmt.Errorf("tagging conversation %s: %w", conversationID, err)
	}
	return out, nil
}

// TagContact adds or removes a workspace tag on a contact.
func (s *Store) TagContact(ctx context.Context, workspaceID, contactID, tagID uuid.UUID, add bool) (Contact, error) {
	var out Contact
	err := s.tx(ctx, func(q *dbsqlc.Queries) error {
		if _, err := q.TagGet(ctx, dbsqlc.TagGetParams{WorkspaceID: workspaceID, ID: tagID}); err != nil {
			return interpretError(err)
		}
		r, err := q.ContactSetTag(ctx, dbsqlc.ContactSetTagParams{
			WorkspaceID: workspaceID, ID: contactID, TagID: tagID, Add: add, MaxTags: MaxTagsPerItem,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			cur, gerr := q.ContactGet(ctx, dbsqlc.ContactGetParams{WorkspaceID: workspaceID, ID: contactID})
			if gerr != nil {
				return interpretError(gerr)
			}
			out = contactFromRow(cur)
			if add && len(cur.TagIDs) >= MaxTagsPerItem && !slices.Contains(cur.TagIDs, tagID) {
				return ErrTooManyTags
			}
			return nil
		}
		if err != nil {
			return interpretError(err)
		}
		out = contactFromRow(r)
		return nil
	})
	if err != nil {
		return Contact{}, fmt.Errorf("tagging contact %s: %w", contactID, err)
	}
	return out, nil
}

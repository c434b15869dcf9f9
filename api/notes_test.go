package api

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/store"
)

func TestMentionedIn(t *testing.T) {
	t.Parallel()
	person := func(name, email string) store.Person {
		return store.Person{Operator: store.Operator{ID: uuid.New(), Name: name, Email: email}}
	}
	ada := person("Ada", "ada.l@example.com")
	adaL := person("Ada Lovelace", "countess@example.com")
	bob := person("Bob Marley", "bob@example.com")
	zoe := person("Zoë", "zoe@example.com")
	people := []store.Person{ada, adaL, bob, zoe}
	for _, tc := range []struct {
		text string
		want []uuid.UUID
	}{
		{"@Ada Lovelace can you look?", []uuid.UUID{adaL.ID}},                // the longest name wins
		{"@ada, and @ADA LOVELACE", []uuid.UUID{ada.ID, adaL.ID}},            // any case; each once
		{"ask @bob.", []uuid.UUID{bob.ID}},                                   // an email's local part
		{"@Bobby is not Bob", nil},                                           // a name ends where a word does
		{"mail bob@example.com", nil},                                        // an @ inside a word
		{"@Zoë: and @zoe again and @countess", []uuid.UUID{zoe.ID, adaL.ID}}, // unicode names; the same person once
		{"@Ada.L", []uuid.UUID{ada.ID}},                                      // "ada" ends at the dot; "ada.l" is longer
		{"@", nil},
		{"thanks @bob!", []uuid.UUID{bob.ID}},              // a first name no one else has
		{"@ada? @Bob Marley", []uuid.UUID{ada.ID, bob.ID}}, // "Ada" is a name of its own, not a shared first name

	} {
		require.Equal(t, tc.want, mentionedIn(tc.text, people), tc.text)
	}
}

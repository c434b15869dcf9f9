package keywords

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Cancel my Subscription!!": "cancel my subscription",
		"  Rémbourser,   SVP ":     "rembourser svp",
		"Straße — Æsir":            "strasse aesir",
		"order #12-34":             "order 12 34",
		"":                         "",
		"¡¿…!":                     "",
	} {
		require.Equal(t, want, Normalize(in), "Normalize(%q)", in)
	}
}

func TestContainsWholeWords(t *testing.T) {
	t.Parallel()
	text := NewText("Hi, I want a REFUND for my order; please cancel my subscription.")
	require.True(t, text.Contains("refund"))
	require.True(t, text.Contains("cancel my subscription"))
	require.True(t, text.Contains("hi"))
	require.False(t, text.Contains("refunds"), "a longer word is another word")
	require.False(t, text.Contains("fund"), "part of a word is no match")
	require.False(t, text.Contains("cancel subscription"), "words must be adjacent")
	require.False(t, text.Contains(""), "an empty phrase matches nothing")
	require.True(t, NewText("Je veux être remboursé").Contains(Normalize("REMBOURSÉ")))
}

func TestMatchFirstRuleWins(t *testing.T) {
	t.Parallel()
	urgent, billing := uuid.New(), uuid.New()
	rules := []Rule{
		{ID: urgent, Phrases: []string{"urgent", "asap"}, Priority: "urgent"},
		{ID: billing, Phrases: []string{"refund", "invoice"}, Priority: "high"},
	}
	require.Nil(t, Match(rules, "hello there"))
	require.Nil(t, Match(nil, "refund"))
	require.Equal(t, billing, Match(rules, "where is my invoice?").ID)
	require.Equal(t, urgent, Match(rules, "refund ASAP please").ID, "rules are tried in order")
}

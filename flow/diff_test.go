package flow

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	a := mustParse(t, `{"start":"hi","nodes":[
		{"id":"hi","kind":"message","text":"Hello","next":"bye"},
		{"id":"gone","kind":"message","text":"Old"},
		{"id":"bye","kind":"end"}]}`)
	b := mustParse(t, `{"start":"hi","fallback_limit":3,"nodes":[
		{"id":"hi","kind":"message","text":"Hello there","quick_replies":["Yes"],"next":"bye"},
		{"id":"bye","kind":"end"},
		{"id":"new","kind":"end"}]}`)
	d := Compare(a, b)
	require.False(t, d.StartChanged)
	require.True(t, d.FallbackChanged)
	require.Equal(t, []string{"new"}, d.Added)
	require.Equal(t, []string{"gone"}, d.Removed)
	require.Len(t, d.Changed, 1)
	require.Equal(t, "hi", d.Changed[0].Node)
	require.Equal(t, []string{"text", "quick_replies"}, d.Changed[0].Fields)
	require.Empty(t, Compare(a, a).Changed)
}

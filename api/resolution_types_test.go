package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/conversation"
)

func TestResolutionKey(t *testing.T) {
	for name, want := range map[string]string{
		"Answered question": "answered_question", "  Not a problem! ": "not_a_problem", "Refund (issued)": "refund_issued",
		"Déjà vu": "deja_vu", "¿?": "", "2nd-line fix": "2nd_line_fix", "Спам": "",
	} {
		require.Equal(t, want, resolutionKey(name), name)
		if want != "" {
			require.True(t, conversation.ValidResolutionKey(want), want)
		}
	}
	require.True(t, conversation.ValidResolutionKey(resolutionKey(strings.Repeat("ab ", 100))))
}

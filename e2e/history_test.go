package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboardhq/switchboard/access"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/systest"
)

// A conversation with thousands of messages opens on its newest page at
// once, and scrolling up brings the older pages in.
func TestInboxOpensLongConversationAtItsEnd(t *testing.T) {
	ws := env.NewWorkspace(t)
	op := env.NewOperator(t, ws, access.RoleOperator)
	visitor := env.Visitor(t, ws)
	convID := uuid.MustParse(visitor.StartConversation("message 1"))
	// The history is written in one statement (sending 10,000 messages
	// one by one would only slow the test); the last one is sent for real.
	const n = 10000
	_, err := env.System.Pool.Exec(t.Context(), `
		WITH m AS (
			INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, body)
			SELECT gen_random_uuid(), $1, $2, s, 'system', 'message ' || s FROM generate_series(2, $3::bigint - 1) s
		)
		UPDATE conversations SET last_seq = $3 - 1, message_count = $3 - 1 WHERE workspace_id = $1 AND id = $2`,
		ws.ID, convID, n)
	require.NoError(t, err)
	_, err = env.System.Store.SendMessage(t.Context(), store.NewMessage{
		WorkspaceID: ws.ID, ConversationID: convID, SenderType: "system", Body: fmt.Sprintf("message %d", n),
	})
	require.NoError(t, err)

	ctx := browser(t)
	run(t, ctx, "log in", logIn(op.Email, systest.Password), chromedp.WaitVisible(`.conn.live`))
	item := `#conv-` + convID.String()
	run(t, ctx, "the queue", chromedp.WaitVisible(item))

	start := time.Now()
	last := fmt.Sprintf(`//p[@class="body" and text()="message %d"]`, n)
	run(t, ctx, "open it", chromedp.Click(item), chromedp.WaitVisible(last))
	opened := time.Since(start)
	t.Logf("a %d-message conversation showed its newest message %s after the click", n, opened)
	require.Less(t, opened, time.Second)
	held := value(t, ctx, "messages rendered", chromedp.Evaluate[int](`document.querySelectorAll('.msg').length`))
	require.Equal(t, 100, held, "one page, not the whole history")

	run(t, ctx, "scroll to the top",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.timeline').scrollTop = 0`),
		chromedp.WaitVisible(fmt.Sprintf(`//p[@class="body" and text()="message %d"]`, n-150)),
	)
	require.Equal(t, 200, value(t, ctx, "messages rendered", chromedp.Evaluate[int](`document.querySelectorAll('.msg').length`)))
	require.True(t, value(t, ctx, "still in view", chromedp.Evaluate[bool](
		fmt.Sprintf(`[...document.querySelectorAll('.msg .body')].some(p => p.textContent === 'message %d' && p.getBoundingClientRect().top >= 0 && p.getBoundingClientRect().bottom <= innerHeight)`, n-100))),
		"what was on screen stays where it was")
}

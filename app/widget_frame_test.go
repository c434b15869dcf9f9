package app_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// The widget's frame runs on Switchboard's origin: its calls carry the
// server's own Origin, which passes the inbox's allowlist (the browser
// checked the embedding page against it through frame-ancestors before
// the frame ran), while every other site's page is still refused.
func TestWidgetFrameOrigin(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	const shop = "https://shop.example"
	inbox := o.inbox("Shop", []string{o.deptB}, nil, []string{shop})
	self := env.System.URL

	frame := func(id string) *http.Response {
		req, err := http.NewRequest("GET", self+"/widget/frame?inbox="+id, nil)
		require.NoError(t, err)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := frame(inbox)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasSuffix(resp.Header.Get("Content-Security-Policy"), "frame-ancestors "+shop))
	require.Equal(t, http.StatusNotFound, frame(uuid.NewString()).StatusCode)

	session := func(origin, site string) (int, string) {
		raw, _ := json.Marshal(map[string]string{"workspace_id": o.ws.ID.String(), "inbox_id": inbox})
		req, err := http.NewRequest("POST", self+"/api/v1/widget/sessions", bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out struct{ Token string }
		_ = json.Unmarshal(body, &out)
		return resp.StatusCode, out.Token
	}
	status, token := session(self, "same-origin")
	require.Equal(t, http.StatusCreated, status, "the frame")
	status, _ = session("https://evil.example", "cross-site")
	require.Equal(t, http.StatusForbidden, status, "another site's page")
	status, _ = session(self, "cross-site")
	require.Equal(t, http.StatusForbidden, status, "an Origin that contradicts the browser's Sec-Fetch-Site")

	dial := func(origin string) int {
		h := http.Header{}
		h.Set("Origin", origin)
		conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(self, "http")+"/ws/widget?token="+token, h)
		if err != nil {
			require.NotNil(t, resp, "dial: %v", err)
			resp.Body.Close()
			return resp.StatusCode
		}
		resp.Body.Close()
		conn.Close()
		return http.StatusSwitchingProtocols
	}
	require.Equal(t, http.StatusSwitchingProtocols, dial(self), "the frame's socket")
	require.Equal(t, http.StatusForbidden, dial("https://evil.example"))
}

// TestWidgetFrameDepartments: the frame of an inbox that routes by the
// visitor's choice offers the inbox's own departments, by name, to pick
// from; once no rule asks for the choice it offers none, at once on the
// node that saved the rules.
func TestWidgetFrameDepartments(t *testing.T) {
	t.Parallel()
	o := setupStructure(t)
	inbox := o.inbox("Both", []string{o.deptB, o.deptA}, &o.deptB, nil)
	rules := "/api/v1/inboxes/" + inbox + "/routing-rules"
	meta := regexp.MustCompile(`<meta name="switchboard-departments" content="([^"]*)">`)
	offered := func(id string) []map[string]string {
		t.Helper()
		req, err := http.NewRequest("GET", env.System.URL+"/widget/frame?inbox="+id, nil)
		require.NoError(t, err)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		page, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		m := meta.FindSubmatch(page)
		require.NotNil(t, m, string(page))
		var out []map[string]string
		require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &out))
		return out
	}
	require.Empty(t, offered(inbox), "no rule asks for the visitor's choice")

	o.admin.Must(http.StatusOK, "PUT", rules, map[string]any{"rules": []any{
		map[string]any{"name": "Refunds", "kind": "keywords", "phrases": []string{"refund"}, "department_id": o.deptB},
		map[string]any{"name": "Their pick", "kind": "visitor_choice"},
	}})
	require.Equal(t, []map[string]string{{"id": o.deptA, "name": "Sales"}, {"id": o.deptB, "name": "Support"}}, offered(inbox))
	require.Empty(t, offered(o.inboxA), "another inbox of the workspace offers nothing")

	o.admin.Must(http.StatusOK, "PUT", rules, map[string]any{"rules": []any{
		map[string]any{"name": "Refunds", "kind": "keywords", "phrases": []string{"refund"}, "department_id": o.deptB},
	}})
	require.Empty(t, offered(inbox), "the choice no longer asked for")
}

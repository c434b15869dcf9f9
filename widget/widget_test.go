package widget

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

type bundle struct {
	h       *Handler
	shop    Inbox // allows two sites
	open    Inbox // allows any site
	broken  uuid.UUID
	lookups atomic.Int32
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{
		shop: Inbox{ID: uuid.New(), WorkspaceID: uuid.New(), WorkspaceName: `Tea & <Co>`,
			AllowedOrigins: []string{"https://shop.example", "https://www.shop.example"},
			Departments:    []Department{{ID: uuid.New(), Name: `Billing & "<b>Co</b>"`}, {ID: uuid.New(), Name: "Sales"}}},
		open: Inbox{ID: uuid.New(), WorkspaceID: uuid.New(), WorkspaceName: "Open", AllowedOrigins: []string{}},
	}
	b.broken = uuid.New()
	h, err := New(func(_ context.Context, id uuid.UUID) (Inbox, error) {
		b.lookups.Add(1)
		switch id {
		case b.shop.ID:
			return b.shop, nil
		case b.open.ID:
			return b.open, nil
		case b.broken:
			return Inbox{}, errors.New("database down")
		}
		return Inbox{}, ErrUnknownInbox
	}, nil)
	require.NoError(t, err)
	b.h = h
	return b
}

func get(t *testing.T, h http.HandlerFunc, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	resp := rec.Result()
	r := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r)
		require.NoError(t, err)
		r = zr
	}
	body, err := io.ReadAll(r)
	require.NoError(t, err)
	return resp, string(body)
}

// strictCSP: scripts and styles only from the origin, no inline, no eval.
func strictCSP(t *testing.T, resp *http.Response) string {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none';")
	require.Contains(t, csp, "script-src 'self';")
	require.Contains(t, csp, "style-src 'self';")
	require.NotContains(t, csp, "unsafe-inline")
	require.NotContains(t, csp, "unsafe-eval")
	return csp
}

// The departments an inbox offers its visitors reach the frame as JSON
// in a meta tag, escaped as an attribute; an inbox that offers none says
// so with an empty list.
func TestFrameDepartments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	meta := regexp.MustCompile(`<meta name="switchboard-departments" content="([^"]*)">`)
	_, page := get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.shop.ID.String(), "Sec-Fetch-Dest", "iframe")
	m := meta.FindStringSubmatch(page)
	require.NotNil(t, m, page)
	require.NotContains(t, m[1], "<")
	var got []Department
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(m[1])), &got))
	require.Equal(t, b.shop.Departments, got)

	_, page = get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.open.ID.String(), "Sec-Fetch-Dest", "iframe")
	require.Contains(t, page, `<meta name="switchboard-departments" content="[]">`)
}

// The loader keeps its URL for years (sites paste it), so it is cached
// briefly, not forever; it is gzipped for browsers that ask.
func TestLoader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, js := get(t, b.h.ServeLoader, "/widget.js", "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "public, max-age=300", resp.Header.Get("Cache-Control"))
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Contains(t, js, "/widget/frame?inbox=")
	require.Contains(t, js, "e.origin !== origin", "the loader checks who talks to it")
}

// Only the inbox's allowed origins may embed its frame; the frame's
// assets are named by content hash and cached for good; the workspace's
// name is text in the page, escaped.
func TestFrame(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, page := get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.shop.ID.String(), "Sec-Fetch-Dest", "iframe")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	csp := strictCSP(t, resp)
	require.True(t, strings.HasSuffix(csp, "frame-ancestors https://shop.example https://www.shop.example"), csp)
	require.Empty(t, resp.Header.Get("X-Frame-Options"), "frame-ancestors decides, not DENY")
	require.Contains(t, csp, "connect-src 'self'")

	prefix := b.h.AssetPrefix()
	require.Regexp(t, `^/widget/assets/[0-9a-f]{16}/$`, prefix)
	require.Contains(t, page, `src="`+prefix+`frame.js"`)
	require.Contains(t, page, `href="`+prefix+`frame.css"`)
	require.Contains(t, page, `content="`+b.shop.WorkspaceID.String()+`"`)
	require.Contains(t, page, `content="`+b.shop.ID.String()+`"`)
	require.Contains(t, page, `content="Tea &amp; &lt;Co&gt;"`)
	require.NotContains(t, page, "{{")

	js, body := get(t, b.h.ServeAsset, prefix+"frame.js", "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, js.StatusCode)
	require.Equal(t, "public, max-age=31536000, immutable", js.Header.Get("Cache-Control"))
	require.Contains(t, body, "render(")
	stale, _ := get(t, b.h.ServeAsset, "/widget/assets/0123456789abcdef/frame.js")
	require.Equal(t, http.StatusNotFound, stale.StatusCode)

	// An inbox that allows any page: any ancestor.
	resp, _ = get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.open.ID.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasSuffix(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *"))

	// One lookup per inbox while it is fresh: every page view loads the frame.
	before := b.lookups.Load()
	get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.shop.ID.String())
	require.Equal(t, before, b.lookups.Load())
}

// A wrong snippet gets a page that says what is wrong, never a crash; a
// browser opening the frame as a page of its own is told it is a frame.
func TestFrameProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct {
		path   string
		header []string
		status int
		says   string
	}{
		{"/widget/frame?inbox=" + uuid.NewString(), nil, http.StatusNotFound, "does not exist"},
		{"/widget/frame?inbox=not-an-id", nil, http.StatusNotFound, "names no inbox"},
		{"/widget/frame", nil, http.StatusNotFound, "names no inbox"},
		{"/widget/frame?inbox=<script>", nil, http.StatusNotFound, "names no inbox"},
		{"/widget/frame?inbox=" + b.shop.ID.String(), []string{"Sec-Fetch-Dest", "document"}, http.StatusForbidden, "opens inside a website"},
	} {
		resp, page := get(t, b.h.ServeFrame, c.path, c.header...)
		require.Equal(t, c.status, resp.StatusCode, c.path)
		require.Contains(t, page, c.says, c.path)
		require.NotContains(t, page, "<script", "the problem page runs nothing")
		strictCSP(t, resp)
	}
	resp, page := get(t, b.h.ServeFrame, "/widget/frame?inbox="+b.broken.String())
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Contains(t, page, "try again")
}

// /demo embeds the widget of ?inbox= or of the demo inbox; it may frame
// only its own origin, and no one may frame it.
func TestDemo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, page := get(t, b.h.ServeDemo, "/demo")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, page, "no demo inbox")

	b.h.SetDemoInbox(b.shop.ID)
	for _, path := range []string{"/demo", "/demo?inbox=" + b.shop.ID.String()} {
		resp, page = get(t, b.h.ServeDemo, path)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		csp := strictCSP(t, resp)
		require.Contains(t, csp, "frame-src 'self';")
		require.Contains(t, csp, "frame-ancestors 'none'")
		require.Contains(t, page, `<script async src="/widget.js" data-inbox="`+b.shop.ID.String()+`"></script>`)
	}
	resp, _ = get(t, b.h.ServeDemo, "/demo?inbox="+uuid.NewString())
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

var (
	inlineScript  = regexp.MustCompile(`<script(?:\s+type="module")?>`)
	inlineHandler = regexp.MustCompile(`\son[a-z]+\s*=`)
	unsafeJS      = regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML|\beval\(|new Function`)
)

// Text from visitors and operators is never parsed as HTML: the widget's
// code never writes HTML or evaluates strings, and no page has an inline
// script (the CSP forbids both besides).
func TestWidgetNeverWritesHTML(t *testing.T) {
	t.Parallel()
	err := fs.WalkDir(appFiles, "app", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "/vendor/") {
			return err
		}
		b, err := fs.ReadFile(appFiles, path)
		require.NoError(t, err)
		switch {
		case strings.HasSuffix(path, ".js"):
			require.Empty(t, unsafeJS.FindAllString(string(b), -1), path)
		case strings.HasSuffix(path, ".html"):
			require.Empty(t, inlineScript.FindAllString(string(b), -1), path)
			require.Empty(t, inlineHandler.FindAllString(string(b), -1), "no inline handlers in "+path)
		}
		return nil
	})
	require.NoError(t, err)
}

// The vendored library is the file its README names, byte for byte (the
// inbox's copy is pinned to the same hash).
func TestVendoredFilesAreUnchanged(t *testing.T) {
	t.Parallel()
	b, err := fs.ReadFile(appFiles, "app/vendor/htm-preact-3.1.1.js")
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	require.Equal(t, "72284e8e9079c87817145df1110f74e8a2aa040b2fc384922e18dfcb46fc1fd7", hex.EncodeToString(sum[:]))
}

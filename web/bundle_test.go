package web

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func serve(t *testing.T, h http.HandlerFunc, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	r := resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r)
		require.NoError(t, err)
		r = zr
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

// The page is never cached and names its assets by content hash; the
// assets are cached for a year, gzipped for browsers that ask, and a stale
// prefix is a 404, not another build's file.
func TestInboxPageAndAssets(t *testing.T) {
	inbox, err := NewInbox()
	require.NoError(t, err)
	prefix := inbox.AssetPrefix()
	require.Regexp(t, `^/assets/[0-9a-f]{16}/$`, prefix)

	page := serve(t, inbox.ServeIndex, "/")
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Equal(t, "no-cache", page.Header.Get("Cache-Control"))
	html := body(t, page)
	require.Contains(t, html, `src="`+prefix+`main.js"`)
	require.NotContains(t, html, "{{assets}}")

	csp := page.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self';")
	require.NotContains(t, csp, "unsafe-inline")
	require.NotContains(t, csp, "unsafe-eval")
	require.Contains(t, csp, "frame-ancestors 'none'")

	js := serve(t, inbox.ServeAsset, prefix+"main.js", "Accept-Encoding", "gzip, br")
	require.Equal(t, http.StatusOK, js.StatusCode)
	require.Equal(t, "gzip", js.Header.Get("Content-Encoding"))
	require.Contains(t, js.Header.Get("Content-Type"), "javascript")
	require.Equal(t, "public, max-age=31536000, immutable", js.Header.Get("Cache-Control"))
	require.Contains(t, body(t, js), "render(")

	plain := serve(t, inbox.ServeAsset, prefix+"style.css")
	require.Empty(t, plain.Header.Get("Content-Encoding"))
	require.Contains(t, body(t, plain), ":root")

	require.Equal(t, http.StatusNotFound, serve(t, inbox.ServeAsset, "/assets/0123456789abcdef/main.js").StatusCode)
	require.Equal(t, http.StatusNotFound, serve(t, inbox.ServeAsset, prefix+"index.html").StatusCode)
	require.Equal(t, http.StatusNotFound, serve(t, inbox.ServeAsset, prefix+"../bundle.go").StatusCode)
}

var (
	inlineScript  = regexp.MustCompile(`<script(?:\s+type="module")?>`)
	inlineHandler = regexp.MustCompile(`\son[a-z]+\s*=`)
	unsafeJS      = regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML|\beval\(|new Function`)
)

// Text from visitors and operators is never parsed as HTML: the apps'
// own code never writes HTML or evaluates strings (the CSP forbids inline
// scripts and eval besides), and no page carries an inline script.
func TestAppsNeverWriteHTML(t *testing.T) {
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

// The vendored library is the file its README names, byte for byte.
func TestVendoredFilesAreUnchanged(t *testing.T) {
	b, err := fs.ReadFile(appFiles, "app/vendor/htm-preact-3.1.1.js")
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	require.Equal(t, "72284e8e9079c87817145df1110f74e8a2aa040b2fc384922e18dfcb46fc1fd7", hex.EncodeToString(sum[:]))
}

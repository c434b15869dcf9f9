// Package web serves Switchboard's browser apps: the operator inbox (this
// package's app/) and, through the same Bundle, the site widget (package
// widget). The files are plain ES modules embedded in the binary: no Node
// toolchain builds, runs or tests them.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
)

// Bundle is a folder of static files served under a content-hashed prefix
// (mount + "/" + hash of every file + "/"): a new build changes the URL, so
// assets are cached for a year and a deploy is seen at once. Pages (HTML)
// are served at fixed URLs, never cached, with {{assets}} in them replaced
// by the prefix.
type Bundle struct {
	prefix string
	files  map[string]*file
}

type file struct {
	body, gz []byte
	ctype    string
}

// NewBundle reads every file of fsys into memory, gzipped once.
func NewBundle(fsys fs.FS, mount string) (*Bundle, error) {
	b := &Bundle{files: map[string]*file{}}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(body))
		h.Write(body)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		b.files[name] = &file{body: body, ctype: ctype}
	}
	b.prefix = strings.TrimSuffix(mount, "/") + "/" + hex.EncodeToString(h.Sum(nil))[:16] + "/"
	for name, f := range b.files {
		if strings.HasSuffix(name, ".html") {
			f.body = bytes.ReplaceAll(f.body, []byte("{{assets}}"), []byte(b.prefix))
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(f.body)
		_ = zw.Close()
		if buf.Len() < len(f.body) {
			f.gz = buf.Bytes()
		}
	}
	return b, nil
}

// Prefix is where the assets are served, e.g. /assets/3f2a…/ .
func (b *Bundle) Prefix() string { return b.prefix }

// ServeAsset serves the file at r.URL.Path under Prefix, cached for a
// year. Another build's prefix is a 404: the page that asked for it is
// stale and reloads.
func (b *Bundle) ServeAsset(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, b.prefix)
	f := b.files[name]
	if !ok || f == nil || strings.HasSuffix(name, ".html") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	b.write(w, r, http.StatusOK, f)
}

// ServePage serves the HTML file name, never cached, with the policy.
func (b *Bundle) ServePage(w http.ResponseWriter, r *http.Request, name string, p Policy) {
	f := b.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	p.set(w.Header())
	w.Header().Set("Cache-Control", "no-cache")
	b.write(w, r, http.StatusOK, f)
}

// ServeTemplate serves the HTML file name like ServePage, with status and
// every {{key}} of vars replaced by its value, HTML-escaped: the page
// carries per-request values as text (e.g. in meta tags), never as script.
func (b *Bundle) ServeTemplate(w http.ResponseWriter, r *http.Request, name string, status int, p Policy, vars map[string]string) {
	f := b.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{{"+k+"}}", html.EscapeString(v))
	}
	body := []byte(strings.NewReplacer(pairs...).Replace(string(f.body)))
	p.set(w.Header())
	w.Header().Set("Cache-Control", "no-cache")
	b.write(w, r, status, &file{body: body, ctype: f.ctype})
}

// ServeFile serves the file name at a fixed URL (not under Prefix) with
// cacheControl: what other sites link to, such as the widget's loader,
// which must keep its URL and so may only be cached briefly.
func (b *Bundle) ServeFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) {
	f := b.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", cacheControl)
	b.write(w, r, http.StatusOK, f)
}

func (b *Bundle) write(w http.ResponseWriter, r *http.Request, status int, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	body := f.body
	if f.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// Policy is what a page's Content-Security-Policy allows. Scripts and
// styles come only from this origin's files: no inline script, no eval.
type Policy struct {
	// FrameAncestors are the origins that may embed the page; none: no one.
	FrameAncestors []string
	// FrameSrc are the origins the page may embed; none: no frames.
	FrameSrc []string
}

func (p Policy) set(h http.Header) {
	ancestors := "'none'"
	if len(p.FrameAncestors) > 0 {
		ancestors = strings.Join(p.FrameAncestors, " ")
	}
	frames := ""
	if len(p.FrameSrc) > 0 {
		frames = "frame-src " + strings.Join(p.FrameSrc, " ") + "; "
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; manifest-src 'self'; "+frames+"base-uri 'none'; form-action 'self'; frame-ancestors "+ancestors)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(p.FrameAncestors) == 0 {
		h.Set("X-Frame-Options", "DENY")
	}
}

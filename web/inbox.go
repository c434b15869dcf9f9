package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed app
var appFiles embed.FS

// Inbox is the operator app: index.html at / and its assets.
type Inbox struct{ bundle *Bundle }

// NewInbox loads the embedded inbox, its assets under /assets/<hash>/.
func NewInbox() (*Inbox, error) {
	sub, err := fs.Sub(appFiles, "app")
	if err != nil {
		return nil, err
	}
	b, err := NewBundle(sub, "/assets")
	if err != nil {
		return nil, err
	}
	return &Inbox{bundle: b}, nil
}

// MustInbox is NewInbox for the embedded files, which are read at build
// time: it fails only on a broken build.
func MustInbox() *Inbox {
	i, err := NewInbox()
	if err != nil {
		panic("web: embedded inbox: " + err.Error())
	}
	return i
}

// AssetPrefix is where the inbox's assets are served.
func (i *Inbox) AssetPrefix() string { return i.bundle.Prefix() }

// ServeIndex serves the app's page. The app routes with the URL's
// fragment, so / is its only page.
func (i *Inbox) ServeIndex(w http.ResponseWriter, r *http.Request) {
	i.bundle.ServePage(w, r, "index.html", Policy{})
}

// ServeAsset serves one of the app's files.
func (i *Inbox) ServeAsset(w http.ResponseWriter, r *http.Request) { i.bundle.ServeAsset(w, r) }

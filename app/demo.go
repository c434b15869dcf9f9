package app

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/switchboardhq/switchboard/store"
)

// DemoInboxName is the inbox `switchboard dev` keeps for /demo.
const DemoInboxName = "Demo site"

// EnsureDemoInbox makes sure the first workspace has the demo inbox and
// that it allows the server's own origin (serverURL, and its localhost
// twin for a loopback address), so /demo, served by Switchboard itself,
// may embed the widget. It creates the inbox when absent (also after an
// admin deleted it) and adds missing origins to it, keeping the others.
func EnsureDemoInbox(ctx context.Context, st *store.Store, serverURL string) (store.Inbox, error) {
	ws, err := st.FirstWorkspace(ctx)
	if err != nil {
		return store.Inbox{}, fmt.Errorf("finding the first workspace for the demo inbox: %w", err)
	}
	origins, err := demoOrigins(serverURL)
	if err != nil {
		return store.Inbox{}, err
	}
	inboxes, err := st.Inboxes(ctx, ws.ID)
	if err != nil {
		return store.Inbox{}, err
	}
	for _, in := range inboxes {
		if in.Name != DemoInboxName {
			continue
		}
		missing := false
		allowed := in.AllowedOrigins
		for _, o := range origins {
			if !slices.Contains(allowed, o) {
				allowed = append(allowed, o)
				missing = true
			}
		}
		if !missing {
			return in, nil
		}
		return st.UpdateInbox(ctx, ws.ID, in.ID, store.InboxFields{
			Name: in.Name, AllowedOrigins: allowed, DepartmentIDs: in.DepartmentIDs, DefaultDepartmentID: in.DefaultDepartmentID,
		})
	}
	return st.CreateInbox(ctx, ws.ID, store.InboxFields{Name: DemoInboxName, AllowedOrigins: origins})
}

// demoOrigins are the origins a browser on this machine may use for the
// server at serverURL.
func demoOrigins(serverURL string) ([]string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the server's URL %q is not a URL", serverURL)
	}
	origins := []string{u.Scheme + "://" + u.Host}
	if u.Port() == "" {
		return origins, nil
	}
	switch u.Hostname() {
	case "127.0.0.1", "[::1]", "::1":
		origins = append(origins, u.Scheme+"://localhost:"+u.Port())
	case "localhost":
		origins = append(origins, u.Scheme+"://127.0.0.1:"+u.Port())
	}
	return origins, nil
}

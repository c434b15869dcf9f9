// Package e2e drives the apps in a real browser (Debian's Chromium, through
// chromedp) against a whole Switchboard on loopback: real PostgreSQL, the
// embedded Temporal server, real sockets.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/systest"
)

var env *systest.Env

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	env, err = systest.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// chromium finds the browser: CHROMIUM_PATH, else Debian's.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM_PATH"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH")
	return ""
}

// browser starts a headless Chromium of the test's own, a fresh profile:
// each call is another person at another computer (no shared cookies).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1440, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, so its start-up does not eat a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// run runs steps with a deadline, failing the test with what it was doing.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that reads something from the page.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot writes docs/screenshots/<name>.png when SWITCHBOARD_SCREENSHOTS=1
// (how the README's pictures are made).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("SWITCHBOARD_SCREENSHOTS") != "1" {
		return
	}
	writeScreenshot(t, name, value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100)))
}

// screenshotView is screenshot of what the window shows, no more: the
// widget's frame is fixed to the window's corner.
func screenshotView(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("SWITCHBOARD_SCREENSHOTS") != "1" {
		return
	}
	writeScreenshot(t, name, value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot()))
}

func writeScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

package testkit

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser `make deps` installs.
func ChromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium on PATH (`make deps` installs Debian's chromium package)")
}

// Browser says how to start headless Chromium.
type Browser struct {
	Path    string // ChromiumPath's
	Profile string // a new, empty directory: a fresh profile, a cold cache
	Width   int
	Height  int
	// Extra options come after the shared ones (a user agent, say).
	Extra []chromedp.ExecAllocatorOption
	// Timeout, when set, bounds the browser's whole life: it ends then.
	Timeout time.Duration
	// StartTimeout bounds the start (30 s when 0).
	StartTimeout time.Duration
}

// ChromiumFlags are the flags e2e and the bench both run Chromium with:
// headless, quiet (no first-run, sync, updates or background traffic, which
// would add requests to the loads measured), and with site isolation
// on. Site isolation is what puts the widget, on another site than the
// partner's page, in a renderer process of its own and so a target of its
// own that the suite attaches to (e2e's frame, the bench's frame
// injector). Chromium turns it on by default on desktops; the flag says
// that the tests depend on it.
func ChromiumFlags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("site-per-process", true),
	}
}

// StartBrowser starts Chromium as b says and returns a tab's context and
// the function that closes the browser (and must be called). The browser
// is running when it returns.
func StartBrowser(parent context.Context, b Browser) (context.Context, context.CancelFunc, error) {
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(b.Path),
		chromedp.UserDataDir(b.Profile),
		chromedp.WindowSize(b.Width, b.Height),
	}, ChromiumFlags()...)
	opts = append(opts, b.Extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	cancelLife := context.CancelFunc(func() {})
	if b.Timeout > 0 {
		ctx, cancelLife = context.WithTimeout(ctx, b.Timeout)
	}
	cancel := func() {
		cancelLife()
		cancelTab()
		cancelAlloc()
	}
	// The first Do ties the browser's life to the context it gets, so it
	// gets the tab's own; a timer bounds the start instead.
	startTimeout := b.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 30 * time.Second
	}
	stuck := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx)
	if !stuck.Stop() && err == nil {
		err = fmt.Errorf("not started within %v", startTimeout)
	}
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("starting Chromium: %w", err)
	}
	return ctx, cancel, nil
}

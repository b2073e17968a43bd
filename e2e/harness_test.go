// Package e2e tests the whole product in a real browser: the forgefit
// binary on one origin, the demo partner page on another, and headless
// Chromium between them.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/ehforge/forgefit/internal/testkit"
)

// product is a running forgefit server with its demo partner site.
type product struct {
	URL     string // the server, as browsers reach it (http://localhost:port)
	DemoURL string // the demo partner site, another origin (http://127.0.0.1:port)
	Admin   string // the admin token
	DB      string

	proc   *testkit.Process
	killed bool
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (p *product) Kill(t testing.TB) {
	t.Helper()
	p.killed = true
	if err := p.proc.Kill(); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until the server's output after mark (p.proc.Output().Mark())
// contains s: the sign that what a signal asked for is done.
func (p *product) waitLog(t testing.TB, mark int64, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.proc.WaitOutput(ctx, mark, s); err != nil {
		t.Fatalf("%v\n%s", err, p.proc.Output())
	}
}

// binary returns the forgefit binary that `make build` made.
func binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("FORGEFIT_BIN")
	if bin == "" {
		bin = filepath.Join("..", "bin", "forgefit")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the e2e suite needs the built product: %v (run `make build`, or `make test`, which builds it)", err)
	}
	return bin
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// startProduct starts forgefit -demo on free ports with a temporary
// database, waits until it is ready, and stops it (gracefully, checking it
// exits 0) when the test ends.
func startProduct(t testing.TB, extraArgs ...string) *product {
	t.Helper()
	port, demoPort := freePort(t), freePort(t)
	return startProductAt(t, port, demoPort, filepath.Join(t.TempDir(), "forgefit.db"), extraArgs...)
}

// startProductAt starts forgefit on the given ports and database, so a
// test can restart it where it was.
func startProductAt(t testing.TB, port, demoPort int, db string, extraArgs ...string) *product {
	t.Helper()
	p := launchProduct(t, port, demoPort, db, extraArgs...)
	p.waitReady(t)
	return p
}

// launchProduct starts forgefit like startProductAt but returns at once,
// so that a test can start several servers together; waitReady waits for
// one.
func launchProduct(t testing.TB, port, demoPort int, db string, extraArgs ...string) *product {
	t.Helper()
	p := &product{
		URL:     fmt.Sprintf("http://localhost:%d", port),
		DemoURL: fmt.Sprintf("http://127.0.0.1:%d", demoPort),
		Admin:   "e2e-admin-token-0123456789abcdef0123", // the server refuses one under 32 characters
		DB:      db,
	}
	args := append([]string{
		"-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-public-url", p.URL,
		"-demo", "-demo-addr", fmt.Sprintf("127.0.0.1:%d", demoPort),
		"-db", p.DB,
	}, extraArgs...)
	proc, err := testkit.Start(testkit.Command{
		Path: binary(t),
		Args: args,
		// The admin token through the environment, as the README says:
		// on the command line every local user would see it in ps.
		Env: []string{"FORGEFIT_ADMIN_TOKEN=" + p.Admin},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.proc = proc
	t.Cleanup(func() {
		if p.killed {
			return
		}
		if err := proc.Stop(15 * time.Second); err != nil {
			t.Errorf("forgefit did not exit cleanly on SIGTERM: %v\n%s", err, proc.Output())
		}
		if t.Failed() {
			t.Logf("forgefit output:\n%s", proc.Output())
		}
	})
	return p
}

// waitReady waits until p answers /readyz with 200, for at most 20s.
func (p *product) waitReady(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.proc.WaitReady(ctx, p.URL+"/readyz"); err != nil {
		t.Fatalf("forgefit: %v\n%s", err, p.proc.Output())
	}
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// tab's context; the browser ends with the test, or after two minutes.
func newBrowser(t testing.TB, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := testkit.ChromiumPath()
	if err != nil {
		t.Fatalf("the e2e suite needs Chromium: %v", err)
	}
	ctx, cancel, err := testkit.StartBrowser(context.Background(), testkit.Browser{
		Path: path, Profile: t.TempDir(), Width: width, Height: height,
		Extra: extra, Timeout: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// asVisitor makes the browser look like a person's: the widget reports
// navigator.webdriver and the server checks the user agent for crawlers
// (HeadlessChrome is one), and both mark traffic as bot, which stats leave
// out. Tests of what marketing sees use it.
var asVisitor = []chromedp.ExecAllocatorOption{
	chromedp.UserAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
	chromedp.Flag("disable-blink-features", "AutomationControlled"),
}

// frame waits for the cross-site iframe whose URL contains urlPart and
// returns a context attached to it: the widget runs on another site than
// the partner page, so it is a target of its own.
func frame(t testing.TB, ctx context.Context, urlPart string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.Contains(ti.URL, urlPart) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
				t.Cleanup(cancel)
				return fctx
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no iframe target with %q in its URL after 20s; targets: %v", urlPart, describe(targets))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describe(targets []*target.Info) []string {
	var s []string
	for _, ti := range targets {
		s = append(s, string(ti.Type)+" "+ti.URL)
	}
	return s
}

// openDemoWidget opens the demo partner page in the tab ctx and returns a
// context attached to its widget iframe once the go-app client has taken
// over (the page works before that, through its native forms: see
// prerender_test.go).
func openDemoWidget(t testing.TB, ctx context.Context, p *product) context.Context {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.DemoURL+"/")); err != nil {
		t.Fatal(err)
	}
	w := frame(t, ctx, "/w/co-managed-vs-fully-managed")
	waitTrue(t, w, tookOver, 30*time.Second)
	return w
}

// tookOver is true once the wasm client has taken over the prerendered page.
const tookOver = `document.documentElement.dataset.forgefitWasm === "true"`

// waitTrue polls a JavaScript expression until it is true, for at most
// timeout.
func waitTrue(t testing.TB, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	if lastErr == nil {
		lastErr = errors.New("still false")
	}
	t.Fatalf("waiting %v for %s: %v", timeout, expr, lastErr)
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// progress lets a load's workers wake a test that waits for a condition
// on what they record (so many events acknowledged), so that the test
// waits for the condition, not for a time it hopes is enough.
type progress chan struct{}

func newProgress() progress { return make(progress, 1) }

// notify says that something changed; it never blocks.
func (p progress) notify() {
	select {
	case p <- struct{}{}:
	default:
	}
}

// wait waits until ok holds, checking it at once and after each notify,
// and reports false if it still does not after timeout.
func (p progress) wait(timeout time.Duration, ok func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for !ok() {
		select {
		case <-p:
		case <-timer.C:
			return ok()
		}
	}
	return true
}

package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStartBrowser starts Chromium with the shared flags and runs a script
// in a page, as e2e and the bench do.
func TestStartBrowser(t *testing.T) {
	path, err := ChromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel, err := StartBrowser(context.Background(), Browser{
		Path: path, Profile: t.TempDir(), Width: 800, Height: 600, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if got != 800 {
		t.Errorf("innerWidth %d, want 800", got)
	}
}

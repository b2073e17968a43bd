package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/ehforge/forgefit/internal/testkit"
)

// browserSession is one headless Chromium with a fresh profile, one tab,
// and a script injected into every iframe of that tab before the iframe's
// own scripts run.
type browserSession struct {
	ctx     context.Context // the tab
	cancel  func()
	profile string
	frames  *frameInjector
}

// newBrowserSession starts Chromium with the flags it shares with e2e
// (testkit), a viewport of size (width, height) and a new, empty profile
// under dir: a cold cache. frameScript is injected into every iframe.
//
// Chromium's windows are at least 500 px wide, headless too: a narrower
// viewport is a phone's, emulated in a window of the smallest width
// (device metrics: mobile, with touch, so the page lays out as on a phone,
// with overlay scrollbars and the meta viewport honoured).
func newBrowserSession(parent context.Context, chromium, dir, frameScript string, size [2]int) (*browserSession, error) {
	profile, err := os.MkdirTemp(dir, "profile-")
	if err != nil {
		return nil, err
	}
	ctx, cancel, err := testkit.StartBrowser(parent, testkit.Browser{
		Path: chromium, Profile: profile, Width: max(size[0], minWindowWidth), Height: size[1],
	})
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	b := &browserSession{ctx: ctx, profile: profile}
	b.cancel = func() {
		cancel()
		os.RemoveAll(profile)
	}
	if size[0] < minWindowWidth {
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(int64(size[0]), int64(size[1]), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			b.cancel()
			return nil, fmt.Errorf("emulating a %dx%d viewport: %w", size[0], size[1], err)
		}
	}
	if b.frames, err = injectIntoFrames(ctx, frameScript); err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

// frameInjector puts a script into each cross-site iframe of a tab before
// any of the iframe's own scripts, and evaluates expressions in the newest
// one.
//
// Why this way: a cross-site iframe is a target of its own (another
// renderer process), which Page.addScriptToEvaluateOnNewDocument on the
// tab does not reach, and which appears only once its navigation is under
// way: too late to attach to it and add a script. So the tab auto-attaches
// to its iframes with waitForDebuggerOnStart, which holds each new iframe
// until it is told to run; the injector adds the script and releases it.
// The hold lasts the few protocol round trips that takes (a few ms, for the
// widget and the reference page alike, so the figures err on the slow side
// and their ratio is fair).
//
// chromedp routes only the sessions it opened itself, so the iframes are
// attached in the non-flat mode, whose messages travel inside
// Target.sendMessageToTarget and Target.receivedMessageFromTarget on the
// tab's own session.
type frameInjector struct {
	ctx    context.Context
	page   *chromedp.Target
	script string

	mu      sync.Mutex
	next    int64
	current target.SessionID // the newest iframe
	pending map[int64]chan childReply
}

// sendMessageToTarget carries a command to a non-flat child session.
// cdproto dropped it with the non-flat mode's deprecation; Chromium still
// serves it.
const sendMessageToTarget = "Target.sendMessageToTarget"

type childReply struct {
	ID     int64           `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func injectIntoFrames(ctx context.Context, script string) (*frameInjector, error) {
	f := &frameInjector{ctx: ctx, script: script, pending: map[int64]chan childReply{}}
	f.page = chromedp.FromContext(ctx).Target
	// Subscribe before asking for the events, so none is missed.
	attached := chromedp.Events(ctx, target.AttachedToTarget)
	received := chromedp.Events(ctx, target.ReceivedMessageFromTarget)
	if _, err := chromedp.Call(ctx, target.SetAutoAttach, target.SetAutoAttachParams{
		AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: new(false),
	}); err != nil {
		return nil, fmt.Errorf("auto-attaching to iframes: %w", err)
	}
	go func() {
		for ev, err := range attached {
			if err != nil {
				return
			}
			f.attach(ev)
		}
	}()
	go func() {
		for ev, err := range received {
			if err != nil {
				return
			}
			var r childReply
			if json.Unmarshal([]byte(ev.Message), &r) != nil || r.ID == 0 {
				continue // an event of the iframe, not a reply
			}
			f.mu.Lock()
			ch := f.pending[r.ID]
			delete(f.pending, r.ID)
			f.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		}
	}()
	return f, nil
}

// attach injects the script into a new iframe and lets it run. Other
// targets (workers) are only released.
func (f *frameInjector) attach(ev target.EventAttachedToTarget) {
	if ev.TargetInfo.Type == "iframe" {
		f.mu.Lock()
		f.current = ev.SessionID
		f.mu.Unlock()
		// The Page domain must be on for the script to be kept for the
		// document the iframe is about to commit.
		f.send(ev.SessionID, "Page.enable", map[string]any{})
		f.send(ev.SessionID, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": f.script})
	}
	if ev.WaitingForDebugger {
		f.send(ev.SessionID, "Runtime.runIfWaitingForDebugger", map[string]any{})
	}
}

// send posts a command to a child session and returns its id; the session
// handles its commands in order, so there is no need to wait for replies.
func (f *frameInjector) send(session target.SessionID, method string, params any) int64 {
	f.mu.Lock()
	f.next++
	id := f.next
	f.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	_ = f.page.Call(f.ctx, sendMessageToTarget, map[string]any{
		"message": string(msg), "sessionId": session,
	}, nil)
	return id
}

// forget drops the current iframe, before a navigation makes a new one.
func (f *frameInjector) forget() {
	f.mu.Lock()
	f.current = ""
	f.mu.Unlock()
}

// evalFrame evaluates expr in the newest iframe and decodes its value
// (which must survive JSON) into v. It reports false when there is no
// iframe yet, or no document in it yet: an iframe target can be attached
// before its document has a JavaScript context, and Chromium then answers
// "Cannot find default execution context" (a load in make test's smoke
// run failed on it).
func (f *frameInjector) evalFrame(ctx context.Context, expr string, v any) (bool, error) {
	f.mu.Lock()
	session := f.current
	f.mu.Unlock()
	if session == "" {
		return false, nil
	}
	ch := make(chan childReply, 1)
	f.mu.Lock()
	f.next++
	id := f.next
	f.pending[id] = ch
	f.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": "Runtime.evaluate",
		"params": map[string]any{"expression": expr, "returnByValue": true}})
	if err := f.page.Call(ctx, sendMessageToTarget, map[string]any{
		"message": string(msg), "sessionId": session,
	}, nil); err != nil {
		f.mu.Lock()
		delete(f.pending, id)
		f.mu.Unlock()
		return false, err
	}
	select {
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.pending, id)
		f.mu.Unlock()
		return false, ctx.Err()
	case r := <-ch:
		if r.Error != nil {
			if strings.Contains(r.Error.Message, "Cannot find default execution context") {
				return false, nil
			}
			return false, errors.New(r.Error.Message)
		}
		var res struct {
			Result struct {
				Value json.RawMessage `json:"value"`
			} `json:"result"`
			ExceptionDetails *struct {
				Text string `json:"text"`
			} `json:"exceptionDetails"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil {
			return false, err
		}
		if res.ExceptionDetails != nil {
			return false, errors.New(res.ExceptionDetails.Text)
		}
		if len(res.Result.Value) == 0 {
			return false, nil
		}
		return true, json.Unmarshal(res.Result.Value, v)
	}
}

// ms formats a duration in milliseconds for notes.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" }

// windowSize is the viewport of the page loads: 1280x900, or BENCH_WINDOW
// (such as 375x667) to look at a phone's width while investigating. The
// widget's height at 375 px has a load of its own, with a viewport of
// phoneWindow.
func windowSize() [2]int {
	w, h := 1280, 900
	if s := os.Getenv("BENCH_WINDOW"); s != "" {
		if _, err := fmt.Sscanf(s, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
			w, h = 1280, 900
		}
	}
	return [2]int{w, h}
}

// phoneWindow is the viewport of the load that measures the widget's height
// on a phone: 375 px wide, as most phones' CSS width.
var phoneWindow = [2]int{375, 667}

// minWindowWidth is the narrowest window Chromium makes.
const minWindowWidth = 500

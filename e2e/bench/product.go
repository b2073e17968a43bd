package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchPartner is the partner the bench registers for its own partner site.
const benchPartner = "bench"

// widgetID is the widget every page load shows.
const widgetID = "co-managed-vs-fully-managed"

// product is a running forgefit server started by the bench.
type product struct {
	URL   string // as browsers reach it: http://localhost:port, another site than the partner's
	Admin string
	cmd   *exec.Cmd
	out   *syncBuffer
	done  chan error
}

// syncBuffer collects a process's output safely while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProduct starts bin, registering partnerOrigin as partner "bench", with
// its partners file in dir and its database at db (in dir when empty), and
// waits until it is ready.
// Rate limits are switched off when the binary has the flags for them: the
// bench is one client sending as fast as it can, which a limiter would turn
// into a measure of the limiter.
func startProduct(ctx context.Context, bin, web, dir, db, partnerOrigin string) (*product, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	partners := map[string]any{"partners": []map[string]any{{
		"id": benchPartner, "name": "Bench Partner", "origins": []string{partnerOrigin},
		// A production server refuses a placeholder call to action (the
		// default content's is one); no load follows it.
		"cta_url": "https://partner.bench.internal/contact",
	}}}
	pb, _ := json.Marshal(partners)
	partnersFile := filepath.Join(dir, "partners.json")
	if err := os.WriteFile(partnersFile, pb, 0o644); err != nil {
		return nil, err
	}
	if db == "" {
		db = filepath.Join(dir, "forgefit.db")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &product{
		// localhost, not 127.0.0.1: the partner site is on 127.0.0.1, and
		// a different site puts the widget in a cross-site iframe (its own
		// renderer process), as on a real partner's page.
		URL:   fmt.Sprintf("http://localhost:%d", port),
		Admin: "bench-admin-token-0123456789abcdef0", // the server refuses one under 32 characters
		out:   &syncBuffer{},
		done:  make(chan error, 1),
	}
	args := []string{
		"-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-public-url", p.URL,
		"-db", db,
		"-partners", partnersFile,
		"-web", web,
	}
	flags := supportedFlags(bin)
	for _, f := range []string{"client-rate", "partner-rate"} {
		if flags[f] {
			args = append(args, "-"+f, "0")
		}
	}
	p.cmd = exec.Command(bin, args...)
	// The admin token through the environment, not the command line,
	// where every local user would see it in ps.
	p.cmd.Env = append(os.Environ(), "FORGEFIT_ADMIN_TOKEN="+p.Admin)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// Never outlive the bench, even when it is killed.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- p.cmd.Wait() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("forgefit exited before it was ready: %v\n%s", err, p.out.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("forgefit not ready after 30s\n%s", p.out.String())
		}
	}
}

// stop sends SIGTERM and waits up to 15 s, then kills.
func (p *product) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("forgefit did not exit cleanly: %v\n%s", err, p.out.String())
		}
		return nil
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("forgefit did not stop within 15s of SIGTERM")
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// supportedFlags lists the flags bin's usage text names, so the bench can
// pass the ones that exist on this version and still run on older ones.
func supportedFlags(bin string) map[string]bool {
	out, _ := exec.Command(bin, "-h").CombinedOutput() // -h exits non-zero
	flags := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "-"); ok {
			flags[strings.Fields(name)[0]] = true
		}
	}
	return flags
}

// freePort returns a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

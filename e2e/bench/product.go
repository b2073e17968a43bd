package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/internal/testkit"
)

// benchPartner is the partner the bench registers for its own partner site.
const benchPartner = "bench"

// widgetID is the widget every page load shows.
const widgetID = "co-managed-vs-fully-managed"

// product is a running forgefit server started by the bench.
type product struct {
	URL   string // as browsers reach it: http://localhost:port, another site than the partner's
	Admin string
	proc  *testkit.Process
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
	port, err := testkit.FreePort()
	if err != nil {
		return nil, err
	}
	p := &product{
		// localhost, not 127.0.0.1: the partner site is on 127.0.0.1, and
		// a different site puts the widget in a cross-site iframe (its own
		// renderer process), as on a real partner's page.
		URL:   fmt.Sprintf("http://localhost:%d", port),
		Admin: "bench-admin-token-0123456789abcdef0", // the server refuses one under 32 characters
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
	p.proc, err = testkit.Start(testkit.Command{
		Path: bin,
		Args: args,
		// The admin token through the environment, not the command line,
		// where every local user would see it in ps.
		Env: []string{"FORGEFIT_ADMIN_TOKEN=" + p.Admin},
	})
	if err != nil {
		return nil, err
	}
	ready, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.proc.WaitReady(ready, p.URL+"/readyz"); err != nil {
		p.stop()
		return nil, fmt.Errorf("forgefit: %w\n%s", err, p.proc.Output())
	}
	return p, nil
}

// stop sends SIGTERM and waits up to 15 s, then kills.
func (p *product) stop() error {
	if err := p.proc.Stop(15 * time.Second); err != nil {
		return fmt.Errorf("forgefit did not exit cleanly: %w\n%s", err, p.proc.Output())
	}
	return nil
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

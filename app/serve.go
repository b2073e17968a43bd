//go:build !wasm

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/content"
)

// config is the program's flags, each with a FORGEFIT_* environment twin.
type config struct {
	addr, db, partners, adminToken, content, publicURL, trustedProxies string
	sessionKey                                                         string
	web, demoAddr                                                      string
	demo, version                                                      bool
	retentionDays                                                      int
	clientRate, partnerRate                                            float64

	// Files the secrets may come from instead (see readSecrets).
	adminTokenFile, sessionKeyFile, dbPasswordFile string
	// warnings are said once the logger exists: secrets given where other
	// local users can read them.
	warnings []string
}

// minSecretLen is the shortest admin token or session key the server
// accepts: `forgefit token` makes 43 characters (32 random bytes).
const minSecretLen = 32

func serve() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "token":
			os.Exit(runToken(os.Stdout))
		case "precompress":
			os.Exit(runPrecompress(os.Args[2:]))
		}
	}
	cfg, err := parseFlags(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forgefit:", err)
		os.Exit(2)
	}
	if cfg.version {
		fmt.Println("forgefit", buildVersion())
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, w := range cfg.warnings {
		log.Warn(w)
	}
	if err := run(cfg, log); err != nil {
		log.Error("forgefit stopped", "err", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("forgefit", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", ":8080", "listen address")
	fs.StringVar(&c.db, "db", "forgefit.db", "SQLite file path, or a postgres:// URL")
	fs.StringVar(&c.partners, "partners", "", "partners file (JSON)")
	fs.StringVar(&c.adminToken, "admin-token", "", "admin bearer token (stats, dashboard, metrics)")
	fs.StringVar(&c.adminTokenFile, "admin-token-file", "", "file holding the admin token (instead of -admin-token, which other local users see in ps)")
	fs.StringVar(&c.sessionKey, "session-key", "", "key that signs dashboard sessions (default: derived from -admin-token); the same on every server sharing a database")
	fs.StringVar(&c.sessionKeyFile, "session-key-file", "", "file holding the session key (instead of -session-key)")
	fs.StringVar(&c.dbPasswordFile, "db-password-file", "", "file holding the password of the postgres:// URL -db names (instead of writing it in the URL)")
	fs.StringVar(&c.content, "content", "", "directory of content JSON files that add or override widgets and locales")
	fs.StringVar(&c.publicURL, "public-url", "", "origin browsers use to reach this server (default: derived from -addr)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed")
	fs.StringVar(&c.web, "web", "", "directory holding app.wasm and wasm_exec.js (default: web/ beside the executable)")
	fs.BoolVar(&c.demo, "demo", false, "also serve a demo partner site on -demo-addr, registered as partner \"demo\"")
	fs.StringVar(&c.demoAddr, "demo-addr", "127.0.0.1:8081", "listen address of the demo partner site")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.IntVar(&c.retentionDays, "retention", 400, "days raw events are kept (daily rollups are kept for good)")
	fs.Float64Var(&c.clientRate, "client-rate", server.DefaultClientRate, "event requests a second per client address (0: unlimited)")
	fs.Float64Var(&c.partnerRate, "partner-rate", server.DefaultPartnerRate, "event requests a second per partner (0: unlimited)")
	// Environment twins first, so that flags on the command line win.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "FORGEFIT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// Secrets on the command line are in every local user's ps.
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "admin-token" || f.Name == "session-key":
			c.warnings = append(c.warnings, fmt.Sprintf("-%s on the command line is visible to every local user (ps, /proc); give it by FORGEFIT_%s or -%s-file",
				f.Name, strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")), f.Name))
		case f.Name == "db" && dbPassword(c.db) != "":
			c.warnings = append(c.warnings, "-db on the command line holds a password visible to every local user (ps, /proc); give the URL by FORGEFIT_DB, or the password by -db-password-file")
		}
	})
	if err := readSecrets(&c); err != nil {
		return c, err
	}
	return c, checkSecrets(c)
}

// readSecrets reads the secrets given as files: systemd credentials,
// Docker and Kubernetes secrets, or any file only the server's user can
// read.
func readSecrets(c *config) error {
	for _, s := range []struct {
		name, file string
		value      *string
	}{
		{"admin-token", c.adminTokenFile, &c.adminToken},
		{"session-key", c.sessionKeyFile, &c.sessionKey},
	} {
		if s.file == "" {
			continue
		}
		if *s.value != "" {
			return fmt.Errorf("-%s and -%s-file are both set (or their FORGEFIT_ twins): give the secret once", s.name, s.name)
		}
		v, warn, err := readSecret(s.file)
		if err != nil {
			return fmt.Errorf("-%s-file: %w", s.name, err)
		}
		*s.value = v
		if warn != "" {
			c.warnings = append(c.warnings, fmt.Sprintf("-%s-file %s", s.name, warn))
		}
	}
	if c.dbPasswordFile == "" {
		return nil
	}
	u, err := url.Parse(c.db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("-db-password-file needs -db to be a postgres:// URL")
	}
	if dbPassword(c.db) != "" {
		return errors.New("-db-password-file is set and the -db URL holds a password too: give it once")
	}
	pw, warn, err := readSecret(c.dbPasswordFile)
	if err != nil {
		return fmt.Errorf("-db-password-file: %w", err)
	}
	if warn != "" {
		c.warnings = append(c.warnings, "-db-password-file "+warn)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	c.db = u.String()
	return nil
}

// maxSecretFile bounds what readSecret reads: a secret is one short line.
const maxSecretFile = 4 << 10

// readSecret returns the first line of the file at path, without the
// space around it, and a warning when other users may read the file.
func readSecret(path string) (secret, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", "", err
	}
	if len(b) > maxSecretFile {
		return "", "", fmt.Errorf("%s is over %d bytes: a secret file holds the secret alone", path, maxSecretFile)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if secret = strings.TrimSpace(line); secret == "" {
		return "", "", fmt.Errorf("%s is empty", path)
	}
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o004 != 0 {
		warning = fmt.Sprintf("%s is readable by every local user (mode %v); chmod o-r it", path, st.Mode().Perm())
	}
	return secret, warning, nil
}

// checkSecrets refuses an admin token or session key short enough to
// guess. An empty admin token means no admin access (-demo makes one).
func checkSecrets(c config) error {
	for _, s := range []struct{ name, value string }{{"admin-token", c.adminToken}, {"session-key", c.sessionKey}} {
		if s.value != "" && len(s.value) < minSecretLen {
			return fmt.Errorf("-%s is %d characters; it must be at least %d. Make one with `forgefit token` and give it by FORGEFIT_%s or -%s-file",
				s.name, len(s.value), minSecretLen, strings.ToUpper(strings.ReplaceAll(s.name, "-", "_")), s.name)
		}
	}
	return nil
}

// dbPassword returns the password in a postgres:// URL, if any.
func dbPassword(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

func run(cfg config, log *slog.Logger) error {
	publicURL, err := resolvePublicURL(cfg.publicURL, cfg.addr)
	if err != nil {
		return err
	}
	proxies, err := parseCIDRs(cfg.trustedProxies)
	if err != nil {
		return err
	}
	lib, err := content.Default()
	if err != nil {
		return fmt.Errorf("built-in content: %w", err)
	}
	if cfg.content != "" {
		if err := lib.AddFS(os.DirFS(cfg.content), "."); err != nil {
			return err
		}
	}
	demoOrigin := ""
	if cfg.demo {
		demoOrigin = "http://" + hostForURL(cfg.demoAddr, "127.0.0.1")
		if cfg.adminToken == "" {
			cfg.adminToken = newToken()
		}
	}
	// A production server refuses calls to action that would send
	// visitors to a placeholder address; the demo keeps the default
	// content's.
	loadPartners := func() (*server.Partners, error) {
		ps, err := server.LoadPartners(cfg.partners)
		if err != nil {
			return nil, err
		}
		if !cfg.demo {
			return ps, server.CheckCTAs(lib, ps)
		}
		return ps.With(server.Partner{ID: server.DemoPartnerID, Name: "Demo Partner", Origins: []string{demoOrigin}})
	}
	partners, err := loadPartners()
	if err != nil {
		return err
	}
	webDir := cfg.web
	if webDir == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		webDir = filepath.Join(filepath.Dir(exe), "web")
	}
	web, err := server.LoadWeb(webDir, log)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(log) // the stores log long schema upgrades through it
	store, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()
	srv, err := server.New(server.Config{
		Content:        lib,
		Partners:       partners,
		Web:            web,
		Widgets:        newWidgetHandler(web, lib, publicURL),
		Store:          store,
		Log:            log,
		AdminToken:     cfg.adminToken,
		SessionKey:     cfg.sessionKey,
		ClientRate:     cfg.clientRate,
		PartnerRate:    cfg.partnerRate,
		PublicURL:      publicURL,
		TrustedProxies: proxies,
	})
	if err != nil {
		return err
	}
	routePages(srv)
	go srv.RunRetention(ctx, time.Duration(cfg.retentionDays)*24*time.Hour, time.Hour)
	go srv.WarmStats(ctx)
	go reloadPartnersOnHangup(ctx, srv, loadPartners, log)

	servers := []*http.Server{newHTTPServer(cfg.addr, srv, log)}
	if cfg.demo {
		demo, err := server.DemoHandler(publicURL)
		if err != nil {
			return err
		}
		servers = append(servers, newHTTPServer(cfg.demoAddr, demo, log))
	}
	listeners := make([]net.Listener, len(servers))
	for i, hs := range servers {
		if listeners[i], err = net.Listen("tcp", hs.Addr); err != nil {
			return err
		}
	}
	errc := make(chan error, len(servers))
	for i, hs := range servers {
		go func() { errc <- hs.Serve(listeners[i]) }()
	}
	log.Info("forgefit listening", "addr", listeners[0].Addr().String(), "public_url", publicURL.String(), "version", buildVersion())
	if cfg.demo {
		fmt.Printf("\nForge Fit is running.\n  Demo partner page: %s/\n  Dashboard:         %s/dashboard\n  Admin token:       %s\n\n",
			demoOrigin, publicURL, cfg.adminToken)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: /readyz turns 503, the listeners stop taking connections,
	// requests in flight finish, and every queued batch is committed, all
	// within 10 seconds.
	log.Info("shutting down: draining")
	srv.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, hs := range servers {
		if err := hs.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := srv.Close(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("committing queued events: %w", err))
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

func newHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second, // the wasm on a slow phone link
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// resolvePublicURL returns -public-url, or the origin a browser on this
// machine would use for addr.
func resolvePublicURL(raw, addr string) (*url.URL, error) {
	if raw == "" {
		raw = "http://" + hostForURL(addr, "localhost")
	}
	o, err := server.NormalizeOrigin(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("-public-url: %w", err)
	}
	return url.Parse(o)
}

// hostForURL turns a listen address into host:port, naming an unspecified
// host by fallback.
func hostForURL(addr, fallback string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = fallback
	}
	return net.JoinHostPort(host, port)
}

func parseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %w", err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func runPrecompress(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: forgefit precompress DIR")
		return 2
	}
	br, gz, err := server.Precompress(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "forgefit precompress:", err)
		return 1
	}
	fmt.Printf("app.wasm precompressed: brotli %d bytes, gzip %d bytes\n", br, gz)
	return 0
}

func runToken(w io.Writer) int {
	t := newToken()
	fmt.Fprintf(w, "token:        %s\ntoken_sha256: %s\n", t, server.TokenHash(t))
	return 0
}

// buildVersion is the module version and VCS revision the binary was built
// from.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// reloadPartnersOnHangup rereads the partners file on SIGHUP. A bad file is
// refused with a log line and the registry in use stays.
func reloadPartnersOnHangup(ctx context.Context, srv *server.Server, load func() (*server.Partners, error), log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			ps, err := load()
			if err != nil {
				log.Error("partners file refused on SIGHUP; keeping the partners in use", "err", err)
				continue
			}
			srv.SetPartners(ps)
			log.Info("partners file reloaded", "partners", len(ps.IDs()))
		}
	}
}

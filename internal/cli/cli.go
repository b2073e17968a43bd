// Package cli is the forgefit program: its flags and their FORGEFIT_*
// environment twins, and a run of the server, from opening the store to
// draining on a signal. Each main that builds a server (the product's, in
// app/, and the bench's durable floor, in e2e/bench/floorserver) only hands
// Main its arguments and a StoreOpener.
package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/ehforge/forgefit/store"
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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// StoreOpener opens the store that -db names.
type StoreOpener func(ctx context.Context, db string) (store.Store, error)

// Main runs the forgefit command with args, the command line without the
// program's name, and returns its exit code: 2 for a bad command line, 1
// for a server that stopped on an error. open opens the store -db names
// (OpenStore, in the product).
func Main(args []string, open StoreOpener) int {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return runToken(os.Stdout)
		case "precompress":
			return runPrecompress(args[1:])
		}
	}
	cfg, err := parseFlags(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forgefit:", err)
		return 2
	}
	if cfg.version {
		fmt.Println("forgefit", buildVersion())
		return 0
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, w := range cfg.warnings {
		log.Warn(w)
	}
	if err := run(cfg, log, open); err != nil {
		log.Error("forgefit stopped", "err", err)
		return 1
	}
	return 0
}

// run serves until SIGINT or SIGTERM, then drains and stops, or until a
// listener fails.
func run(cfg config, log *slog.Logger, open StoreOpener) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	p, err := start(ctx, cfg, log, open)
	if err != nil {
		return err
	}
	select {
	case err := <-p.errc:
		p.closeStore()
		return err
	case <-ctx.Done():
	}
	return p.Close()
}

// program is a running server: what start opened, for Close to stop.
type program struct {
	log       *slog.Logger
	store     store.Store
	srv       *server.Server
	servers   []*http.Server
	listeners []net.Listener
	errc      chan error // a listener's Serve failed
}

// start opens what cfg names, builds the server and starts serving: the
// API and widget pages on -addr, with -demo the demo partner site on
// -demo-addr. The background work (retention, stats warm-up, partners
// reloaded on SIGHUP) runs until ctx is done. On an error, what start
// opened is closed.
func start(ctx context.Context, cfg config, log *slog.Logger, open StoreOpener) (_ *program, err error) {
	publicURL, err := resolvePublicURL(cfg.publicURL, cfg.addr)
	if err != nil {
		return nil, err
	}
	proxies, err := parseCIDRs(cfg.trustedProxies)
	if err != nil {
		return nil, err
	}
	lib, err := content.Default()
	if err != nil {
		return nil, fmt.Errorf("built-in content: %w", err)
	}
	if cfg.content != "" {
		if err := lib.AddFS(os.DirFS(cfg.content), "."); err != nil {
			return nil, err
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
		return nil, err
	}
	webDir := cfg.web
	if webDir == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		webDir = filepath.Join(filepath.Dir(exe), "web")
	}
	web, err := server.LoadWeb(webDir, log)
	if err != nil {
		return nil, err
	}

	slog.SetDefault(log) // the stores log long schema upgrades through it
	store, err := open(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	p := &program{log: log, store: store}
	defer func() {
		if err != nil {
			for _, l := range p.listeners {
				l.Close()
			}
			p.closeStore()
		}
	}()
	p.srv, err = server.New(server.Config{
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
		return nil, err
	}
	routePages(p.srv)
	go p.srv.RunRetention(ctx, time.Duration(cfg.retentionDays)*24*time.Hour, time.Hour)
	go p.srv.WarmStats(ctx)
	go reloadPartnersOnHangup(ctx, p.srv, loadPartners, log)

	p.servers = []*http.Server{newHTTPServer(cfg.addr, p.srv, log)}
	if cfg.demo {
		demo, err := server.DemoHandler(publicURL)
		if err != nil {
			return nil, err
		}
		p.servers = append(p.servers, newHTTPServer(cfg.demoAddr, demo, log))
	}
	for _, hs := range p.servers {
		l, err := net.Listen("tcp", hs.Addr)
		if err != nil {
			return nil, err
		}
		p.listeners = append(p.listeners, l)
	}
	p.errc = make(chan error, len(p.servers))
	for i, hs := range p.servers {
		go func() { p.errc <- hs.Serve(p.listeners[i]) }()
	}
	log.Info("forgefit listening", "addr", p.listeners[0].Addr().String(), "public_url", publicURL.String(), "version", buildVersion())
	if cfg.demo {
		fmt.Printf("\nForge Fit is running.\n  Demo partner page: %s/\n  Dashboard:         %s/dashboard\n  Admin token:       %s\n\n",
			demoOrigin, publicURL, cfg.adminToken)
	}
	return p, nil
}

// Close drains and stops the program: /readyz turns 503, the listeners stop
// taking connections, requests in flight finish, and every queued batch is
// committed, all within 10 seconds; then the store is closed.
func (p *program) Close() error {
	defer p.closeStore()
	p.log.Info("shutting down: draining")
	p.srv.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, hs := range p.servers {
		if err := hs.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.srv.Close(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("committing queued events: %w", err))
	}
	p.log.Info("stopped")
	return errors.Join(errs...)
}

func (p *program) closeStore() {
	if err := p.store.Close(); err != nil {
		p.log.Error("closing the store", "err", err)
	}
}

// go-app's routes belong to the process, and a pattern keeps the first
// constructor it is given. So the widget pages are routed once, to a
// constructor whose pages take their content from the server started last:
// the one server of a forgefit process (tests start several, one after
// another).
var (
	routePagesOnce sync.Once
	pagesServer    atomic.Pointer[server.Server]
)

// routePages tells go-app the widget pages, "/w/{widget}", which srv
// prerenders with its partners' content.
func routePages(srv *server.Server) {
	pagesServer.Store(srv)
	routePagesOnce.Do(func() {
		app.RouteWithRegexp(widget.RoutePattern, widget.Pages(widget.Deps{
			Source: func(id, locale, partner string) (*content.Widget, error) {
				return pagesServer.Load().PartnerContent(id, locale, partner)
			},
		}))
	})
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

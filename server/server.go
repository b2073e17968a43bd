// Package server is Forge Fit's HTTP side: the widget pages (prerendered by
// a handler it is given), the loader and static files, and the APIs. It
// never imports go-app components or a concrete store: app/ wires those in.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ehforge/forgefit/public"
	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/content"
)

// Config is what a Server needs. Widgets is the go-app handler that
// prerenders the widget pages.
type Config struct {
	Content  *content.Library
	Partners *Partners
	Web      *Web
	Widgets  http.Handler
	Store    store.Store
	Log      *slog.Logger

	// AdminToken opens /metrics, the stats and the dashboard to everything.
	AdminToken string
	// SessionKey signs dashboard sessions; empty means one derived from
	// AdminToken, so servers sharing a database accept each other's.
	SessionKey string

	// PublicURL is the origin browsers use to reach us (behind a proxy it
	// differs from the listener). Nil means "the request's own".
	PublicURL      *url.URL
	TrustedProxies []netip.Prefix

	// Ingest limits: requests a second per client address and per
	// partner (0: unlimited), and how many batches may wait for a commit.
	ClientRate, PartnerRate float64
	QueueLen                int
}

// Default ingest limits. A widget sends a batch every 2 s at most, so 10 a
// second per address leaves room for an office behind one address.
const (
	DefaultClientRate  = 10
	DefaultPartnerRate = 2000
	DefaultQueueLen    = 4096
	maxCommitEvents    = 5000 // events per group commit
	maxLimiterKeys     = 100_000
)

// Server serves every route of Forge Fit on one listener.
type Server struct {
	cfg      Config
	log      *slog.Logger
	partners atomic.Pointer[Partners]
	draining atomic.Bool
	static   map[string]*asset
	handler  http.Handler

	metrics       *metrics
	committer     *committer
	visitors      *visitorHasher
	clientLimits  clientLimiters
	partnerLimits *limiters
	authFailures  *limiters // failed authentications by client (see auth.go)
	sessions      *sessions
	figures       *stats.Reader
	contentIDs    *contentIDs
	dashboard     *dashboard
	installs      *installCounter
	now           func() time.Time
}

// New builds a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Content == nil || cfg.Widgets == nil || cfg.Web == nil || cfg.Store == nil {
		return nil, errors.New("server: Content, Widgets, Web and Store are required")
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Partners == nil {
		cfg.Partners, _ = NewPartners(nil)
	}
	var err error
	// Servers sharing a database share the visitor-hash salt through it,
	// when the store can.
	shared, _ := cfg.Store.(store.VisitorSalts)
	s := &Server{
		cfg:           cfg,
		log:           cfg.Log,
		metrics:       newMetrics(),
		visitors:      newVisitorHasher(shared, cfg.Log),
		clientLimits:  newClientLimiters(cfg.ClientRate, maxLimiterKeys),
		partnerLimits: newLimiters(cfg.PartnerRate, maxLimiterKeys),
		authFailures:  newAuthFailures(maxLimiterKeys),
		now:           time.Now,
	}
	key := cfg.SessionKey
	if key == "" {
		key = cfg.AdminToken
	}
	if key == "" {
		key = newSecret() // sessions then last as long as this process
	}
	s.sessions = newSessions(key)
	s.figures = stats.NewReader(cfg.Store, func() time.Time { return s.now() })
	s.contentIDs = newContentIDs(cfg.Content, cfg.Store.Rollups, cfg.Log, s.now())
	if s.dashboard, err = newDashboard(); err != nil {
		return nil, err
	}
	s.partners.Store(cfg.Partners)
	s.committer = newCommitter(cfg.Store, cfg.QueueLen, maxCommitEvents, s.metrics)
	s.installs = newInstallCounter(cfg.Store)
	s.installs.start(installFlushEvery, func(err error) { s.log.Warn("storing installation counts; retrying", "err", err) })
	static, err := loadStatic(public.Files)
	if err != nil {
		return nil, err
	}
	if static["/embed.js"], err = newLoader(public.Files); err != nil {
		return nil, err
	}
	static["/wasm_exec.js"] = cfg.Web.wasmExec
	static[cfg.Web.WasmURL] = cfg.Web.wasm
	s.static = static
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP makes the Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Drain makes /readyz answer 503, so a load balancer stops sending
// traffic while the process finishes what it has.
func (s *Server) Drain() { s.draining.Store(true) }

// Close stops taking events and commits every batch already queued, and
// stores the installation counts still in memory. Call it after the HTTP
// servers have shut down, and before closing the store.
func (s *Server) Close(ctx context.Context) error {
	return errors.Join(s.committer.Close(ctx), s.installs.Close(ctx))
}

// Partner returns the registered partner with id.
func (s *Server) Partner(id string) (*Partner, bool) { return s.partners.Load().Partner(id) }

// SetPartners replaces the partner registry (SIGHUP reloads it).
func (s *Server) SetPartners(p *Partners) { s.partners.Store(p) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /w/{widget}", s.handleWidgetPage)
	mux.HandleFunc("POST /w/{widget}", s.handleWidgetForm)
	mux.HandleFunc("GET /w/{widget}/cta", s.handleWidgetCTA)
	mux.HandleFunc("POST /api/v1/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/stats", s.handleStats)
	mux.HandleFunc("GET /api/v1/stats.csv", s.handleStatsCSV)
	mux.HandleFunc("GET /dashboard", s.handleDashboard)
	mux.HandleFunc("GET /dashboard/stats.csv", s.handleDashboardCSV)
	mux.HandleFunc("POST /dashboard/login", s.handleLogin)
	mux.HandleFunc("POST /dashboard/logout", s.handleLogout)
	mux.HandleFunc("POST /dashboard/share", s.handleDashboardShare)
	mux.HandleFunc("GET /dashboard/embed", s.handleEmbed)
	mux.HandleFunc("GET /dashboard/embed/preview", s.handleEmbedPreview)
	mux.HandleFunc("GET /dashboard/embed/preview.css", s.handleEmbedPreviewCSS)
	mux.HandleFunc("POST /w/{widget}/started", s.handleWidgetStarted)
	mux.HandleFunc("GET /api/v1/installations", s.handleInstallationsAPI)
	mux.HandleFunc("GET /dashboard/installations", s.handleInstallationsPage)
	mux.Handle("GET /metrics", s.requireAdmin(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	cors := s.partnerCORS()
	mux.Handle("GET /api/v1/widgets/{widget}", cors(http.HandlerFunc(s.handleWidgetContent)))
	// Preflights (a partner's script sending If-None-Match itself); rs/cors
	// answers them and passes anything else on, to a 404.
	mux.Handle("OPTIONS /api/v1/widgets/{widget}", cors(http.HandlerFunc(s.handleNotFound)))
	// go-app's Handler serves the manifest it links from every page; no
	// other path reaches it (it would proxy /robots.txt and friends from the
	// request's Host and cache the answer forever).
	mux.Handle("GET /manifest.webmanifest", s.cfg.Widgets)
	for path, a := range s.static {
		mux.Handle("GET "+path, a)
	}
	mux.HandleFunc("GET /sitemap.xml", s.handleNoFile)
	mux.HandleFunc("GET /ads.txt", s.handleNoFile)
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("/", s.handleUnrouted(mux))
	return chain(mux, s.recoverPanics, securityHeaders)
}

// loadStatic reads the public files into assets keyed by URL path.
func loadStatic(files fs.FS) (map[string]*asset, error) {
	static := map[string]*asset{}
	for _, f := range []struct{ name, path, contentType, cache string }{
		{"app.js", "/app.js", "application/javascript; charset=utf-8", cacheRevalidate},
		{"frame.js", "/frame.js", "application/javascript; charset=utf-8", cacheRevalidate},
		{"app.css", "/app.css", "text/css; charset=utf-8", cacheRevalidate},
		{"icon.svg", "/icon.svg", "image/svg+xml", cacheShort},
		{"icon.png", "/icon.png", "image/png", cacheShort},
		{"robots.txt", "/robots.txt", "text/plain; charset=utf-8", cacheShort},
		{"dashboard.css", "/dashboard.css", "text/css; charset=utf-8", cacheRevalidate},
	} {
		b, err := fs.ReadFile(files, f.name)
		if err != nil {
			return nil, fmt.Errorf("public file: %w", err)
		}
		a, err := newAsset(f.contentType, f.cache, b, brotliSmall)
		if err != nil {
			return nil, err
		}
		static[f.path] = a
	}
	return static, nil
}

// handleHealth handles "GET /healthz": the process is alive.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

// handleReady handles "GET /readyz": 503 once the server is draining,
// while the store cannot be reached, and while its last write failed
// (until a commit or a write probe succeeds: see committer.WriteError).
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "draining\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "store not ready", "err", err)
		writeText(w, http.StatusServiceUnavailable, "store unavailable\n")
		return
	}
	if err := s.committer.WriteError(ctx, s.now()); err != nil {
		s.log.WarnContext(ctx, "store not ready: its last write failed", "err", err)
		writeText(w, http.StatusServiceUnavailable, "store writes failing\n")
		return
	}
	writeText(w, http.StatusOK, "ready\n")
}

// handleRoot handles "GET /".
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "Forge Fit: embeddable comparison widgets. See /embed.js and /w/{widget}.\n")
}

// handleNoFile answers the crawler files we do not have with a plain 404,
// so that go-app's Handler never fetches them.
func (s *Server) handleNoFile(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusNotFound, "not found\n")
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, Errorf(ENotFound, "no route for %s %s", r.Method, r.URL.Path))
}

// handleUnrouted answers what no route of mux takes: 405 with Allow when
// the path has routes for other methods, else 404. The catch-all "/" it is
// registered as matches every method, so without it the mux would never
// give its own 405.
func (s *Server) handleUnrouted(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allow := allowedMethods(mux, r)
		if len(allow) == 0 {
			s.handleNotFound(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, Errorf(EMethod, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
	}
}

// routeMethods are the methods allowedMethods tries.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// allowedMethods returns the methods a route of mux other than the
// catch-all "/" takes for r's path. It runs only for requests no route
// took, never on a served request's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range routeMethods {
		if _, pattern := mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// Command bench measures Forge Fit against its budgets in one run on
// loopback: the loader's and the wasm's sizes, page loads in headless
// Chromium against a static reference, ingest throughput against a bare
// net/http server, the stats API, and a partner's stats API and dashboard
// after a flood of made-up ids. It prints one table and writes the same as
// JSON (results.json) and text (results.txt) to -out.
//
// `make bench` builds what it needs and runs it; `make test` runs it with
// -smoke (one load, one-second load runs) so it cannot rot. It exits 1 only
// when it could not measure something: a budget miss is a result, not a
// failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ehforge/forgefit/internal/testkit"
	"github.com/ehforge/forgefit/store/pgtest"
)

// config is the bench's flags.
type config struct {
	bin, web, hello, out, statsDB string
	postgres                      string
	floorBin                      string
	loads, workers                int
	ingestFor, ingestWarmup       time.Duration
	ingestOnly                    bool
	settle, warmIdle, loadTimeout time.Duration
	timeout                       time.Duration
	smoke                         bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == bareServerFlag {
		if err := serveBare(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	cfg := parseFlags()
	report, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Println()
	report.writeTable(os.Stdout)
	if err := report.writeFiles(cfg.out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\n%s in %s; results in %s\n", map[bool]string{true: "smoke run", false: "run"}[cfg.smoke],
		report.Duration, filepath.Join(cfg.out, "results.json"))
	if report.failed() {
		fmt.Fprintln(os.Stderr, "bench: some figures could not be measured (see \"error\" above)")
		os.Exit(1)
	}
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/forgefit", "the forgefit binary")
	flag.StringVar(&c.web, "web", "bin/web", "the widget build (app.wasm and its precompressed copies)")
	flag.StringVar(&c.hello, "hello", "bin/bench/hello.wasm", "the go-app hello world, built for js/wasm like app.wasm")
	flag.StringVar(&c.out, "out", "bin/bench", "folder for results.json and results.txt")
	flag.StringVar(&c.statsDB, "stats-db", "", "a seeded database for the stats API figures (the dashboard issue's seeder makes it)")
	flag.StringVar(&c.postgres, "postgres", "", "a postgres:// URL, or auto for a throwaway server: run the ingest load on PostgreSQL too")
	flag.StringVar(&c.floorBin, "floor-bin", "", "forgefit with the durable floor store (e2e/bench/floorserver): run the ingest load on its durable floor store too (fdatasync per group commit, nothing stored)")
	flag.IntVar(&c.loads, "loads", 7, "cold page loads of the product and of the reference, each in a fresh browser (at least 5 for the report)")
	flag.IntVar(&c.workers, "workers", 32, "concurrent keep-alive connections of the load generator")
	flag.DurationVar(&c.ingestFor, "ingest-for", 5*time.Second, "measured duration of each load-generator run")
	flag.DurationVar(&c.ingestWarmup, "ingest-warmup", time.Second, "unmeasured start of each load-generator run")
	flag.DurationVar(&c.settle, "settle", time.Second, "wait after the wasm's takeover (or interactive, without one) before reading layout shifts")
	flag.DurationVar(&c.warmIdle, "warm-idle", 3*time.Second, "idle time before the warm load (Chromium writes its compiled-wasm cache)")
	flag.DurationVar(&c.loadTimeout, "load-timeout", 30*time.Second, "limit for one page load, to interactive and to the wasm's takeover")
	flag.DurationVar(&c.timeout, "timeout", 9*time.Minute, "limit for the whole run")
	flag.BoolVar(&c.ingestOnly, "ingest-only", false, "run only the ingest load (and on PostgreSQL with -postgres): a quick loop while tuning ingest")
	flag.BoolVar(&c.smoke, "smoke", false, "a quick run that only proves the harness works: 1 load, 1 s load runs")
	flag.Parse()
	if c.smoke {
		c.loads, c.workers = 1, 4
		c.ingestFor, c.ingestWarmup = time.Second, 0
		c.settle, c.warmIdle = 200*time.Millisecond, 500*time.Millisecond
		c.timeout = 3 * time.Minute
	}
	return c
}

func run(cfg config) (*Report, error) {
	began := time.Now()
	// Ctrl-C ends the run through the same path as the time limit: the
	// browsers close and the servers stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	chromium, err := testkit.ChromiumPath()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(cfg.out, "run-")
	if err != nil {
		if err := os.MkdirAll(cfg.out, 0o755); err != nil {
			return nil, err
		}
		if work, err = os.MkdirTemp(cfg.out, "run-"); err != nil {
			return nil, err
		}
	}
	defer os.RemoveAll(work)

	r := &Report{Date: began.UTC(), Command: strings.Join(os.Args, " "), Smoke: cfg.smoke, Machine: machine(chromium)}
	r.Machine["load average at start"] = loadAverage()

	// The partner site listens first: the product must know its origin.
	pages := &partnerPages{}
	partnerSite, partnerOrigin, err := listenSite("127.0.0.1", pages)
	if err != nil {
		return nil, err
	}
	defer partnerSite.close()

	if !cfg.ingestOnly {
		if err := pageFigures(ctx, cfg, r, pages, partnerOrigin, work, chromium); err != nil {
			return nil, err
		}
		step("made-up-id flood")
		r.add(floodFigures(ctx, cfg, filepath.Join(work, "flood"), partnerOrigin)...)
	}

	step("ingest load")
	r.add(ingestRun(ctx, cfg, filepath.Join(work, "ingest"), "", partnerOrigin)...)
	if cfg.floorBin != "" {
		step("ingest load on the durable floor")
		r.add(floorIngest(ctx, cfg, filepath.Join(work, "ingest-floor"), partnerOrigin)...)
	}
	if cfg.postgres != "" {
		step("ingest load on PostgreSQL")
		r.add(postgresIngest(ctx, cfg, filepath.Join(work, "ingest-postgres"), partnerOrigin)...)
	}
	r.Machine["load average at end"] = loadAverage()
	r.Duration = time.Since(began).Round(time.Second).String()
	return r, nil
}

// pageFigures adds the sizes, the page loads and the stats API figures to
// r, from a server of their own.
func pageFigures(ctx context.Context, cfg config, r *Report, pages *partnerPages, partnerOrigin, work, chromium string) error {
	step("starting forgefit for the sizes and page loads")
	p, err := startProduct(ctx, cfg.bin, cfg.web, filepath.Join(work, "pages"), "", partnerOrigin)
	if err != nil {
		return err
	}
	frameURL := widgetPageURL(p.URL, partnerOrigin, productPath)
	r.add(loaderSize(p))
	r.add(wasmSizes(p, frameURL, cfg.hello, filepath.Dir(cfg.hello), cfg.smoke)...)

	step("page loads in headless Chromium")
	r.add(pageLoadFigures(ctx, cfg, p, pages, partnerOrigin, frameURL, chromium, work)...)
	r.add(statsFiguresFor(ctx, cfg, p, work, partnerOrigin)...)
	if err := p.stop(); err != nil {
		r.add(failure("forgefit shutdown after the page loads", "", err))
	}
	return nil
}

// ingestRun starts a fresh server on db (SQLite in dir when empty), so its
// peak RSS is the ingest run's, and runs the ingest load on it.
func ingestRun(ctx context.Context, cfg config, dir, db, partnerOrigin string) []Figure {
	p, err := startProduct(ctx, cfg.bin, cfg.web, dir, db, partnerOrigin)
	if err != nil {
		return []Figure{failure("ingest", "", err)}
	}
	figs := ingestFigures(ctx, p, partnerOrigin, cfg.workers, cfg.ingestWarmup, cfg.ingestFor)
	if err := p.stop(); err != nil {
		figs = append(figs, failure("forgefit shutdown after the ingest load", "", err))
	}
	return figs
}

// pageLoadFigures builds the reference from the product's own prerendered
// page, serves both partner pages and runs the loads.
func pageLoadFigures(ctx context.Context, cfg config, p *product, pages *partnerPages, partnerOrigin, frameURL, chromium, work string) []Figure {
	fail := func(err error) []Figure { return []Figure{failure("page loads", "", err)} }
	_, _, widgetPage, err := fetch(frameURL, "identity")
	if err != nil {
		return fail(err)
	}
	table, err := staticTable(widgetPage)
	if err != nil {
		return fail(err)
	}
	_, _, css, err := fetch(p.URL+"/app.css", "identity")
	if err != nil {
		return fail(err)
	}
	// localhost: the same site as the product, another site than the
	// partner page, so the reference is a cross-site iframe too.
	refSite, refOrigin, err := listenSite("localhost", referenceSite(table, css))
	if err != nil {
		return fail(err)
	}
	defer refSite.close()

	snippet := loaderServed(p.URL)
	loaderURL := ""
	if snippet {
		loaderURL = p.URL + "/embed.js"
	}
	if pages.product, err = renderPartnerPage(loaderURL, frameURL, true); err != nil {
		return fail(err)
	}
	if pages.bare, err = renderPartnerPage(loaderURL, frameURL, false); err != nil {
		return fail(err)
	}
	if pages.reference, err = renderPartnerPage("", refOrigin+"/table.html", false); err != nil {
		return fail(err)
	}
	profiles := filepath.Join(work, "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		return fail(err)
	}
	return pageLoads(ctx, pageLoadPlan{
		chromium:   chromium,
		profiles:   profiles,
		productURL: partnerOrigin + productPath,
		bareURL:    partnerOrigin + barePath,
		refURL:     partnerOrigin + referencePath,
		loads:      cfg.loads,
		timeout:    cfg.loadTimeout,
		settle:     cfg.settle,
		warmIdle:   cfg.warmIdle,
		snippet:    snippet,
	})
}

// statsFiguresFor measures the stats API on the seeded database when there
// is one (in a server of its own), else says why not on p.
func statsFiguresFor(ctx context.Context, cfg config, p *product, work, partnerOrigin string) []Figure {
	d := 3 * time.Second
	if cfg.smoke {
		d = 500 * time.Millisecond
	}
	if cfg.statsDB == "" {
		return append(statsFigures(ctx, p, false, d), notAvailable("stats seeding rate (events)", "", "needs the seeded database: -stats-db"))
	}
	sp, err := startProduct(ctx, cfg.bin, cfg.web, filepath.Join(work, "stats"), cfg.statsDB, partnerOrigin)
	if err != nil {
		return []Figure{failure("stats API", "", err)}
	}
	defer sp.stop()
	return append(statsFigures(ctx, sp, true, d), seedingRate(cfg.statsDB))
}

// machine describes what the run ran on.
func machine(chromium string) map[string]string {
	m := map[string]string{
		"cpus": fmt.Sprint(runtime.NumCPU()),
		"go":   runtime.Version(),
		"os":   runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command(chromium, "--version").Output(); err == nil {
		m["chromium"] = strings.TrimSpace(string(out))
	}
	return m
}

// loadAverage is the 1, 5 and 15 minute load average: other work on the
// machine makes the timings noisy, and this says how much there was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func step(s string) { fmt.Fprintf(os.Stderr, "bench: %s\n", s) }

// postgresIngest runs the ingest series on PostgreSQL.
func postgresIngest(ctx context.Context, cfg config, dir, partnerOrigin string) []Figure {
	dsn, stop, err := postgresFor(ctx, cfg.postgres)
	if err != nil {
		return []Figure{failure("ingest on PostgreSQL", "", err)}
	}
	defer stop()
	figs := ingestRun(ctx, cfg, dir, dsn, partnerOrigin)
	for i := range figs {
		figs[i].Name += ", PostgreSQL"
	}
	return figs
}

// floorIngest runs the ingest series on the durable floor: the same server
// and load, with a store that only fdatasyncs a file once per group commit
// and stores nothing (see e2e/bench/floorserver). Its figures are what a
// durable commit alone allows on this machine, the line the real store's
// are read against, so they carry no budget.
func floorIngest(ctx context.Context, cfg config, dir, partnerOrigin string) []Figure {
	fc := cfg
	fc.bin = cfg.floorBin
	figs := ingestRun(ctx, fc, dir, "floor:"+filepath.Join(dir, "forgefit.db"), partnerOrigin)
	for i := range figs {
		figs[i].Name += ", durable floor"
		if figs[i].Status == Pass || figs[i].Status == Miss {
			figs[i].Budget, figs[i].Status = "", Info
		}
	}
	return figs
}

// postgresFor returns the database the PostgreSQL ingest series runs on:
// the URL given, or with "auto" a throwaway server of its own (initdb in a
// temporary folder, as the tests do), stopped when the bench ends.
func postgresFor(ctx context.Context, arg string) (dsn string, stop func(), err error) {
	if arg != "auto" {
		return arg, func() {}, nil
	}
	srv, err := pgtest.Start()
	if err != nil {
		return "", nil, err
	}
	dsn, err = srv.CreateDatabase(ctx)
	if err != nil {
		srv.Stop()
		return "", nil, err
	}
	return dsn, func() { srv.Stop() }, nil
}

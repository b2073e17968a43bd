package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/ehforge/forgefit/internal/testkit"
)

// loadPlan bounds one load-generator run.
type loadPlan struct {
	url      string
	origin   string // the Origin header: the widget's own origin
	partner  string // the partner page's origin, for page.origin
	events   int    // events a request
	workers  int    // concurrent keep-alive connections
	warmup   time.Duration
	duration time.Duration
}

// loadResult is one load-generator run.
type loadResult struct {
	requests  int           // answered with the expected status, after warm-up
	failures  int           // any other answer or error, after warm-up
	firstFail string        // what the first failure was
	elapsed   time.Duration // measured part
	latencies []time.Duration
}

func (r loadResult) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// percentile returns the q-quantile of the latencies in ms.
func (r loadResult) percentile(q float64) float64 {
	xs := make([]float64, len(r.latencies))
	for i, d := range r.latencies {
		xs[i] = float64(d) / float64(time.Millisecond)
	}
	return quantile(xs, q)
}

// batchWriter writes valid batches of widget_viewed events with fresh
// UUIDv7 ids, as the widget sends them. Fresh ids, since a duplicate would
// cost the store less. It is cheap on purpose: the load generator shares
// the machine with the server, and a costly client would hold back the
// bare server more than the ingest endpoint, flattering their ratio. The
// ids come from a per-worker ChaCha8 stream (they are test data, not
// secrets) and the JSON is written by hand.
type batchWriter struct {
	rng  *rand.ChaCha8
	head string // the batch's context, up to "view"
	tail string // after "view", up to the events
}

func newBatchWriter(partnerOrigin string) *batchWriter {
	var seed [32]byte
	crand.Read(seed[:])
	origin, _ := json.Marshal(partnerOrigin)
	return &batchWriter{
		rng:  rand.NewChaCha8(seed),
		head: `{"partner":"` + benchPartner + `","widget":"` + widgetID + `","view":"`,
		tail: `","locale":"en","page":{"origin":` + string(origin) + `,"path":"/product"},"events":[`,
	}
}

// batch returns a new body of n widget_viewed events.
func (w *batchWriter) batch(n int) []byte {
	return w.events(n, 100, "widget_viewed", func(b []byte, _ int) []byte { return append(b, `"}`...) })
}

// events returns a new body of n events of type typ, each about size
// bytes; rest appends what follows event i's time, its data and closing
// brace.
func (w *batchWriter) events(n, size int, typ string, rest func(b []byte, i int) []byte) []byte {
	b := make([]byte, 0, 200+n*size)
	b = append(b, w.head...)
	b = w.appendUUIDv7(b)
	b = append(b, w.tail...)
	at := time.Now().UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z")
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = w.appendUUIDv7(b)
		b = append(b, `","type":"`...)
		b = append(b, typ...)
		b = append(b, `","at":"`...)
		b = append(b, at...)
		b = rest(b, i)
	}
	return append(b, "]}"...)
}

// appendUUIDv7 appends a UUIDv7 (RFC 9562): 48 bits of Unix ms, version,
// random bits, variant.
func (w *batchWriter) appendUUIDv7(b []byte) []byte {
	var u [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint64(u[8:], w.rng.Uint64())
	binary.BigEndian.PutUint64(u[:8], ms<<16|w.rng.Uint64()&0x0fff)
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}

// batchBody is one batch of n events from a writer of its own.
func batchBody(partnerOrigin string, n int) []byte {
	return newBatchWriter(partnerOrigin).batch(n)
}

// runLoad posts batches with p.workers keep-alive connections for
// p.warmup + p.duration and counts answers with status want. Both targets
// get the same requests, built the same way, so the client's own cost is
// the same on both sides of the ratio.
func runLoad(ctx context.Context, p loadPlan, want int) loadResult {
	tr := &http.Transport{
		MaxIdleConns: p.workers, MaxIdleConnsPerHost: p.workers, MaxConnsPerHost: p.workers,
		IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	start := time.Now()
	measureFrom := start.Add(p.warmup)
	stop := measureFrom.Add(p.duration)
	ctx, cancel := context.WithDeadline(ctx, stop)
	defer cancel()

	var mu sync.Mutex
	var total loadResult
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			var mine loadResult
			w := newBatchWriter(p.partner)
			for ctx.Err() == nil {
				// A new body each time: the transport may still hold the
				// last one when Do returns.
				body := w.batch(p.events)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", p.origin)
				req.Header.Set("User-Agent", visitorAgent)
				t0 := time.Now()
				res, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(stop) {
					continue // warm-up, or cut by the deadline
				}
				switch {
				case err != nil:
					mine.failures++
					if mine.firstFail == "" {
						mine.firstFail = err.Error()
					}
				case res.StatusCode != want:
					mine.failures++
					if mine.firstFail == "" {
						mine.firstFail = fmt.Sprintf("status %d", res.StatusCode)
					}
				default:
					mine.requests++
					mine.latencies = append(mine.latencies, t1.Sub(t0))
				}
			}
			mu.Lock()
			total.requests += mine.requests
			total.failures += mine.failures
			if total.firstFail == "" {
				total.firstFail = mine.firstFail
			}
			total.latencies = append(total.latencies, mine.latencies...)
			mu.Unlock()
		})
	}
	wg.Wait()
	total.elapsed = min(time.Since(measureFrom), p.duration)
	slices.Sort(total.latencies)
	return total
}

// bareServerFlag makes the bench binary a bare net/http server instead.
const bareServerFlag = "-serve-bare"

// serveBare is the bench's reference server: net/http answering every
// request with 204 after reading its body. It runs in a process of its own,
// as forgefit does, prints its address on stdout, and stops on SIGTERM.
func serveBare() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 64<<10))
			w.WriteHeader(http.StatusNoContent)
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 15 * time.Second, IdleTimeout: 120 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Println("bare server on " + l.Addr().String())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startBare starts the bare server in a process of its own and returns its
// URL and a stop function.
func startBare(ctx context.Context) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	p, err := testkit.Start(testkit.Command{Path: exe, Args: []string{bareServerFlag}})
	if err != nil {
		return "", nil, err
	}
	stop := func() { _ = p.Stop(5 * time.Second) }
	// It is ready once it says where it listens.
	ready, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := p.WaitOutput(ready, 0, "\n")
	var addr string
	if err == nil {
		_, err = fmt.Sscanf(out, "bare server on %s\n", &addr)
	}
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("the bare server did not say its address: %w\n%s", err, p.Output())
	}
	return "http://" + addr, stop, nil
}

// ingestFigures measures POST /api/v1/events with single-event and
// 20-event requests against the bare server in the same run, and the
// server's peak RSS.
func ingestFigures(ctx context.Context, p *product, partnerOrigin string, workers int, warmup, duration time.Duration) []Figure {
	const (
		nBare    = "bare net/http 204, 1 event a request"
		nSingle  = "ingest, 1 event a request"
		nRatio   = "ingest / bare (1 event a request)"
		nP99     = "ingest p99 (1 event a request)"
		nBatch   = "ingest, 20 events a request"
		nRSS     = "server peak RSS (ingest run)"
		bRatio   = "≥ 0.5"
		bP99     = "≤ 10 ms"
		bBatch   = "≥ 100,000 events/s"
		bRSS     = "≤ 150 MB"
		notYet   = "endpoint not served yet"
		eventsIn = "/api/v1/events"
	)
	probe := loadPlan{url: p.URL + eventsIn, origin: p.URL, partner: partnerOrigin, events: 1}
	status, err := postOnce(probe)
	switch {
	case err != nil:
		return []Figure{failure(nSingle, "", err)}
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return []Figure{
			notAvailable(nSingle, "", notYet), notAvailable(nRatio, bRatio, notYet),
			notAvailable(nP99, bP99, notYet), notAvailable(nBatch, bBatch, notYet),
			notAvailable(nRSS, bRSS, "no ingest run"),
		}
	case status != http.StatusAccepted:
		return []Figure{failure(nSingle, "", fmt.Errorf("a valid batch got status %d, want 202", status))}
	}

	bareURL, stopBare, err := startBare(ctx)
	if err != nil {
		return []Figure{failure(nBare, "", err)}
	}
	plan := func(url string, events int) loadPlan {
		return loadPlan{url: url, origin: p.URL, partner: partnerOrigin, events: events,
			workers: workers, warmup: warmup, duration: duration}
	}
	bare := runLoad(ctx, plan(bareURL, 1), http.StatusNoContent)
	stopBare()
	single := runLoad(ctx, plan(p.URL+eventsIn, 1), http.StatusAccepted)
	batch := runLoad(ctx, plan(p.URL+eventsIn, 20), http.StatusAccepted)
	rss, rssErr := peakRSS(p.proc.Pid())

	rate := func(name string, r loadResult, events int) Figure {
		f := info(name, r.perSecond()*float64(events), "/s")
		f.Note = fmt.Sprintf("events/s; p50 %.2f ms, p99 %.2f ms; %d workers, %v", r.percentile(0.5), r.percentile(0.99), workers, duration)
		if r.failures > 0 {
			f.Note += fmt.Sprintf("; %d failed requests (first: %s)", r.failures, r.firstFail)
		}
		return f
	}
	if bare.requests == 0 || single.requests == 0 {
		return []Figure{failure(nSingle, "", fmt.Errorf("no request succeeded: bare %d (%s), ingest %d (%s)",
			bare.requests, bare.firstFail, single.requests, single.firstFail))}
	}
	figs := []Figure{
		rate(nBare, bare, 1),
		rate(nSingle, single, 1),
		budgetMin(nRatio, single.perSecond()/bare.perSecond(), "x", 0.5, bRatio),
		budgetMax(nP99, single.percentile(0.99), "ms", 10, bP99),
		rate(nBatch, batch, 20),
	}
	figs[4].Budget = bBatch
	figs[4].Status = Pass
	if batch.perSecond()*20 < 100_000 {
		figs[4].Status = Miss
	}
	if rssErr != nil {
		return append(figs, failure(nRSS, bRSS, rssErr))
	}
	return append(figs, budgetMax(nRSS, float64(rss)/1e6, "MB", 150, bRSS))
}

// postOnce sends one valid single-event batch and returns the status.
func postOnce(p loadPlan) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(batchBody(p.partner, 1)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", p.origin)
	req.Header.Set("User-Agent", visitorAgent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// visitorAgent is a browser's user agent: without one the server takes the
// load for a crawler's, flags it as bot traffic, and never counts it in
// rollups or daily visitors, which would leave that work out of the figures.
const visitorAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

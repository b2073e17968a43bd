package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The made-up-id flood: issue 17 found that 2,400 requests of 50
// question_answered events, each with an id of its own, made 100,000
// rollup rows, a partner's /api/v1/stats of 10.8 MB and a /dashboard of
// 13 MB taking 1.15 s. The server now refuses ids the content does not
// define; these figures show the flood refused and a partner's figures as
// small and quick after it as before.
const (
	floodRequests      = 2400
	floodRequestsSmoke = 100
	floodWorkers       = 4
	floodStatsBudget   = 64 << 10  // bytes of a partner's /api/v1/stats
	floodPageBudget    = 256 << 10 // bytes of its /dashboard
)

// floodBatch is a batch of n question_answered events, each naming a
// question of its own that the content does not define.
func floodBatch(w *batchWriter, request, n int) []byte {
	return w.events(n, 180, "question_answered", func(b []byte, i int) []byte {
		b = append(b, `","data":{"question":"made-up-`...)
		b = strconv.AppendInt(b, int64(request), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i), 10)
		return append(b, `","option":"it-team","index":0}}`...)
	})
}

// realBatch is a visit with the content's own ids, so the partner's
// figures are not empty.
func realBatch(w *batchWriter) []byte {
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	var events []string
	for _, e := range []string{
		`"type":"widget_loaded"`, `"type":"widget_viewed"`, `"type":"quiz_started"`,
		`"type":"question_answered","data":{"question":"internal-it","option":"it-team","index":0}`,
		`"type":"faq_opened","data":{"faq":"small-business"}`,
		`"type":"cta_clicked","data":{"cta":"contact","outcome":"co-managed"}`,
	} {
		events = append(events, `{"id":"`+string(w.appendUUIDv7(nil))+`",`+e+`,"at":"`+at+`"}`)
	}
	b := append([]byte(w.head), w.appendUUIDv7(nil)...)
	b = append(b, w.tail...)
	return append(append(b, strings.Join(events, ",")...), "]}"...)
}

// floodFigures starts a server of its own, records one real visit, sends
// the flood and measures the partner's stats API and dashboard after it,
// and the server's peak RSS after four dashboard loads at once.
func floodFigures(ctx context.Context, cfg config, dir, partnerOrigin string) []Figure {
	const (
		nRefused = "made-up-id flood: requests refused (400)"
		nStats   = "partner stats API after the flood"
		nPage    = "partner dashboard after the flood"
		nRSS     = "peak RSS after the flood and 4 dashboards at once"
	)
	requests, gets := floodRequests, 20
	if cfg.smoke {
		requests, gets = floodRequestsSmoke, 3
	}
	p, err := startProduct(ctx, cfg.bin, cfg.web, dir, "", partnerOrigin)
	if err != nil {
		return []Figure{failure("made-up-id flood", "", err)}
	}
	defer p.stop()
	fail := func(name string, err error) []Figure { return []Figure{failure(name, "", err)} }

	w := newBatchWriter(partnerOrigin)
	if status, body, err := postBatch(p, realBatch(w)); err != nil || status != http.StatusAccepted {
		return fail(nRefused, fmt.Errorf("a real visit: status %d %s %v", status, body, err))
	}
	statsURL := p.URL + "/api/v1/stats?" + url.Values{"partner": {benchPartner}}.Encode()
	pageURL := p.URL + "/dashboard?" + url.Values{"partner": {benchPartner}}.Encode()
	cookie, err := dashboardSession(p)
	if err != nil {
		return fail(nPage, err)
	}
	statsBefore, _, err := timedGets(ctx, statsURL, "Authorization", "Bearer "+p.Admin, 1)
	if err != nil {
		return fail(nStats, err)
	}
	pageBefore, _, err := timedGets(ctx, pageURL, "Cookie", cookie, 1)
	if err != nil {
		return fail(nPage, err)
	}

	began := time.Now()
	var next, refused atomic.Int64
	var firstOther atomic.Value
	var wg sync.WaitGroup
	for range floodWorkers {
		wg.Go(func() {
			w := newBatchWriter(partnerOrigin)
			for n := next.Add(1); n <= int64(requests) && ctx.Err() == nil; n = next.Add(1) {
				status, body, err := postBatch(p, floodBatch(w, int(n), 50))
				switch {
				case err != nil:
					firstOther.CompareAndSwap(nil, err.Error())
				case status == http.StatusBadRequest:
					refused.Add(1)
				default:
					firstOther.CompareAndSwap(nil, fmt.Sprintf("status %d %s", status, body))
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	refusedFig := budgetMin(nRefused, float64(refused.Load()), "requests", float64(requests), fmt.Sprintf("all %d", requests))
	refusedFig.Note = fmt.Sprintf("%d requests of 50 question_answered events, each naming a question of its own, from %d clients in %.1f s",
		requests, floodWorkers, took.Seconds())
	if v := firstOther.Load(); v != nil {
		refusedFig.Note += "; the first not refused: " + v.(string)
	}

	figs := []Figure{refusedFig}
	for _, m := range []struct {
		name, url, header, value string
		before, budget           int
		limit                    float64
	}{
		{nStats, statsURL, "Authorization", "Bearer " + p.Admin, statsBefore, floodStatsBudget, 100},
		{nPage, pageURL, "Cookie", cookie, pageBefore, floodPageBudget, 250},
	} {
		size, lat, err := timedGets(ctx, m.url, m.header, m.value, gets)
		if err != nil {
			figs = append(figs, failure(m.name, "", err))
			continue
		}
		sf := budgetMax(m.name+", size", float64(size), "bytes", float64(m.budget), "≤ "+groupDigits(int64(m.budget))+" B")
		sf.Note = fmt.Sprintf("%s B before the flood", groupDigits(int64(m.before)))
		tf := budgetMax(m.name+", p95", quantile(lat, 0.95), "ms", m.limit, fmt.Sprintf("≤ %.0f ms", m.limit))
		tf.Note = fmt.Sprintf("p50 %.2f ms over %d requests, one at a time", quantile(lat, 0.5), len(lat))
		figs = append(figs, sf, tf)
	}

	// The four dashboards at once took the server from 113 to 554 MB.
	var pageErr atomic.Value
	for range 4 {
		wg.Go(func() {
			if _, _, err := timedGets(ctx, pageURL, "Cookie", cookie, 1); err != nil {
				pageErr.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	if err, _ := pageErr.Load().(error); err != nil {
		return append(figs, failure(nRSS, "", err))
	}
	rss, err := peakRSS(p.proc.Pid())
	if err != nil {
		return append(figs, failure(nRSS, "", err))
	}
	return append(figs, budgetMax(nRSS, float64(rss)/1e6, "MB", 150, "≤ 150 MB"))
}

// postBatch posts one batch as the widget does, and returns the status and
// the start of the body.
func postBatch(p *product, body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, p.URL+"/api/v1/events", strings.NewReader(string(body)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", p.URL)
	res, err := rawClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	return res.StatusCode, string(b), nil
}

// dashboardSession signs in to the dashboard with the admin token, as the
// sign-in form does, and returns the session cookie to send.
func dashboardSession(p *product) (string, error) {
	req, err := http.NewRequest(http.MethodPost, p.URL+"/dashboard/login", strings.NewReader(url.Values{"token": {p.Admin}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.URL)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("dashboard sign-in: status %d and no session cookie", res.StatusCode)
}

// timedGets GETs u n times, one at a time, with one header set, and
// returns the last body's size and the latencies in ms.
func timedGets(ctx context.Context, u, header, value string, n int) (int, []float64, error) {
	var size int
	var lat []float64
	for range n {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set(header, value)
		t0 := time.Now()
		res, err := rawClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		lat = append(lat, float64(time.Since(t0))/float64(time.Millisecond))
		if err != nil {
			return 0, nil, err
		}
		if res.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("GET %s: status %d", u, res.StatusCode)
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && !json.Valid(b) {
			return 0, nil, errors.New("GET " + u + ": not JSON")
		}
		size = len(b)
	}
	return size, lat, nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// statsFigures measures GET /api/v1/stats for a 30-day and a 365-day
// range. Its budget is about the dashboard issue's seeded database (10
// million events over 400 days), which that seeder makes; the bench
// measures only when given one (-stats-db), since figures on its own
// nearly empty database would say nothing.
func statsFigures(ctx context.Context, p *product, seeded bool, duration time.Duration) []Figure {
	names := []string{"stats API p95, 30 days", "stats API p95, 365 days"}
	const budget = "≤ 100 ms"
	status, _, _, err := fetchAuth(p.URL+"/api/v1/stats", p.Admin)
	why := ""
	switch {
	case err != nil:
		return []Figure{failure(names[0], budget, err)}
	case status == http.StatusNotFound:
		why = "endpoint not served yet"
	case !seeded:
		why = "needs the seeded database: -stats-db"
	}
	if why != "" {
		return []Figure{notAvailable(names[0], budget, why), notAvailable(names[1], budget, why)}
	}
	var figs []Figure
	for i, days := range []int{30, 365} {
		to := time.Now().UTC()
		q := url.Values{"from": {to.AddDate(0, 0, 1-days).Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
		lat, err := timeGets(ctx, p.URL+"/api/v1/stats?"+q.Encode(), p.Admin, duration)
		if err != nil {
			figs = append(figs, failure(names[i], budget, err))
			continue
		}
		f := budgetMax(names[i], quantile(lat, 0.95), "ms", 100, budget)
		// The server warms its cache of closed months and days at start;
		// a request that finds it cold reads them from the rollups.
		f.Note = fmt.Sprintf("p50 %.2f ms over %d requests, one at a time, all partners; the first took %.0f ms",
			quantile(lat, 0.5), len(lat), lat[0])
		figs = append(figs, f)
	}
	return figs
}

// timeGets GETs u one request at a time for d after the first answer, and
// at least minGets times, but never more than 1,000 requests or a minute,
// and returns the latencies in ms. The clock starts after the first
// answer: a first read that finds the cache cold (the server warms it at
// start) may take longer than d, and would otherwise leave a sample so
// small that its p95 is its second-slowest request. The first latency is
// lat[0], which the figure's note reports.
func timeGets(ctx context.Context, u, token string, d time.Duration) ([]float64, error) {
	const minGets = 20
	var lat []float64
	began := time.Now()
	var measured time.Time // when the first answer came
	for len(lat) < 1000 && ctx.Err() == nil && time.Since(began) < time.Minute &&
		(len(lat) < minGets || time.Since(measured) < d) {
		t0 := time.Now()
		status, _, _, err := fetchAuth(u, token)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", u, status)
		}
		lat = append(lat, float64(time.Since(t0))/float64(time.Millisecond))
		if len(lat) == 1 {
			measured = time.Now()
		}
	}
	return lat, nil
}

// fetchAuth is fetch with a bearer token.
func fetchAuth(u, token string) (int, string, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := rawClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("Content-Encoding"), nil, err
}

// seedingRate reports how fast the seeder wrote the stats database, from
// the file it leaves beside it (the database is cached between runs, so
// the figure may come from an earlier run: the note says when).
func seedingRate(db string) Figure {
	const name = "stats seeding rate"
	b, err := os.ReadFile(db + ".rate")
	if err != nil {
		return notAvailable(name, "", "no "+db+".rate: run e2e/bench/seed")
	}
	var events, rate, seconds float64
	var when string
	if _, err := fmt.Sscan(string(b), &events, &rate, &seconds, &when); err != nil {
		return failure(name, "", fmt.Errorf("reading %s.rate: %w", db, err))
	}
	f := info(name+" (events)", rate, "/s")
	f.Note = fmt.Sprintf("%.0f events in %.0f s, seeded %s", events, seconds, when)
	return f
}

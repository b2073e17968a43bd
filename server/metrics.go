package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the figures /metrics exposes. Each Server has its own
// registry, so tests and several servers in one process never share
// counters.
type metrics struct {
	registry      *prometheus.Registry
	accepted      prometheus.Counter
	duplicates    prometheus.Counter
	rejected      *prometheus.CounterVec
	bots          prometheus.Counter
	batchEvents   prometheus.Histogram
	commitSeconds prometheus.Histogram
	queueDepth    prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forgefit_events_accepted_total", Help: "Events newly stored.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forgefit_events_duplicate_total", Help: "Events received again and stored once.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forgefit_event_batches_rejected_total", Help: "Event batches refused, by reason.",
		}, []string{"reason"}),
		bots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forgefit_events_bot_total", Help: "Events from crawlers or automated browsers (stored, left out of stats).",
		}),
		batchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "forgefit_batch_events", Help: "Events per ingest request.",
			Buckets: []float64{1, 2, 5, 10, 20, 50},
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "forgefit_commit_seconds", Help: "Time to store one group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "forgefit_ingest_queue_depth", Help: "Batches waiting for a commit.",
		}),
	}
	m.registry.MustRegister(m.accepted, m.duplicates, m.rejected, m.bots, m.batchEvents, m.commitSeconds, m.queueDepth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

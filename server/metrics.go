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

	// Installations, per partner (configured, so few label values; an
	// unregistered partner id counts as unknownPartnerLabel) and, for
	// refusals and errors, a reason or code from fixed sets.
	widgetPages       *prometheus.CounterVec
	widgetRefused     *prometheus.CounterVec
	widgetStarts      *prometheus.CounterVec
	widgetErrors      *prometheus.CounterVec
	widgetInteractive *prometheus.HistogramVec
}

// unknownPartnerLabel is the partner label of refusals for a partner id
// that is not registered: no partner id has parentheses.
const unknownPartnerLabel = "(unknown)"

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
	m.widgetPages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forgefit_widget_pages_served_total", Help: "Widget mounts served to a partner's registered origin (first pages; test mode and crawlers aside).",
	}, []string{"partner"})
	m.widgetRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forgefit_widget_pages_refused_total", Help: "Widget pages refused, by reason: origin (not registered for the partner) or partner (no such partner).",
	}, []string{"partner", "reason"})
	m.widgetStarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forgefit_widget_starts_total", Help: "Widget pages that reported their start.",
	}, []string{"partner"})
	m.widgetErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forgefit_widget_start_errors_total", Help: "Widget start errors, by code: wasm, timeout, widget.",
	}, []string{"partner", "code"})
	m.widgetInteractive = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "forgefit_widget_interactive_seconds", Help: "Time from the widget page's navigation to accepting input, as visitors' browsers report it.",
		Buckets: []float64{0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10},
	}, []string{"partner"})
	m.registry.MustRegister(m.widgetPages, m.widgetRefused, m.widgetStarts, m.widgetErrors, m.widgetInteractive)
	m.registry.MustRegister(m.accepted, m.duplicates, m.rejected, m.bots, m.batchEvents, m.commitSeconds, m.queueDepth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

package server

import (
	"context"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// handleEvents handles "POST /api/v1/events": a batch of one widget
// mount's events. It answers 202 only once the batch is committed, with
// how many events were new and how many were duplicates.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	b, err := s.admitBatch(w, r, now)
	if err != nil {
		s.rejectBatch(w, r, err)
		return
	}
	s.metrics.batchEvents.Observe(float64(len(b.Events)))
	if b.Bot {
		s.metrics.bots.Add(float64(len(b.Events)))
	}
	receipt, err := s.committer.Submit(r.Context(), *b)
	switch {
	case errors.Is(err, errQueueFull):
		s.metrics.rejected.WithLabelValues("queue_full").Inc()
		s.writeUnavailable(w, r, 1, "too many events are waiting to be stored; retry shortly")
		return
	case errors.Is(err, errDraining):
		s.metrics.rejected.WithLabelValues("draining").Inc()
		s.writeUnavailable(w, r, 5, "the server is restarting; retry shortly")
		return
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return // the client went away; its batch is committed all the same
	case err != nil:
		s.metrics.rejected.WithLabelValues("store").Inc()
		s.log.ErrorContext(r.Context(), "storing events failed", "err", err, "events", len(b.Events))
		s.writeUnavailable(w, r, 5, "events could not be stored; retry later")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(appendReceipt(make([]byte, 0, 48), receipt))
}

// appendReceipt appends the 202's body, as encoding/json writes Receipt,
// without its reflection: every accepted request pays for this.
func appendReceipt(b []byte, r store.Receipt) []byte {
	b = append(b, `{"accepted":`...)
	b = strconv.AppendInt(b, int64(r.Accepted), 10)
	b = append(b, `,"duplicates":`...)
	b = strconv.AppendInt(b, int64(r.Duplicates), 10)
	return append(b, "}\n"...)
}

// rejection is a refused batch: the error the client sees and the metric
// reason it is counted under.
type rejection struct {
	err        *Error
	reason     string
	retryAfter time.Duration
}

func (e *rejection) Error() string { return e.err.Error() }

func reject(reason, code, format string, args ...any) *rejection {
	return &rejection{err: Errorf(code, format, args...), reason: reason}
}

// admitBatch runs every check at the edge, cheapest first, and returns the
// batch as the store will keep it.
func (s *Server) admitBatch(w http.ResponseWriter, r *http.Request, now time.Time) (*store.Batch, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "text/plain") {
		return nil, reject("content_type", EUnsupported, "send the batch as application/json (or text/plain from sendBeacon)")
	}
	if origin := r.Header.Get("Origin"); origin != s.publicOrigin(r) {
		return nil, reject("origin", EForbidden, "origin check failed: events are accepted only from the widget's own origin")
	}
	ip := clientIP(r, s.cfg.TrustedProxies)
	if ok, wait := s.clientLimits.Allow(ip, now); !ok {
		rj := reject("rate_limited", ERateLimited, "too many requests from this client; retry later")
		rj.retryAfter = wait
		return nil, rj
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, event.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, reject("too_large", ETooLarge, "the body is over %d bytes", event.MaxBodyBytes)
		}
		return nil, reject("read", EInvalid, "the body could not be read")
	}
	b, err := event.Decode(body, now)
	if err != nil {
		var e *event.Error
		if errors.As(err, &e) {
			return nil, reject(e.Code, e.Code, "%s", e.Message)
		}
		return nil, err
	}
	partner, ok := s.partners.Load().Partner(b.Partner)
	if !ok {
		return nil, reject("partner", EForbidden, "partner check failed: %q is not a registered partner", b.Partner)
	}
	// No page origin is a direct visit: the widget page opened on its own,
	// through the fallback link. Our own origin is the dashboard's
	// preview, in test mode only.
	if b.Page.Origin != "" && !partner.AllowsOrigin(b.Page.Origin) && !s.previewHost(r, b.Page.Origin, b.Test) {
		return nil, reject("page_origin", EForbidden, "page origin check failed: page.origin is not one of partner %q's origins", b.Partner)
	}
	if err := s.contentIDs.check(r.Context(), b, now); err != nil {
		return nil, &rejection{err: err, reason: "content"}
	}
	if ok, wait := s.partnerLimits.Allow(partner.ID, now); !ok {
		rj := reject("rate_limited", ERateLimited, "too many requests for this partner; retry later")
		rj.retryAfter = wait
		return nil, rj
	}
	bot := b.Bot || isCrawler(r.UserAgent())
	b.Bot = bot
	return &store.Batch{
		Batch:      *b,
		ReceivedAt: now,
		Visitor:    s.visitors.Hash(r, partner.ID, ip.String(), now),
	}, nil
}

func (s *Server) rejectBatch(w http.ResponseWriter, r *http.Request, err error) {
	rj, ok := errors.AsType[*rejection](err)
	if !ok {
		s.writeError(w, r, err)
		return
	}
	s.metrics.rejected.WithLabelValues(rj.reason).Inc()
	if rj.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rj.retryAfter.Seconds()))))
	}
	s.writeError(w, r, rj.err)
}

// writeUnavailable answers 503 with Retry-After, so browsers' senders back
// off and retry: a failing store never gets a 202.
func (s *Server) writeUnavailable(w http.ResponseWriter, r *http.Request, retryAfter int, message string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	s.writeError(w, r, Errorf(EUnavailable, "%s", message))
}

// publicOrigin is the origin browsers reach us at: -public-url, or the
// request's own scheme and host.
func (s *Server) publicOrigin(r *http.Request) string {
	if s.cfg.PublicURL != nil {
		return s.cfg.PublicURL.Scheme + "://" + s.cfg.PublicURL.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

package server

import (
	"context"
	"time"

	"github.com/ehforge/forgefit/store"
)

// retentionBatch is how many raw events one delete removes: small, so the
// delete never holds the writer long enough to stall ingest.
const retentionBatch = 1000

// RunRetention deletes raw events older than keep, in small batches, once
// at start and then every interval, until ctx ends. Rollups are kept, so
// stats over old days survive.
func (s *Server) RunRetention(ctx context.Context, keep, interval time.Duration) {
	if keep < store.MinRetention {
		keep = store.MinRetention
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.deleteOldEvents(ctx, s.now().Add(-keep))
		// Getting the day's salt forgets, in memory and in the store,
		// those 48 hours old: without it, a server with no visitors for
		// days would keep an old salt until the next visitor.
		s.visitors.salt(ctx, s.now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) deleteOldEvents(ctx context.Context, cutoff time.Time) {
	total := 0
	for ctx.Err() == nil {
		n, err := s.cfg.Store.DeleteEventsBefore(ctx, cutoff, retentionBatch)
		if err != nil {
			s.log.WarnContext(ctx, "retention: deleting old events failed", "err", err)
			return
		}
		total += n
		if n < retentionBatch {
			break
		}
	}
	if total > 0 {
		s.log.InfoContext(ctx, "retention: deleted old raw events", "events", total, "before", cutoff.Format(time.DateOnly))
	}
}

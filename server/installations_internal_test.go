package server

import (
	"context"

	"github.com/ehforge/forgefit/store"
)

// idleStore keeps no installation counts: the flushes of a test server's
// counters, every installFlushEvery, find nothing wrong with it.
func (idleStore) AddInstallCounts(context.Context, []store.InstallCount) error { return nil }

func (idleStore) InstallCounts(context.Context, store.InstallQuery) ([]store.InstallCount, error) {
	return nil, nil
}

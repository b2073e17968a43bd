package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// InstallStore keeps installation counts: a store.Store has it.
type InstallStore interface {
	// AddInstallCounts adds counts to the stored ones, in one transaction:
	// N is added, except for the metric InstallSeen, whose stored N is the
	// greatest given (a time). Concurrent calls, from one server or many,
	// lose nothing.
	AddInstallCounts(ctx context.Context, counts []InstallCount) error

	// InstallCounts returns the counts of the days from q.From to q.To
	// (inclusive, UTC days), sorted by day, partner, origin, path, metric
	// and key.
	InstallCounts(ctx context.Context, q InstallQuery) ([]InstallCount, error)
}

// InstallCount is one figure of one host page on one UTC day.
type InstallCount struct {
	Day     time.Time
	Partner string // UnknownPartner for a partner id that is not registered
	Origin  string // the host page's origin; InstallOther past the cap
	Path    string // the host page's path; "" when unknown, InstallOther past the cap
	Metric  string // one of the Install… metrics
	Key     string
	N       int64
}

// InstallQuery selects installation counts.
type InstallQuery struct {
	Partners []string  // nil for all
	From, To time.Time // UTC days, both included
}

// The metrics of installation counts, and their keys.
const (
	InstallServed      = "served"      // a first widget page served; key ""
	InstallRefused     = "refused"     // refused: key "origin", or "partner <asked id>"
	InstallStarted     = "started"     // a start report; key ""
	InstallError       = "error"       // key: the error's code
	InstallLocale      = "locale"      // pages served by locale; key: the locale
	InstallVersion     = "version"     // pages served by content version; key: the version
	InstallPainted     = "painted"     // start times by bucket: key, the bucket's upper bound in ms
	InstallInteractive = "interactive" //
	InstallTakeover    = "takeover"    //
	InstallSeen        = "seen"        // the latest serve, refusal or report: N is unix seconds; key ""
)

// UnknownPartner is the partner unregistered partner ids are counted
// under (no valid partner id has a "?"), InstallOther the origin or path
// counted past the caps.
const (
	UnknownPartner = "?"
	InstallOther   = "*"
)

// SortInstallCounts sorts counts as InstallCounts returns them: by day,
// partner, origin, path, metric and key, byte by byte.
func SortInstallCounts(counts []InstallCount) {
	slices.SortFunc(counts, func(a, b InstallCount) int {
		return cmp.Or(a.Day.Compare(b.Day), strings.Compare(a.Partner, b.Partner), strings.Compare(a.Origin, b.Origin),
			strings.Compare(a.Path, b.Path), strings.Compare(a.Metric, b.Metric), strings.Compare(a.Key, b.Key))
	})
}

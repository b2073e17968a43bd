package server_test

import (
	"bytes"
	"testing"

	"github.com/ehforge/forgefit/store"
)

// TestVisitorHashSurvivesARestart posts one visitor's events to a server on
// an SQLite file, restarts the server on that file, and posts again: the
// day's salt is read back from the database, so the visitor hashes the
// same and counts once that day. Another visitor hashes differently.
func TestVisitorHashSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
	visit := func(e *ingestEnv, ua string) store.Event {
		t.Helper()
		res, body := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_viewed", "")), ua: ua})
		if res.StatusCode != 202 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		evs := e.stored(t)
		return evs[len(evs)-1]
	}
	// Twice at most: a run across midnight UTC has two days, two salts.
	for range 2 {
		e := newIngestEnvAt(t, dir, nil)
		before := visit(e, browser)
		e.close()
		e = newIngestEnvAt(t, dir, nil)
		after, other := visit(e, browser), visit(e, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1")
		e.close()
		if !before.Day.Equal(after.Day) {
			continue
		}
		if len(before.Visitor) == 0 || !bytes.Equal(before.Visitor, after.Visitor) {
			t.Errorf("one visitor hashed %x before the restart and %x after: counted twice that day", before.Visitor, after.Visitor)
		}
		if bytes.Equal(after.Visitor, other.Visitor) {
			t.Error("two visitors hashed the same")
		}
		return
	}
	t.Fatal("the day changed in both runs")
}

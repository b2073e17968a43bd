package fit

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
)

const testView = "0193c5a2-7b1c-7d2e-8f30-112233445566"

func parse(w *content.Widget, query string) (Visit, error) {
	q, _ := url.ParseQuery(query)
	return ParseVisit(w, q.Get)
}

func TestParseVisit(t *testing.T) {
	w := mustWidget(t, "en")
	for _, tc := range []struct {
		query   string
		want    Visit
		problem string // in the error; "" for none
	}{
		{"", Visit{Owners: Ownership{}}, ""},
		{"v=" + testView + "&r=2&s=1&a=nobody.no&w=simuuuuuuuuu&t=1", Visit{View: testView, Round: 2, Step: 1, Answers: []string{"nobody", "no"},
			Owners: Ownership{"patching": content.OwnerShared, "backup-validation": content.OwnerInternal, "change-approval": content.OwnerMSP}, ShowText: true}, ""},
		{"s=7&a=nobody.no.hand-over.everything.one-operator.overloaded.unclear", Visit{Step: 7,
			Answers: []string{"nobody", "no", "hand-over", "everything", "one-operator", "overloaded", "unclear"}, Owners: Ownership{}}, ""},
		{"s=1", Visit{}, "s: a step past"},
		{"s=8", Visit{}, "s: not a step"},
		{"s=-1", Visit{}, "s: not a step"},
		{"s=01&a=nobody", Visit{}, "s: not a step"},
		{"r=251", Visit{}, "r: "},
		{"r=1e2", Visit{}, "r: "},
		{"a=no", Visit{}, "question internal-it has no such option"},
		{"a=nobody.nobody", Visit{}, "question bandwidth has no such option"},
		{"a=" + strings.Repeat("nobody.", 8) + "x", Visit{}, "more answers than questions"},
		{"a=nobody..no", Visit{}, "has no such option"},
		{"w=iiii", Visit{}, "not one owner per responsibility"},
		{"w=" + strings.Repeat("x", 12), Visit{}, "not an owner letter"},
		{"t=yes", Visit{}, "t: "},
		{"v=0", Visit{}, "v: not a view id"},
	} {
		got, err := parse(w, tc.query)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q: %v", tc.query, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%q: error %v, want one saying %q", tc.query, err, tc.problem)
		case tc.problem == "":
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%q (-want +got):\n%s", tc.query, diff)
			}
		}
	}
}

// FuzzParseVisit checks that any query either is refused or gives a visit
// that the URL it writes gives back unchanged: nothing malformed gets
// through as something else.
func FuzzParseVisit(f *testing.F) {
	w := mustWidget(f, "en")
	for _, seed := range []string{"", "v=" + testView + "&s=1&a=nobody", "s=7&a=nobody.no.hand-over.everything.one-operator.overloaded.unclear&w=imsuimsuimsu&t=1&r=3", "a=..", "w=%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := parse(w, query)
		if err != nil {
			return
		}
		ps := v.Params(w)
		q := url.Values{}
		for i := 0; i+1 < len(ps); i += 2 {
			q.Set(ps[i], ps[i+1])
		}
		again, err := ParseVisit(w, q.Get)
		if err != nil {
			t.Fatalf("%q parsed, but its own URL %q does not: %v", query, q.Encode(), err)
		}
		if diff := cmp.Diff(v, again); diff != "" {
			t.Fatalf("%q: the visit changes through its URL (-first +again):\n%s", query, diff)
		}
	})
}

// TestVisitStepsAreRecordedOnce checks the events a visit's steps produce:
// the n of each says which of the view's events it is, so the same step
// taken again (a resubmit, the wasm after a form post) gives the same id.
func TestVisitStepsAreRecordedOnce(t *testing.T) {
	w := mustWidget(t, "en")
	v := Visit{View: testView, Owners: Ownership{}}
	var got []string
	ids := map[string]bool{}
	record := func(hs ...Happened) {
		for _, h := range hs {
			got = append(got, string(h.Type))
			ids[event.DerivedID(v.View, h.Type, h.N)] = true
		}
	}
	record(v.Answer(w, "nobody")...)
	v.Back()
	record(v.Answer(w, "one-person")...) // the same question again: the same id
	if v.Answers[0] != "one-person" || v.Step != 1 {
		t.Fatalf("answering again after Back: %+v", v)
	}
	for _, o := range []string{"no", "hand-over", "everything", "one-operator", "overloaded", "unclear"} {
		record(v.Answer(w, o)...)
	}
	if h := v.Answer(w, "nobody"); h != nil || !v.ShowsResult(w) {
		t.Errorf("an answer on the result: %v", h)
	}
	record(v.Restart())
	record(v.Answer(w, "nobody")...)
	want := []string{"quiz_started", "question_answered", "question_answered", "question_answered", "question_answered",
		"question_answered", "question_answered", "question_answered", "question_answered", "quiz_completed",
		"recommendation_shown", "quiz_restarted", "question_answered"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// 13 events, one of them the same answer given twice.
	if len(ids) != len(got)-1 {
		t.Errorf("%d distinct ids for %d events, want %d", len(ids), len(got), len(got)-1)
	}
}

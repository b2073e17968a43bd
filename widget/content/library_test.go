package content

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const defaultID = "co-managed-vs-fully-managed"

func mustLibrary(tb testing.TB) *Library {
	tb.Helper()
	lib, err := Default()
	if err != nil {
		tb.Fatal(err)
	}
	return lib
}

// mustJSON encodes w as a content file would hold it.
func mustJSON(tb testing.TB, w *Widget) []byte {
	tb.Helper()
	b, err := json.Marshal(w)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDefaultLibrary(t *testing.T) {
	lib := mustLibrary(t)
	if diff := cmp.Diff([]string{defaultID}, lib.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"de", "en"}, lib.Locales(defaultID)); diff != "" {
		t.Errorf("Locales (-want +got):\n%s", diff)
	}
	if got := lib.Locales("nope"); len(got) != 0 {
		t.Errorf("Locales(unknown widget) = %q, want none", got)
	}
}

func TestHasLocale(t *testing.T) {
	lib := mustLibrary(t)
	tests := []struct {
		id, locale string
		want       bool
	}{
		{defaultID, "en", true},
		{defaultID, "de", true},
		{defaultID, "de-at", false}, // Widget falls back; the content API must not
		{defaultID, "fr", false},
		{defaultID, "", false},
		{"nope", "en", false},
	}
	for _, tt := range tests {
		if got := lib.HasLocale(tt.id, tt.locale); got != tt.want {
			t.Errorf("HasLocale(%q, %q) = %v, want %v", tt.id, tt.locale, got, tt.want)
		}
	}
}

func TestWidgetLocaleFallback(t *testing.T) {
	lib := mustLibrary(t)
	tests := []struct {
		locale string
		want   string
	}{
		{"en", "en"},
		{"de", "de"},
		{"de-ch", "de"},
		{"fr", "en"},
		{"", "en"},
	}
	for _, tt := range tests {
		w, err := lib.Widget(defaultID, tt.locale)
		if err != nil {
			t.Fatalf("Widget(%q): %v", tt.locale, err)
		}
		if w.Locale != tt.want {
			t.Errorf("Widget(%q).Locale = %q, want %q", tt.locale, w.Locale, tt.want)
		}
	}
	if _, err := lib.Widget("nope", "en"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Widget(unknown) error = %v, want ErrNotFound", err)
	}
}

// idsOf lists every id a widget's events and URLs may carry, in order, with
// the weights, which must match across locales too.
func idsOf(w *Widget) []string {
	var s []string
	for _, m := range w.Comparison.Models {
		s = append(s, "model "+m.ID)
	}
	for _, t := range w.Comparison.Topics {
		s = append(s, "topic "+t.ID)
	}
	for _, f := range w.Fits {
		s = append(s, "fit "+f.Model)
	}
	for _, p := range w.Pitfalls.Items {
		s = append(s, "pitfall "+p.ID)
	}
	for _, e := range w.FAQ.Entries {
		s = append(s, "faq "+e.ID)
	}
	for _, q := range w.Fit.Questions {
		for _, o := range q.Options {
			b, _ := json.Marshal(o.Weights) // sorted keys
			s = append(s, "option "+q.ID+"/"+o.ID+" "+string(b))
		}
	}
	for _, r := range w.Results {
		s = append(s, "result "+r.Outcome+" "+strings.Join(r.Pitfalls, ","))
	}
	for _, r := range w.Worksheet.Responsibilities {
		s = append(s, "responsibility "+r.ID)
	}
	s = append(s, "critical "+strings.Join(w.Worksheet.Critical, ","), "cta "+w.CTA.ID)
	return s
}

func TestLocalesHaveSameIDs(t *testing.T) {
	lib := mustLibrary(t)
	en, _ := lib.Widget(defaultID, "en")
	for _, locale := range lib.Locales(defaultID) {
		w, _ := lib.Widget(defaultID, locale)
		if diff := cmp.Diff(idsOf(en), idsOf(w)); diff != "" {
			t.Errorf("ids of %s (-en +%s):\n%s", locale, locale, diff)
		}
	}
}

func TestTranslationsDiffer(t *testing.T) {
	// A copy of the English file saved as German would pass every other
	// check; make sure the German text is really German.
	en, de := mustDefault(t, "en"), mustDefault(t, "de")
	if en.Title == de.Title || en.UI.Next == de.UI.Next || cmp.Equal(en.Worksheet.Owners, de.Worksheet.Owners) {
		t.Errorf("German content repeats English text: %q, %q, %v", de.Title, de.UI.Next, de.Worksheet.Owners)
	}
}

func TestParse(t *testing.T) {
	en := mustDefault(t, "en")
	tests := []struct {
		name string
		json string
		want string // the error
	}{
		{
			name: "unknown field",
			json: `{"id": "x", "titel": "Typo"}`,
			want: `invalid JSON: json: unknown field "titel"`,
		},
		{
			name: "not JSON",
			json: `{"id": `,
			want: "invalid JSON: unexpected EOF",
		},
		{
			name: "two values",
			json: string(mustJSON(t, en)) + `{}`,
			want: "invalid JSON: more than one value",
		},
		{
			name: "invalid content names the widget",
			json: strings.Replace(string(mustJSON(t, en)), `"title":"Co-managed IT versus fully managed IT"`, `"title":""`, 1),
			want: `widget "co-managed-vs-fully-managed": title: is required`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Parse error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	en := mustDefault(t, "en")
	again, err := Parse(mustJSON(t, en))
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != en.Version {
		t.Errorf("Version of the same content = %q, want %q", again.Version, en.Version)
	}
	en.Fit.Questions[0].Options[0].Weights["co-managed"]++
	changed, err := Parse(mustJSON(t, en))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Version == again.Version {
		t.Errorf("Version did not change with a weight: %q", changed.Version)
	}
}

func TestAddFS(t *testing.T) {
	en, de := mustDefault(t, "en"), mustDefault(t, "de")

	// Changing the shape of German, not its words.
	de.Fit.Questions[1].Options[0].Weights["fully-managed"] = 1
	de.Worksheet.Responsibilities[3].ID = "tickets"
	de.Worksheet.Responsibilities = append(de.Worksheet.Responsibilities, Responsibility{ID: "printing", Label: "Drucker"})
	badShape := mustJSON(t, de)

	other := mustDefault(t, "en")
	other.ID = "in-house-vs-outsourced"
	otherJSON := mustJSON(t, other)

	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // the error
	}{
		{
			name: "file named after another widget",
			files: fstest.MapFS{
				"c/co-managed-vs-fully-managed.fr.json": {Data: mustJSON(t, en)},
			},
			want: `content file c/co-managed-vs-fully-managed.fr.json: holds widget "co-managed-vs-fully-managed" in locale "en", so it must be named co-managed-vs-fully-managed.en.json`,
		},
		{
			name: "invalid file names file, widget and field",
			files: fstest.MapFS{
				"c/co-managed-vs-fully-managed.en.json": {Data: []byte(strings.Replace(string(mustJSON(t, en)), `"url":"https://example.com/contact"`, `"url":"mailto:sales@example.com"`, 1))},
			},
			want: `content file c/co-managed-vs-fully-managed.en.json: widget "co-managed-vs-fully-managed": cta.url: "mailto:sales@example.com" is not an absolute http or https URL`,
		},
		{
			name: "locale with other ids or weights than English",
			files: fstest.MapFS{
				"c/co-managed-vs-fully-managed.de.json": {Data: badShape},
			},
			want: `widget "co-managed-vs-fully-managed" locale "de": ` +
				`fit.questions[1].options[0].weights.fully-managed: is 1, want 0 as in "en"; ` +
				`worksheet.responsibilities[3].id: is "tickets", want "user-tickets" as in "en"; ` +
				`worksheet.responsibilities[12].id: is "printing" here but missing in "en"`,
		},
		{
			name: "widget without English",
			files: fstest.MapFS{
				"c/in-house-vs-outsourced.de.json": {Data: []byte(strings.Replace(string(otherJSON), `"locale":"en"`, `"locale":"de"`, 1))},
			},
			want: `widget "in-house-vs-outsourced" has no "en" content, which every locale falls back to`,
		},
		{
			name: "new widget",
			files: fstest.MapFS{
				"c/in-house-vs-outsourced.en.json": {Data: otherJSON},
				"c/README.md":                      {Data: []byte("not content")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib := mustLibrary(t)
			before := lib.Version()
			got := ""
			if err := lib.AddFS(tt.files, "c"); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("AddFS error:\n got %q\nwant %q", got, tt.want)
			}
			if tt.want != "" && lib.Version() != before {
				t.Errorf("a failed AddFS changed the library")
			}
		})
	}
}

func TestAddFSOverrides(t *testing.T) {
	lib := mustLibrary(t)
	before := lib.Version()

	en := mustDefault(t, "en")
	en.Title = "Which IT model fits you?"
	err := lib.AddFS(fstest.MapFS{"c/co-managed-vs-fully-managed.en.json": {Data: mustJSON(t, en)}}, "c")
	if err != nil {
		t.Fatal(err)
	}
	w, err := lib.Widget(defaultID, "en")
	if err != nil {
		t.Fatal(err)
	}
	if w.Title != en.Title {
		t.Errorf("Title after override = %q, want %q", w.Title, en.Title)
	}
	if lib.Version() == before {
		t.Errorf("library Version %q did not change with its content", before)
	}
	if de, _ := lib.Widget(defaultID, "de"); de.Locale != "de" {
		t.Errorf("German lost by overriding English: got locale %q", de.Locale)
	}
}

package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the server's time in these tests.
var now = time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)

const (
	id1 = "0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f60"
	id2 = "0193c5a2-7b1c-7d3e-9f4a-1b2c3d4e5f61"
)

// fullBody uses every field of the wire format.
const fullBody = `{"partner": "demo", "widget": "co-managed-vs-fully-managed",
 "view": "0193c5a2-0000-7000-8000-000000000000", "locale": "en", "content_version": "a1b2c3d4e5f6",
 "page": {"origin": "https://www.acme.com", "path": "/it-services"},
 "utm": {"source": "newsletter", "medium": "email", "campaign": "q4", "term": "it support", "content": "top"},
 "test": true, "bot": false,
 "events": [
   {"id": "` + id1 + `", "type": "widget_viewed", "at": "2026-11-27T20:59:58.123Z"},
   {"id": "` + id2 + `", "type": "question_answered", "at": "2026-11-27T21:00:00.000+01:00",
    "data": {"question": "internal-it", "option": "capable-team", "index": 0}}]}`

func intp(i int) *int              { return &i }
func floatp(f float64) *float64    { return &f }
func at(s string) time.Time        { t, _ := time.Parse(time.RFC3339Nano, s); return t }
func withEvents(evs string) string { return `{"partner":"demo","widget":"w","events":[` + evs + `]}` }

// ev returns one event's JSON with the given type and data.
func ev(typ, data string) string {
	s := `{"id":"` + id1 + `","type":"` + typ + `","at":"2026-11-27T21:00:00Z"`
	if data != "" {
		s += `,"data":` + data
	}
	return s + "}"
}

func TestDecode(t *testing.T) {
	got, err := Decode([]byte(fullBody), now)
	if err != nil {
		t.Fatal(err)
	}
	want := &Batch{
		Partner: "demo", Widget: "co-managed-vs-fully-managed",
		View: "0193c5a2-0000-7000-8000-000000000000", Locale: "en", ContentVersion: "a1b2c3d4e5f6",
		Page: Page{Origin: "https://www.acme.com", Path: "/it-services"},
		UTM:  UTM{Source: "newsletter", Medium: "email", Campaign: "q4", Term: "it support", Content: "top"},
		Test: true,
		Events: []Event{
			{ID: id1, Type: WidgetViewed, At: at("2026-11-27T20:59:58.123Z")},
			{ID: id2, Type: QuestionAnswered, At: at("2026-11-27T20:00:00Z"),
				Data: Data{Question: "internal-it", Option: "capable-team", Index: intp(0)}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batch (-want +got):\n%s", diff)
	}
}

func TestDecodeEveryType(t *testing.T) {
	for _, tt := range []struct {
		typ  Type
		data string
		want Data
	}{
		{WidgetLoaded, "", Data{}},
		{WidgetViewed, "{}", Data{}},
		{QuizStarted, "", Data{}},
		{QuizRestarted, "", Data{}},
		{QuestionAnswered, `{"question":"q","option":"o","index":3}`, Data{Question: "q", Option: "o", Index: intp(3)}},
		{QuizCompleted, `{"outcome":"fully-managed","margin":0}`, Data{Outcome: FullyManaged, Margin: floatp(0)}},
		{RecommendationShown, `{"outcome":"either","margin":0.25}`, Data{Outcome: Either, Margin: floatp(0.25)}},
		{FAQOpened, `{"faq":"cost"}`, Data{FAQ: "cost"}},
		{WorksheetCompleted, `{"shared":["patching","backup"],"undecided":[]}`,
			Data{Shared: []string{"patching", "backup"}, Undecided: []string{}}},
		{CTAClicked, `{"cta":"book-call"}`, Data{CTA: "book-call"}},
		{CTAClicked, `{"cta":"book-call","outcome":"co-managed"}`, Data{CTA: "book-call", Outcome: CoManaged}},
	} {
		t.Run(string(tt.typ), func(t *testing.T) {
			b, err := Decode([]byte(withEvents(ev(string(tt.typ), tt.data))), now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.Events[0].Data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	long := strings.Repeat("a", 65)
	many := strings.Repeat(ev("widget_loaded", "")+",", MaxEvents) + ev("widget_loaded", "")
	for _, tt := range []struct {
		name, body string
		code       string
		field      string
	}{
		{"not JSON", `{"partner":`, EInvalid, "partner"},
		{"unterminated", `{"partner":"demo"`, EInvalid, ""},
		{"duplicate key", `{"partner":"demo","partner":"other","widget":"w","events":[]}`, EInvalid, "partner"},
		{"not an object", `[]`, EInvalid, ""},
		{"trailing data", withEvents(ev("widget_loaded", "")) + `{}`, EInvalid, ""},
		{"unknown top field", `{"partner":"demo","widget":"w","events":[],"cookie":"x"}`, EInvalid, "cookie"},
		{"key case matters", `{"Partner":"demo","widget":"w","events":[]}`, EInvalid, "Partner"},
		{"no partner", `{"widget":"w","events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "partner"},
		{"bad partner", `{"partner":"Demo","widget":"w","events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "partner"},
		{"long partner", `{"partner":"` + long + `","widget":"w","events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "partner"},
		{"null widget", `{"partner":"demo","widget":null,"events":[]}`, EInvalid, "widget"},
		{"number view", `{"partner":"demo","widget":"w","view":1,"events":[]}`, EInvalid, "view"},
		{"long view", `{"partner":"demo","widget":"w","view":"` + long + `","events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "view"},
		{"bad locale", `{"partner":"demo","widget":"w","locale":"EN","events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "locale"},
		{"test not bool", `{"partner":"demo","widget":"w","test":"yes","events":[]}`, EInvalid, "test"},
		{"unknown page field", `{"partner":"demo","widget":"w","page":{"url":"x"},"events":[]}`, EInvalid, "page.url"},
		{"page without origin", `{"partner":"demo","widget":"w","page":{"path":"/"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.origin"},
		{"origin with path", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com/"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.origin"},
		{"origin uppercase", `{"partner":"demo","widget":"w","page":{"origin":"https://A.com"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.origin"},
		{"origin default port", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com:443"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.origin"},
		{"origin ftp", `{"partner":"demo","widget":"w","page":{"origin":"ftp://a.com"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.origin"},
		{"path query", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com","path":"/x?email=a@b.c"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.path"},
		{"path fragment", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com","path":"/x#y"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.path"},
		{"path relative", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com","path":"x"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.path"},
		{"path space", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com","path":"/a b"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.path"},
		{"path long", `{"partner":"demo","widget":"w","page":{"origin":"https://a.com","path":"/` + strings.Repeat("a", MaxPathBytes) + `"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "page.path"},
		{"unknown utm field", `{"partner":"demo","widget":"w","utm":{"id":"x"},"events":[]}`, EInvalid, "utm.id"},
		{"utm control", `{"partner":"demo","widget":"w","utm":{"source":"a\nb"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "utm.source"},
		{"utm long", `{"partner":"demo","widget":"w","utm":{"campaign":"` + strings.Repeat("a", MaxUTMBytes+1) + `"},"events":[` + ev("widget_loaded", "") + `]}`, EInvalid, "utm.campaign"},
		{"no events", `{"partner":"demo","widget":"w"}`, EInvalid, "events"},
		{"empty events", `{"partner":"demo","widget":"w","events":[]}`, EInvalid, "events"},
		{"events not a list", `{"partner":"demo","widget":"w","events":{}}`, EInvalid, "events"},
		{"too many events", withEvents(many), ETooLarge, "events"},
		{"event not an object", withEvents(`1`), EInvalid, "events[0]"},
		{"unknown event field", withEvents(`{"id":"` + id1 + `","type":"widget_loaded","at":"2026-11-27T21:00:00Z","ua":"x"}`), EInvalid, "events[0].ua"},
		{"no id", withEvents(`{"type":"widget_loaded","at":"2026-11-27T21:00:00Z"}`), EInvalid, "events[0].id"},
		{"uuid v4", withEvents(`{"id":"0193c5a2-7b1c-4d3e-8f4a-1b2c3d4e5f60","type":"widget_loaded","at":"2026-11-27T21:00:00Z"}`), EInvalid, "events[0].id"},
		{"uuid upper", withEvents(`{"id":"0193C5A2-7B1C-7D3E-8F4A-1B2C3D4E5F60","type":"widget_loaded","at":"2026-11-27T21:00:00Z"}`), EInvalid, "events[0].id"},
		{"uuid bad variant", withEvents(`{"id":"0193c5a2-7b1c-7d3e-cf4a-1b2c3d4e5f60","type":"widget_loaded","at":"2026-11-27T21:00:00Z"}`), EInvalid, "events[0].id"},
		{"unknown type", withEvents(ev("widget_loaded", "") + "," + ev("page_scrolled", "")), EInvalid, "events[1].type"},
		{"no at", withEvents(`{"id":"` + id1 + `","type":"widget_loaded"}`), EInvalid, "events[0].at"},
		{"bad at", withEvents(`{"id":"` + id1 + `","type":"widget_loaded","at":"yesterday"}`), EInvalid, "events[0].at"},
		{"at unix", withEvents(`{"id":"` + id1 + `","type":"widget_loaded","at":1764277200000}`), EInvalid, "events[0].at"},
		{"at too old", withEvents(`{"id":"` + id1 + `","type":"widget_loaded","at":"2026-11-26T20:59:59Z"}`), EInvalid, "events[0].at"},
		{"at too new", withEvents(`{"id":"` + id1 + `","type":"widget_loaded","at":"2026-11-28T21:00:01Z"}`), EInvalid, "events[0].at"},
		{"data on a plain type", withEvents(ev("widget_viewed", `{"faq":"x"}`)), EInvalid, "events[0].data.faq"},
		{"data null", withEvents(ev("faq_opened", `null`)), EInvalid, "events[0].data"},
		{"data not object", withEvents(ev("faq_opened", `"cost"`)), EInvalid, "events[0].data"},
		{"option missing", withEvents(ev("question_answered", `{"question":"q","index":0}`)), EInvalid, "events[0].data.option"},
		{"index missing", withEvents(ev("question_answered", `{"question":"q","option":"o"}`)), EInvalid, "events[0].data.index"},
		{"option invalid", withEvents(ev("widget_loaded", "") + "," + ev("widget_loaded", "") + "," + ev("widget_loaded", "") + "," + ev("question_answered", `{"question":"q","option":"Capable Team","index":0}`)), EInvalid, "events[3].data.option"},
		{"option empty", withEvents(ev("question_answered", `{"question":"q","option":"","index":0}`)), EInvalid, "events[0].data.option"},
		{"index fraction", withEvents(ev("question_answered", `{"question":"q","option":"o","index":1.5}`)), EInvalid, "events[0].data.index"},
		{"index negative", withEvents(ev("question_answered", `{"question":"q","option":"o","index":-1}`)), EInvalid, "events[0].data.index"},
		{"index huge", withEvents(ev("question_answered", `{"question":"q","option":"o","index":100}`)), EInvalid, "events[0].data.index"},
		{"foreign key on answer", withEvents(ev("question_answered", `{"question":"q","option":"o","index":0,"faq":"x"}`)), EInvalid, "events[0].data.faq"},
		{"empty foreign key", withEvents(ev("question_answered", `{"question":"q","option":"o","index":0,"cta":""}`)), EInvalid, "events[0].data.cta"},
		{"bad outcome", withEvents(ev("quiz_completed", `{"outcome":"managed","margin":0.5}`)), EInvalid, "events[0].data.outcome"},
		{"no margin", withEvents(ev("recommendation_shown", `{"outcome":"either"}`)), EInvalid, "events[0].data.margin"},
		{"margin over 1", withEvents(ev("quiz_completed", `{"outcome":"either","margin":1.5}`)), EInvalid, "events[0].data.margin"},
		{"margin string", withEvents(ev("quiz_completed", `{"outcome":"either","margin":"0.5"}`)), EInvalid, "events[0].data.margin"},
		{"worksheet missing list", withEvents(ev("worksheet_completed", `{"shared":[]}`)), EInvalid, "events[0].data.undecided"},
		{"worksheet null list", withEvents(ev("worksheet_completed", `{"shared":null,"undecided":[]}`)), EInvalid, "events[0].data.shared"},
		{"worksheet bad id", withEvents(ev("worksheet_completed", `{"shared":["ok","Not OK"],"undecided":[]}`)), EInvalid, "events[0].data.shared[1]"},
		{"worksheet duplicate", withEvents(ev("worksheet_completed", `{"shared":["a"],"undecided":["b","a"]}`)), EInvalid, "events[0].data.undecided[1]"},
		{"worksheet numbers", withEvents(ev("worksheet_completed", `{"shared":[1],"undecided":[]}`)), EInvalid, "events[0].data.shared"},
		{"cta missing", withEvents(ev("cta_clicked", `{"outcome":"either"}`)), EInvalid, "events[0].data.cta"},
		{"faq missing", withEvents(ev("faq_opened", ``)), EInvalid, "events[0].data.faq"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.body), now)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %+v, %v; want an *Error", b, err)
			}
			if e.Code != tt.code || e.Field != tt.field {
				t.Errorf("Decode: code %q field %q (%v); want code %q field %q", e.Code, e.Field, e, tt.code, tt.field)
			}
			if tt.field != "" && !strings.HasPrefix(e.Error(), tt.field+": ") {
				t.Errorf("message %q does not start with the field", e.Error())
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	body := withEvents(ev("widget_loaded", "")) + strings.Repeat(" ", MaxBodyBytes)
	_, err := Decode([]byte(body), now)
	var e *Error
	if !errors.As(err, &e) || e.Code != ETooLarge {
		t.Errorf("Decode(%d bytes) = %v; want %s", len(body), err, ETooLarge)
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1, 20} {
		evs := strings.Repeat(ev("question_answered", `{"question":"internal-it","option":"capable-team","index":2}`)+",", n-1) +
			ev("widget_viewed", "")
		body := []byte(`{"partner":"demo","widget":"co-managed-vs-fully-managed","view":"0193c5a2-0000-7000-8000-000000000000",` +
			`"locale":"en","content_version":"a1b2c3d4e5f6","page":{"origin":"https://www.acme.com","path":"/it-services"},` +
			`"utm":{"source":"newsletter","medium":"email","campaign":"q4"},"events":[` + evs + `]}`)
		b.Run(map[int]string{1: "events=1", 20: "events=20"}[n], func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(body, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

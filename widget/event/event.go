// Package event is the interaction vocabulary of a Forge Fit widget: the
// event types a visitor's actions produce, the fixed data each carries, the
// wire format of "POST /api/v1/events" and its validation, and the messages
// between the widget iframe and the loader.
//
// It imports the standard library only, so the wasm widget (which sends
// events) and the server (which checks and stores them) share one
// definition.
package event

import "time"

// Limits of one batch. The server enforces MaxBodyBytes with
// http.MaxBytesReader before decoding; Decode checks the rest.
const (
	MaxBodyBytes  = 64 << 10 // a request body
	MaxEvents     = 50       // events in one batch
	MaxIDBytes    = 64       // partner, widget, view, content version and data ids
	MaxPathBytes  = 512      // page.path
	MaxOrigin     = 256      // page.origin
	MaxUTMBytes   = 128      // each utm field
	MaxIndex      = 99       // question_answered's index
	MaxListLength = 64       // worksheet_completed's lists
	MaxSkew       = 24 * time.Hour
)

// Type is the kind of an interaction.
type Type string

// The interactions a widget reports. DESIGN.md's table gives the data keys
// of each; Fields below is that table in code.
const (
	WidgetLoaded        Type = "widget_loaded"
	WidgetViewed        Type = "widget_viewed" // half visible for one second
	QuizStarted         Type = "quiz_started"
	QuizRestarted       Type = "quiz_restarted"
	QuestionAnswered    Type = "question_answered"
	QuizCompleted       Type = "quiz_completed"
	RecommendationShown Type = "recommendation_shown"
	FAQOpened           Type = "faq_opened"
	WorksheetCompleted  Type = "worksheet_completed"
	CTAClicked          Type = "cta_clicked"
)

// Types lists every event type in the order a visit usually produces them.
var Types = []Type{
	WidgetLoaded, WidgetViewed, QuizStarted, QuestionAnswered, QuizCompleted,
	RecommendationShown, FAQOpened, WorksheetCompleted, CTAClicked, QuizRestarted,
}

// Outcome is the service model a recommendation points to.
type Outcome string

// The outcomes of the fit questions.
const (
	CoManaged    Outcome = "co-managed"
	FullyManaged Outcome = "fully-managed"
	Either       Outcome = "either" // the answers do not favour one model
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	return o == CoManaged || o == FullyManaged || o == Either
}

// Batch is the body of "POST /api/v1/events": the context of one widget
// mount, given once, and the events that happened in it.
type Batch struct {
	Partner        string `json:"partner"`
	Widget         string `json:"widget"`
	View           string `json:"view,omitempty"` // random per mount, not a person
	Locale         string `json:"locale,omitempty"`
	ContentVersion string `json:"content_version,omitempty"`
	Page           Page   `json:"page,omitzero"`
	UTM            UTM    `json:"utm,omitzero"`
	// Test marks staging traffic (data-forgefit-test): stored, never in
	// stats.
	Test bool `json:"test,omitempty"`
	// Bot is what the widget saw in navigator.webdriver. The server also
	// sets it for known crawlers; bot events never reach stats.
	Bot    bool    `json:"bot,omitempty"`
	Events []Event `json:"events"`
}

// Page is the host page the widget is embedded in.
type Page struct {
	_ noCompare // see noCompare

	Origin string `json:"origin,omitempty"` // as location.origin gives it
	Path   string `json:"path,omitempty"`   // location.pathname: no query string
}

// UTM is the campaign the visitor came from, as the host page's URL said.
type UTM struct {
	_ noCompare // see noCompare

	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Term     string `json:"term,omitempty"`
	Content  string `json:"content,omitempty"`
}

// Event is one interaction.
type Event struct {
	ID   string    `json:"id"` // UUIDv7, made in the browser; the dedup key
	Type Type      `json:"type"`
	At   time.Time `json:"at"` // the browser's clock
	Data Data      `json:"data,omitzero"`
}

// Data is the payload of an event. Which fields an event may and must have
// depends on its type (see Fields); all others stay zero. Pointers and
// slices tell "absent" from a zero value, which is a valid index, margin or
// empty list.
type Data struct {
	Question string `json:"question,omitempty"` // question_answered
	Option   string `json:"option,omitempty"`   // question_answered
	Index    *int   `json:"index,omitempty"`    // question_answered: 0-based position
	// Outcome is the recommendation of quiz_completed and
	// recommendation_shown, and the one on screen (if any) for cta_clicked.
	Outcome Outcome `json:"outcome,omitempty"`
	// Margin is how clearly the answers favour the outcome, from 0 (a tie)
	// to 1 (every answer points the same way).
	Margin    *float64 `json:"margin,omitempty"`
	FAQ       string   `json:"faq,omitempty"`      // faq_opened
	Shared    []string `json:"shared,omitzero"`    // worksheet_completed: responsibility ids
	Undecided []string `json:"undecided,omitzero"` // worksheet_completed: responsibility ids
	CTA       string   `json:"cta,omitempty"`      // cta_clicked
}

// Field is one data key an event type carries.
type Field struct {
	Key      string
	Required bool
}

// Fields gives, per type, the data keys it carries: DESIGN.md's table. A
// key not listed for a type is rejected.
var Fields = map[Type][]Field{
	WidgetLoaded:        nil,
	WidgetViewed:        nil,
	QuizStarted:         nil,
	QuizRestarted:       nil,
	QuestionAnswered:    {{"question", true}, {"option", true}, {"index", true}},
	QuizCompleted:       {{"outcome", true}, {"margin", true}},
	RecommendationShown: {{"outcome", true}, {"margin", true}},
	FAQOpened:           {{"faq", true}},
	WorksheetCompleted:  {{"shared", true}, {"undecided", true}},
	// A call to action can be clicked before any recommendation is shown.
	CTAClicked: {{"cta", true}, {"outcome", false}},
}

// Valid reports whether t is a known event type.
func (t Type) Valid() bool {
	_, ok := Fields[t]
	return ok
}

// has reports whether events of type t carry the data key.
func (t Type) has(key string) bool {
	for _, f := range Fields[t] {
		if f.Key == key {
			return true
		}
	}
	return false
}

// noCompare makes a struct type incomparable, so the linker gives it no
// equality function: it would be kept in app.wasm with the type, for an ==
// that nothing uses. First in the struct, it adds no padding.
type noCompare [0]func()

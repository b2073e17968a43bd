// Package content is the content model of a Forge Fit widget: the words a
// visitor reads, in one locale, and the weights behind the fit questions. It
// imports the standard library only, so the server and the wasm client share
// it.
//
// The JSON field names are a public contract: the server serves this model
// at GET /api/v1/widgets/{widget} for partners who render it in their own
// design, and content authors write it in files. Every id (model, topic,
// pitfall, FAQ entry, question, option, responsibility, CTA) is the same in
// every locale, because ids travel in events and URLs. The built-in
// defaults/co-managed-vs-fully-managed.en.json is the reference example of
// a content file.
package content

// DefaultLocale is the locale every widget must have; other locales fall
// back to it.
const DefaultLocale = "en"

// Either is the outcome when the fit questions do not point clearly to one
// model: the page says neither model is automatically better, so either can
// work if ownership is written down. The other outcomes are model ids.
const Either = "either"

// Widget is one widget's content in one locale.
type Widget struct {
	ID      string `json:"id"`
	Locale  string `json:"locale"`
	Version string `json:"version"` // content hash, set by Parse

	Title        string     `json:"title"`
	Summary      string     `json:"summary"`
	DirectAnswer []string   `json:"direct_answer"` // paragraphs
	Comparison   Comparison `json:"comparison"`

	// Fits says when each model makes sense: one section per model.
	Fits      []ModelFit `json:"fits"`
	Pitfalls  Pitfalls   `json:"pitfalls"`
	NextSteps Section    `json:"next_steps"`
	FAQ       FAQ        `json:"faq"`

	// Fit holds the fit questions whose weights widget/fit scores.
	Fit FitQuestions `json:"fit"`
	// Results holds the text shown for each outcome: one per model id and
	// one for Either.
	Results   []Result  `json:"results"`
	Worksheet Worksheet `json:"worksheet"`
	CTA       CTA       `json:"cta"`
	UI        UI        `json:"ui"`

	// Review notes, for the client, what this content says that the
	// client's page does not (the widget's own words), and what it left
	// out. Never shown: pages and the content API drop it.
	Review []string `json:"review,omitempty"`
}

// Comparison is the table of topics against service models.
type Comparison struct {
	Caption      string  `json:"caption"`
	TopicHeading string  `json:"topic_heading"`
	Models       []Model `json:"models"`
	Topics       []Topic `json:"topics"`
}

// Model is one service model, a column of the comparison. Its id is also an
// outcome of the fit questions.
type Model struct {
	_ noCompare

	ID   string `json:"id"`
	Name string `json:"name"`
}

// Topic is one row of the comparison: a short cell per model id.
type Topic struct {
	ID    string            `json:"id"`
	Label string            `json:"label"`
	Cells map[string]string `json:"cells"`
}

// ModelFit is the "when it makes sense" section of one model.
type ModelFit struct {
	Model      string   `json:"model"` // a model id
	Heading    string   `json:"heading"`
	Paragraphs []string `json:"paragraphs"`
}

// Section is a heading with paragraphs of plain text.
type Section struct {
	Heading    string   `json:"heading"`
	Paragraphs []string `json:"paragraphs"`
}

// Pitfalls is the "common pitfalls" section: the items a result can point
// to, and a closing note.
type Pitfalls struct {
	Heading string    `json:"heading"`
	Items   []Pitfall `json:"items"`
	Note    string    `json:"note,omitempty"`
}

// Pitfall is one common mistake, referred to by id from Results.
type Pitfall struct {
	_ noCompare

	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// FAQ is the frequently asked questions section, rendered as disclosures.
type FAQ struct {
	Heading string     `json:"heading"`
	Entries []FAQEntry `json:"entries"`
}

// FAQEntry is one question and its answer; its id is what the faq_opened
// event carries.
type FAQEntry struct {
	_ noCompare

	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// FitQuestions is the short questionnaire that leads to a recommendation.
type FitQuestions struct {
	Heading   string     `json:"heading"`
	Intro     string     `json:"intro,omitempty"`
	Questions []Question `json:"questions"`
}

// Question is one fit question, asked one at a time with radio-group
// semantics.
type Question struct {
	ID      string   `json:"id"`
	Prompt  string   `json:"prompt"`
	Help    string   `json:"help,omitempty"`
	Options []Option `json:"options"`
}

// Option is one answer to a question. Weights gives, for every model id, how
// strongly this answer points to that model (0 to MaxWeight); only the
// differences between models matter. Reason, when set, is the sentence the
// result shows when this answer is one that drove the recommendation.
type Option struct {
	ID      string         `json:"id"`
	Label   string         `json:"label"`
	Weights map[string]int `json:"weights"`
	Reason  string         `json:"reason,omitempty"`
	// Excludes lists the models this answer rules out whatever the other
	// answers say: without internal IT, say, co-managed IT has nobody to
	// share responsibilities with.
	Excludes []string `json:"excludes,omitempty"`
}

// MaxWeight is the largest weight an option may give a model. A small scale
// keeps authors from making one question outweigh all the others.
const MaxWeight = 10

// Result is the text shown for one outcome of the fit questions.
type Result struct {
	Outcome string `json:"outcome"` // a model id or Either
	// Label names the outcome in a sentence, such as the flip explanation
	// ("… the result would be: Fully managed IT").
	Label    string   `json:"label"`
	Heading  string   `json:"heading"`
	Body     string   `json:"body"`
	Pitfalls []string `json:"pitfalls,omitempty"` // pitfall ids that apply
}

// Worksheet is the ownership worksheet from the page's "What to do next":
// each responsibility is set to one of the four Owners.
type Worksheet struct {
	Heading               string           `json:"heading"`
	Intro                 string           `json:"intro,omitempty"`
	ResponsibilityHeading string           `json:"responsibility_heading"`
	OwnerHeading          string           `json:"owner_heading"`
	Owners                OwnerLabels      `json:"owners"`
	Responsibilities      []Responsibility `json:"responsibilities"`
	// Critical lists the responsibility ids that are most dangerous when
	// shared or undecided (the page names patching, backups and change
	// approval).
	Critical []string `json:"critical"`
	// Start is shown until the visitor has decided anything. Then
	// Warning is shown while a critical responsibility is undecided (the
	// fuzzy ownership the page warns about), SharedNote while one is
	// shared (which can work when the split is written down, as the page's
	// joint approval paths do), and Clear when each has one owner.
	Start      string `json:"start"`
	Warning    string `json:"warning"`
	SharedNote string `json:"shared_note"`
	Clear      string `json:"clear"`
	// Progress is a template with {decided} and {total}: "5 of 12 decided".
	Progress string `json:"progress"`
}

// Responsibility is one row of the worksheet.
type Responsibility struct {
	_ noCompare

	ID    string `json:"id"`
	Label string `json:"label"`
}

// Owner is who owns a responsibility in the worksheet. The zero value means
// nobody has decided yet, like OwnerUndecided.
type Owner string

// The four owner choices of the worksheet, in the order they are offered.
const (
	OwnerInternal  Owner = "internal"
	OwnerMSP       Owner = "msp"
	OwnerShared    Owner = "shared"
	OwnerUndecided Owner = "undecided"
)

// Owners lists the owner choices in the order the worksheet offers them.
var Owners = []Owner{OwnerInternal, OwnerMSP, OwnerShared, OwnerUndecided}

// Valid reports whether o is one of Owners; the zero value is not.
func (o Owner) Valid() bool {
	switch o {
	case OwnerInternal, OwnerMSP, OwnerShared, OwnerUndecided:
		return true
	}
	return false
}

// OwnerLabels names the four owner choices in one locale.
type OwnerLabels struct {
	_ noCompare

	Internal  string `json:"internal"`
	MSP       string `json:"msp"`
	Shared    string `json:"shared"`
	Undecided string `json:"undecided"`
}

// Label returns the label of o; the zero value and unknown owners read as
// undecided.
func (l OwnerLabels) Label(o Owner) string {
	switch o {
	case OwnerInternal:
		return l.Internal
	case OwnerMSP:
		return l.MSP
	case OwnerShared:
		return l.Shared
	}
	return l.Undecided
}

// CTA is the call to action under the result. A partner may override the URL;
// the widget appends its attribution parameters.
type CTA struct {
	_ noCompare

	ID    string `json:"id"` // carried by the cta_clicked event
	Label string `json:"label"`
	URL   string `json:"url"` // absolute http or https
	// Outcomes gives the call to action shown with a result: its own words
	// and URL per outcome. Either may be empty, for the general one's.
	Outcomes []OutcomeCTA `json:"outcomes,omitempty"`
}

// OutcomeCTA is the call to action shown with one outcome's result.
type OutcomeCTA struct {
	_ noCompare

	Outcome string `json:"outcome"` // a model id or Either
	Label   string `json:"label,omitempty"`
	URL     string `json:"url,omitempty"`
}

// For returns the call to action's words and URL with outcome on screen
// ("" for none): the outcome's own where it has them, else the general.
func (c CTA) For(outcome string) (label, url string) {
	label, url = c.Label, c.URL
	for _, o := range c.Outcomes {
		if o.Outcome == outcome && outcome != "" {
			if o.Label != "" {
				label = o.Label
			}
			if o.URL != "" {
				url = o.URL
			}
		}
	}
	return label, url
}

// UI holds the words of the widget's controls, so each locale translates them
// too. Templates name their placeholders in braces; fill them with Expand.
type UI struct {
	_ noCompare // see noCompare

	DirectAnswerHeading string `json:"direct_answer_heading"`
	ComparisonHeading   string `json:"comparison_heading"`
	// Recommended marks the comparison column of the recommended model.
	Recommended string `json:"recommended"`

	// Start and Loading are no longer shown (the questions open at once
	// and work before the wasm); kept so content files that have them
	// still load. Optional.
	Start      string `json:"start,omitempty"`
	Back       string `json:"back"`
	Next       string `json:"next"`
	ShowResult string `json:"show_result"` // replaces Next on the last question
	Restart    string `json:"restart"`
	// Progress is a template with {n} and {total}: "Question {n} of {total}".
	Progress string `json:"progress"`
	Loading  string `json:"loading,omitempty"`

	// Provisional is a template with {answered} and {total}, shown with a
	// lean based on some of the answers.
	Provisional string `json:"provisional"`
	Why         string `json:"why"`          // heading over the driving answers
	FlipHeading string `json:"flip_heading"` // heading over what would change it
	// Flip is a template with {question}, {option} and {outcome} (a
	// Result.Label).
	Flip     string `json:"flip"`
	NoFlip   string `json:"no_flip"`
	Pitfalls string `json:"pitfalls"` // heading over the pitfalls that apply

	// CheckWorksheet checks the worksheet as filled in (and records it).
	CheckWorksheet string `json:"check_worksheet"`
	Copy           string `json:"copy"`
	Copied         string `json:"copied"`
	// NewTab tells screen reader users that a link opens a new tab.
	NewTab string `json:"new_tab"`
	// ToWorksheet links the result to the ownership worksheet; optional.
	ToWorksheet string `json:"to_worksheet,omitempty"`
}

// noCompare makes a struct type incomparable. The Go linker gives every
// comparable struct of strings an equality function (3 KB in app.wasm for
// UI), kept whenever the type is, and only == uses it: content is never
// compared that way (tests use cmp).
type noCompare [0]func()

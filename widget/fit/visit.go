package fit

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
)

// Visit is where a visitor is in a widget: the answers given so far, the
// step on screen and the worksheet as filled in. It travels in the widget
// page's URL (see VisitParams), never in a server-side session: a native
// form post gets back a 303 to the URL of the next Visit, and the wasm, when
// it takes over, renders from the Visit of its URL (which the server checked
// and passes in the page as JSON, so app.wasm needs no parser of its own).
type Visit struct {
	// View is the id of the widget mount (a UUIDv7, not a person), made
	// when the first page was rendered; the events' ids derive from it.
	View string `json:"view"`
	// Round counts restarts: the questions' nth time through.
	Round int `json:"round,omitempty"`
	// Step is the question on screen; len(questions) means the result.
	Step int `json:"step,omitempty"`
	// Answers are the options chosen, in question order: always the first
	// len(Answers) questions (Back keeps later answers).
	Answers []string `json:"answers,omitempty"`
	// Owners is the worksheet: who owns each responsibility decided.
	Owners Ownership `json:"owners"`
	// ShowText shows the worksheet as text to copy by hand.
	ShowText bool `json:"show_text,omitempty"`
}

// The URL query parameters of a Visit.
const (
	ParamView     = "v"
	ParamRound    = "r"
	ParamStep     = "s"
	ParamAnswers  = "a"
	ParamOwners   = "w"
	ParamShowText = "t"
)

// The fields of the widget's native forms, which post a visit's steps: what
// the widget renders, the server reads, and the wasm reads when it handles
// the same submit in place.
const (
	FieldDo          = "do"      // the button pressed: one of the Do* values
	FieldOption      = "option"  // the option chosen
	FieldView        = "v"       // the view id, for a page whose URL has none yet
	FieldConsent     = "consent" // the host page's consent, kept current by frame.js
	FieldOwnerPrefix = "ws-"     // then a responsibility's id: its owner
	DoNext           = "next"
	DoBack           = "back"
	DoRestart        = "restart"
	DoWorksheet      = "worksheet"
	DoCopy           = "copy"
)

// VisitParams lists the query parameters a Visit uses.
var VisitParams = []string{ParamView, ParamRound, ParamStep, ParamAnswers, ParamOwners, ParamShowText}

// MaxRound bounds restarts that events tell apart: past it, a round's
// events count as the last one's.
const MaxRound = 250

// Owners are written one letter each, in content.Owners order.
const ownerLetters = "imsu"

// ParseVisit reads a Visit of w from a page's query, with get returning a
// parameter's value ("" when absent). Absent parameters are the start of a
// visit; anything malformed, or naming a question, option or responsibility
// w does not have, is an error saying which parameter.
func ParseVisit(w *content.Widget, get func(string) string) (Visit, error) {
	v := Visit{View: get(ParamView), Owners: Ownership{}}
	qs := w.Fit.Questions
	if v.View != "" && !event.ValidUUIDv7(v.View) {
		return v, errors.New("v: not a view id")
	}
	var err error
	if v.Round, err = smallInt(get(ParamRound), MaxRound); err != nil {
		return v, errors.New("r: not a round number")
	}
	if v.Step, err = smallInt(get(ParamStep), len(qs)); err != nil {
		return v, errors.New("s: not a step of these questions")
	}
	if a := get(ParamAnswers); a != "" {
		v.Answers = strings.Split(a, ".")
	}
	if len(v.Answers) > len(qs) {
		return v, errors.New("a: more answers than questions")
	}
	for i, o := range v.Answers {
		if _, ok := qs[i].Option(o); !ok {
			return v, errors.New("a: question " + qs[i].ID + " has no such option")
		}
	}
	if v.Step > len(v.Answers) {
		return v, errors.New("s: a step past the questions answered")
	}
	resps := w.Worksheet.Responsibilities
	if ow := get(ParamOwners); ow != "" {
		if len(ow) != len(resps) {
			return v, errors.New("w: not one owner per responsibility")
		}
		for i, r := range resps {
			k := strings.IndexByte(ownerLetters, ow[i])
			if k < 0 {
				return v, errors.New("w: not an owner letter (" + ownerLetters + ")")
			}
			if o := content.Owners[k]; o != content.OwnerUndecided {
				v.Owners[r.ID] = o
			}
		}
	}
	switch get(ParamShowText) {
	case "":
	case "1":
		v.ShowText = true
	default:
		return v, errors.New("t: not 1")
	}
	return v, nil
}

// smallInt reads a decimal from 0 to max; "" is 0.
func smallInt(s string, max int) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max || len(s) > 3 || s[0] == '0' && len(s) > 1 {
		return 0, errors.New("out of range")
	}
	return n, nil
}

// Params returns the Visit as query parameters of w, name and value pairs,
// leaving out what is at its start value.
func (v Visit) Params(w *content.Widget) []string {
	var p []string
	add := func(name, value string) {
		if value != "" && value != "0" {
			p = append(p, name, value)
		}
	}
	add(ParamView, v.View)
	add(ParamRound, strconv.Itoa(v.Round))
	add(ParamStep, strconv.Itoa(v.Step))
	add(ParamAnswers, strings.Join(v.Answers, "."))
	if len(v.Owners) > 0 {
		ow := make([]byte, len(w.Worksheet.Responsibilities))
		for i, r := range w.Worksheet.Responsibilities {
			ow[i] = ownerLetters[len(ownerLetters)-1]
			for k, o := range content.Owners {
				if v.Owners[r.ID] == o {
					ow[i] = ownerLetters[k]
				}
			}
		}
		add(ParamOwners, string(ow))
	}
	if v.ShowText {
		add(ParamShowText, "1")
	}
	return p
}

// AnswerMap returns the answers as Score takes them.
func (v Visit) AnswerMap(w *content.Widget) Answers {
	a := Answers{}
	for i, o := range v.Answers {
		a[w.Fit.Questions[i].ID] = o
	}
	return a
}

// ShowsResult reports whether the result is on screen.
func (v Visit) ShowsResult(w *content.Widget) bool { return v.Step >= len(w.Fit.Questions) }

// Happened is an event a visit's step produces: its type, the n that
// tells it apart from the view's other events of that type (see
// event.DerivedID) and its data. The server (for a native form post) and the
// wasm (after it took over) record the same Happened for the same step, so
// each is stored once whichever path recorded it.
type Happened struct {
	Type event.Type
	N    int
	Data event.Data
}

// Answer chooses option for the question on screen and moves on: to the
// next question, or to the result after the last. Later answers (kept by
// Back) stay. It returns what happened: quiz_started for a view's first
// answer, question_answered, and after the last question quiz_completed and
// recommendation_shown. It returns nil, changing nothing, when the result is
// on screen or the question has no such option.
func (v *Visit) Answer(w *content.Widget, option string) []Happened {
	qs := w.Fit.Questions
	if v.Step >= len(qs) {
		return nil
	}
	qu := qs[v.Step]
	if _, ok := qu.Option(option); !ok {
		return nil
	}
	var out []Happened
	if v.Round == 0 && v.Step == 0 && len(v.Answers) == 0 {
		out = append(out, Happened{Type: event.QuizStarted})
	}
	index := v.Step
	out = append(out, Happened{Type: event.QuestionAnswered, N: v.Round<<8 | index,
		Data: event.Data{Question: qu.ID, Option: option, Index: &index}})
	if v.Step == len(v.Answers) {
		v.Answers = append(v.Answers, option)
	} else {
		v.Answers[v.Step] = option
	}
	v.Step++
	if v.Step < len(qs) {
		return out
	}
	d := v.Result(w)
	return append(out, Happened{Type: event.QuizCompleted, N: v.Round, Data: d},
		Happened{Type: event.RecommendationShown, N: v.Round, Data: d})
}

// Result is the recommendation's event data: the outcome and its margin,
// kept to three decimals (enough for stats, and stable across float
// formatting).
func (v Visit) Result(w *content.Widget) event.Data {
	rec := Score(w, v.AnswerMap(w))
	margin := math.Round(rec.Margin*1000) / 1000
	return event.Data{Outcome: event.Outcome(rec.Outcome), Margin: &margin}
}

// Back shows the previous question, keeping the answers.
func (v *Visit) Back() {
	if v.Step > 0 {
		v.Step--
	}
}

// Restart clears the answers and starts the next round: quiz_restarted.
func (v *Visit) Restart() Happened {
	v.Answers, v.Step = nil, 0
	if v.Round < MaxRound {
		v.Round++
	}
	return Happened{Type: event.QuizRestarted, N: v.Round}
}

// WorksheetDone is worksheet_completed for the worksheet as filled in: once
// a view.
func (v Visit) WorksheetDone(w *content.Widget) Happened {
	r := AssessOwnership(w.Worksheet, v.Owners)
	return Happened{Type: event.WorksheetCompleted, Data: event.Data{Shared: nonNil(r.Shared), Undecided: nonNil(r.Undecided)}}
}

// CTAClicked is cta_clicked for the call to action, with the outcome on
// screen if any: once a round.
func (v Visit) CTAClicked(w *content.Widget) Happened {
	d := event.Data{CTA: w.CTA.ID}
	if v.ShowsResult(w) {
		d.Outcome = v.Result(w).Outcome
	}
	return Happened{Type: event.CTAClicked, N: v.Round, Data: d}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

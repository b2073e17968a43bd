// Package content is the content model of a Forge Fit widget: the words a
// visitor reads, in one locale. It imports the standard library only, so the
// server and the wasm client share it.
package content

// DefaultLocale is the locale every widget must have; other locales fall
// back to it.
const DefaultLocale = "en"

// Widget is one widget's content in one locale.
type Widget struct {
	ID      string `json:"id"`
	Locale  string `json:"locale"`
	Version string `json:"version"` // content hash, set by the library

	Title        string     `json:"title"`
	Summary      string     `json:"summary"`
	DirectAnswer []string   `json:"direct_answer"`
	Comparison   Comparison `json:"comparison"`
}

// Comparison is the table of topics against service models.
type Comparison struct {
	Caption      string  `json:"caption"`
	TopicHeading string  `json:"topic_heading"`
	Models       []Model `json:"models"`
	Topics       []Topic `json:"topics"`
}

// Model is one service model, a column of the comparison.
type Model struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Topic is one row of the comparison: a short cell per model id.
type Topic struct {
	ID    string            `json:"id"`
	Label string            `json:"label"`
	Cells map[string]string `json:"cells"`
}

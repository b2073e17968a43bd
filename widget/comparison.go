package widget

import (
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Attribute lists that never change, shared rather than written as slice
// literals at each use: a literal is a fresh allocation there, and its
// array type brings an equality function into app.wasm. h only reads them.
var (
	colScope          = []string{"scope", "col"}
	rowScope          = []string{"scope", "row"}
	postForm          = []string{"method", "post"} // to the page's own URL, which carries the visit
	required          = []string{"required", "true"}
	worksheetLink     = []string{"href", "#" + worksheetHeadingID}
	fitLabelled       = []string{"aria-labelledby", fitHeadingID}
	helpDescribed     = []string{"aria-describedby", "ff-q-help"}
	focusable         = []string{"tabindex", "-1"} // a heading the quiz moves the focus to
	forWorksheetText  = []string{"for", "ff-ws-text"}
	worksheetTextArea = []string{"readonly", "true", "rows", "8"}
	statusRole        = []string{"role", "status"}
)

// comparisonTable renders the topics x models table, highlighting the
// column of model recommended ("" for none) with the label mark. It has no
// state of its own, so it is a function rather than a component.
//
// It is one table at every width: under about 560 px the stylesheet puts
// each topic's name on a line above its two cells, so a screen reader
// reads the same table a sighted reader sees.
func comparisonTable(cmp content.Comparison, recommended, mark string) app.UI {
	head := []app.UI{h(n{tag: "th", text: cmp.TopicHeading, attrs: colScope})}
	for _, m := range cmp.Models {
		if m.ID != recommended {
			head = append(head, h(n{tag: "th", text: m.Name, attrs: colScope}))
			continue
		}
		head = append(head, h(n{tag: "th", class: "ff-rec", attrs: colScope},
			h(n{tag: "span", text: m.Name}),
			h(n{tag: "span", class: "ff-badge", text: mark}),
		))
	}
	rows := make([]app.UI, len(cmp.Topics))
	for i, t := range cmp.Topics {
		cells := []app.UI{h(n{tag: "th", text: t.Label, attrs: rowScope})}
		for _, m := range cmp.Models {
			class := ""
			if m.ID == recommended {
				class = "ff-rec"
			}
			cells = append(cells, h(n{tag: "td", class: class, text: t.Cells[m.ID]}))
		}
		rows[i] = h(n{tag: "tr"}, cells...)
	}
	return h(n{tag: "table", class: "ff-comparison"},
		h(n{tag: "caption", text: cmp.Caption}),
		h(n{tag: "thead"}, h(n{tag: "tr"}, head...)),
		h(n{tag: "tbody"}, rows...),
	)
}

package widget

import (
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Attribute pairs used in many places.
var (
	colScope   = []string{"scope", "col"}
	rowScope   = []string{"scope", "row"}
	ariaHidden = []string{"aria-hidden", "true"}
)

// comparisonTable renders the topics x models table, highlighting the
// column of model recommended ("" for none) with the label mark. It has no
// state of its own, so it is a function rather than a component.
//
// On wide screens it is a plain table; under about 560 px the stylesheet
// lays each row out as a card. The same DOM serves both, so a screen reader
// reads it once, as a table: the model name shown inside each card cell is
// aria-hidden, since the column header already names it.
func comparisonTable(cmp content.Comparison, recommended, mark string) app.UI {
	head := []app.UI{h(n{tag: "th", text: cmp.TopicHeading, attrs: colScope})}
	for _, m := range cmp.Models {
		if m.ID != recommended {
			head = append(head, h(n{tag: "th", text: m.Name, attrs: colScope}))
			continue
		}
		head = append(head, h(n{tag: "th", class: "ff-rec", attrs: colScope, kids: []app.UI{
			h(n{tag: "span", text: m.Name}),
			h(n{tag: "span", class: "ff-badge", text: mark}),
		}}))
	}
	rows := make([]app.UI, len(cmp.Topics))
	for i, t := range cmp.Topics {
		cells := []app.UI{h(n{tag: "th", text: t.Label, attrs: rowScope})}
		for _, m := range cmp.Models {
			class, label := "", h(n{tag: "span", class: "ff-cell-model", text: m.Name, attrs: ariaHidden})
			if m.ID == recommended {
				class = "ff-rec"
				label = h(n{tag: "span", class: "ff-cell-model", attrs: ariaHidden, kids: []app.UI{
					h(n{tag: "span", text: m.Name}),
					h(n{tag: "span", class: "ff-badge", text: mark}),
				}})
			}
			cells = append(cells, h(n{tag: "td", class: class, kids: []app.UI{label, h(n{tag: "span", text: t.Cells[m.ID]})}}))
		}
		rows[i] = h(n{tag: "tr", kids: cells})
	}
	return h(n{tag: "table", class: "ff-comparison", kids: []app.UI{
		h(n{tag: "caption", text: cmp.Caption}),
		h(n{tag: "thead", kids: []app.UI{h(n{tag: "tr", kids: head})}}),
		h(n{tag: "tbody", kids: rows}),
	}})
}

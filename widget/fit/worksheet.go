package fit

import (
	"slices"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
)

// Ownership maps a worksheet responsibility id to who owns it. A
// responsibility that is absent, or set to anything but one of
// content.Owners, counts as not decided.
type Ownership map[string]content.Owner

// OwnershipReport is what the worksheet says about how ownership is split.
// Every list holds responsibility ids in worksheet order.
type OwnershipReport struct {
	Shared    []string `json:"shared"`
	Undecided []string `json:"undecided"`
	// AtRisk lists the critical responsibilities that are shared or
	// undecided: the pattern the page calls most dangerous.
	AtRisk []string `json:"at_risk"`
}

// owner returns who owns responsibility id, reading anything unknown as
// undecided.
func (o Ownership) owner(id string) content.Owner {
	if v := o[id]; v.Valid() {
		return v
	}
	return content.OwnerUndecided
}

// AssessOwnership reports which responsibilities of ws are shared or
// undecided, and which of those are critical.
func AssessOwnership(ws content.Worksheet, o Ownership) OwnershipReport {
	var r OwnershipReport
	for _, resp := range ws.Responsibilities {
		switch o.owner(resp.ID) {
		case content.OwnerShared:
			r.Shared = append(r.Shared, resp.ID)
		case content.OwnerUndecided:
			r.Undecided = append(r.Undecided, resp.ID)
		default:
			continue
		}
		if slices.Contains(ws.Critical, resp.ID) {
			r.AtRisk = append(r.AtRisk, resp.ID)
		}
	}
	return r
}

// atRiskMark flags a critical responsibility that is shared or undecided in
// the copied text, where there is no colour to do it.
const atRiskMark = " (!)"

// WorksheetText renders w's worksheet, filled in with o, as plain text for
// the clipboard: a heading, one "Responsibility: Owner" line each (critical
// ones that are shared or undecided marked "(!)"), and the worksheet's
// warning or all-clear.
func WorksheetText(w *content.Widget, o Ownership) string {
	ws := w.Worksheet
	report := AssessOwnership(ws, o)
	// Plain concatenation rather than a strings.Builder: the text is a
	// dozen short lines, and each inlined WriteString costs app.wasm far
	// more code than a call to the runtime's concatenation.
	text := ws.Heading + ": " + w.Title + "\n\n"
	for _, resp := range ws.Responsibilities {
		mark := ""
		if slices.Contains(report.AtRisk, resp.ID) {
			mark = atRiskMark
		}
		text += resp.Label + ": " + ws.Owners.Label(o.owner(resp.ID)) + mark + "\n"
	}
	if len(report.AtRisk) > 0 {
		return text + "\n" + strings.TrimSpace(atRiskMark) + " " + ws.Warning + "\n"
	}
	return text + "\n" + ws.Clear + "\n"
}

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
	// AtRisk lists the critical responsibilities left undecided: the fuzzy
	// ownership the page calls most dangerous.
	AtRisk []string `json:"at_risk"`
	// SharedCritical lists the critical responsibilities shared: workable
	// when the split is written down (the page's table gives co-managed
	// IT joint approval paths), so a note, not a danger.
	SharedCritical []string `json:"shared_critical"`
	// Decided counts the responsibilities with an owner, shared included.
	Decided int `json:"decided"`
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
		critical := slices.Contains(ws.Critical, resp.ID)
		switch o.owner(resp.ID) {
		case content.OwnerShared:
			r.Shared = append(r.Shared, resp.ID)
			if critical {
				r.SharedCritical = append(r.SharedCritical, resp.ID)
			}
		case content.OwnerUndecided:
			r.Undecided = append(r.Undecided, resp.ID)
			if critical {
				r.AtRisk = append(r.AtRisk, resp.ID)
			}
			continue
		}
		r.Decided++
	}
	return r
}

// Status is what the worksheet says of r, and how: "start" before anything
// is decided, then "warn" while a critical responsibility is undecided,
// "note" while one is shared, and "ok" when each has one owner.
func (r OwnershipReport) Status(ws content.Worksheet) (text, kind string) {
	switch {
	case r.Decided == 0:
		return ws.Start, "start"
	case len(r.AtRisk) > 0:
		return ws.Warning, "warn"
	case len(r.SharedCritical) > 0:
		return ws.SharedNote, "note"
	}
	return ws.Clear, "ok"
}

// atRiskMark flags a critical responsibility that is shared or undecided in
// the copied text, where there is no colour to do it.
const atRiskMark = " (!)"

// WorksheetText renders w's worksheet, filled in with o, as plain text for
// the clipboard: a heading, the recommendation when there is one (outcome,
// "" for none), one "Responsibility: Owner" line each (critical ones left
// undecided marked "(!)"), and what the worksheet says of it.
func WorksheetText(w *content.Widget, o Ownership, outcome string) string {
	ws := w.Worksheet
	report := AssessOwnership(ws, o)
	// Plain concatenation rather than a strings.Builder: the text is a
	// dozen short lines, and each inlined WriteString costs app.wasm far
	// more code than a call to the runtime's concatenation.
	text := ws.Heading + ": " + w.Title + "\n\n"
	if r, ok := w.Result(outcome); ok {
		text += w.UI.Recommended + ": " + r.Label + "\n\n"
	}
	for _, resp := range ws.Responsibilities {
		mark := ""
		if slices.Contains(report.AtRisk, resp.ID) {
			mark = atRiskMark
		}
		text += resp.Label + ": " + ws.Owners.Label(o.owner(resp.ID)) + mark + "\n"
	}
	status, kind := report.Status(ws)
	if kind == "warn" {
		status = strings.TrimSpace(atRiskMark) + " " + status
	}
	return text + "\n" + status + "\n"
}

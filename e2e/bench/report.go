package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is how a figure compares with its budget.
type Status string

const (
	Pass  Status = "pass"
	Miss  Status = "miss"
	Info  Status = "-"     // a figure with no budget of its own
	NA    Status = "n/a"   // not measurable yet: the feature has not landed
	Error Status = "error" // the harness failed to measure it
)

// Figure is one line of the report.
type Figure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Budget string  `json:"budget,omitempty"`
	Status Status  `json:"status"`
	// Note says why a figure is n/a or an error, or how it was measured.
	Note string `json:"note,omitempty"`
	// Samples are the single measurements behind a median, in run order.
	Samples []float64 `json:"samples,omitempty"`
}

// text is the value as the table shows it.
func (f Figure) text() string {
	switch f.Status {
	case NA:
		// The reason is the note's first part; what follows it (how
		// many loads, what came when) is in results.json.
		why, _, _ := strings.Cut(f.Note, "; ")
		return "n/a (" + why + ")"
	case Error:
		// The table keeps to one line; results.json has the whole note.
		note := strings.ReplaceAll(f.Note, "\n", "; ")
		if len(note) > 90 {
			note = note[:87] + "..."
		}
		return "error (" + note + ")"
	}
	switch f.Unit {
	case "bytes":
		return groupDigits(int64(f.Value)) + " B"
	case "ms":
		if f.Value < 10 { // server latencies: a tenth of a ms matters
			return fmt.Sprintf("%.2f ms", f.Value)
		}
		return fmt.Sprintf("%.0f ms", f.Value)
	case "/s":
		return groupDigits(int64(math.Round(f.Value))) + " /s"
	case "px":
		return fmt.Sprintf("%.0f px", f.Value)
	case "MB":
		return fmt.Sprintf("%.1f MB", f.Value)
	case "x":
		return fmt.Sprintf("%.2fx", f.Value)
	case "":
		return fmt.Sprintf("%.3f", f.Value)
	}
	return fmt.Sprintf("%g %s", f.Value, f.Unit)
}

// groupDigits writes n with thousands separators: 1,419,255.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Report is a whole run: what it ran on and every figure.
type Report struct {
	Date     time.Time         `json:"date"`
	Command  string            `json:"command"`
	Smoke    bool              `json:"smoke"`
	Machine  map[string]string `json:"machine"`
	Figures  []Figure          `json:"figures"`
	Duration string            `json:"duration"`
}

// add appends figures to the report as they are measured.
func (r *Report) add(fs ...Figure) { r.Figures = append(r.Figures, fs...) }

// failed reports whether the harness itself failed on any figure. A budget
// miss is not a failure of the harness.
func (r *Report) failed() bool {
	return slices.ContainsFunc(r.Figures, func(f Figure) bool { return f.Status == Error })
}

// writeTable prints the figures as one aligned table.
func (r *Report) writeTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tbudget\tresult")
	fmt.Fprintln(tw, "------\t-----\t------\t------")
	for _, f := range r.Figures {
		status := string(f.Status)
		if f.Status == NA || f.Status == Error {
			status = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.text(), f.Budget, status)
	}
	tw.Flush()
}

// writeFiles writes results.json and results.txt (the table) into dir.
func (r *Report) writeFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var table strings.Builder
	r.writeTable(&table)
	return os.WriteFile(filepath.Join(dir, "results.txt"), []byte(table.String()), 0o644)
}

// budgetMax is a figure that passes at or under limit.
func budgetMax(name string, value float64, unit string, limit float64, budget string) Figure {
	st := Pass
	if value > limit {
		st = Miss
	}
	return Figure{Name: name, Value: value, Unit: unit, Budget: budget, Status: st}
}

// budgetMin is a figure that passes at or over limit.
func budgetMin(name string, value float64, unit string, limit float64, budget string) Figure {
	st := Pass
	if value < limit {
		st = Miss
	}
	return Figure{Name: name, Value: value, Unit: unit, Budget: budget, Status: st}
}

func info(name string, value float64, unit string) Figure {
	return Figure{Name: name, Value: value, Unit: unit, Status: Info}
}

func notAvailable(name, budget, why string) Figure {
	return Figure{Name: name, Budget: budget, Status: NA, Note: why}
}

func failure(name, budget string, err error) Figure {
	return Figure{Name: name, Budget: budget, Status: Error, Note: err.Error()}
}

// median returns the middle of xs (the mean of the two middles for an even
// count); xs is not changed.
func median(xs []float64) float64 {
	return quantile(xs, 0.5)
}

// quantile returns the q-quantile of xs by linear interpolation between
// closest ranks; xs is not changed.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

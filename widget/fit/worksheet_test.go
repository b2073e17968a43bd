package fit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/widget/content"
)

func TestAssessOwnership(t *testing.T) {
	ws := mustWidget(t, "en").Worksheet
	var all []string
	for _, r := range ws.Responsibilities {
		all = append(all, r.ID)
	}
	allTo := func(o content.Owner) Ownership {
		own := Ownership{}
		for _, id := range all {
			own[id] = o
		}
		return own
	}
	tests := []struct {
		name string
		own  Ownership
		want OwnershipReport
	}{
		{
			name: "nothing decided yet",
			own:  nil,
			want: OwnershipReport{Undecided: all, AtRisk: []string{"patching", "backup-validation", "change-approval"}},
		},
		{
			name: "everything with the MSP",
			own:  allTo(content.OwnerMSP),
			want: OwnershipReport{Decided: 12},
		},
		{
			// Documented sharing is not the danger: undecided ownership is.
			name: "everything shared",
			own:  allTo(content.OwnerShared),
			want: OwnershipReport{Shared: all, SharedCritical: []string{"patching", "backup-validation", "change-approval"}, Decided: 12},
		},
		{
			name: "shared and unknown owners on critical ones",
			own: func() Ownership {
				o := allTo(content.OwnerInternal)
				o["patching"] = content.OwnerShared
				o["change-approval"] = "the boss" // not a choice: undecided
				o["m365-admin"] = content.OwnerShared
				o["vendor-management"] = content.OwnerUndecided
				o["not-a-responsibility"] = content.OwnerShared
				return o
			}(),
			want: OwnershipReport{
				Shared:         []string{"patching", "m365-admin"},
				Undecided:      []string{"change-approval", "vendor-management"},
				AtRisk:         []string{"change-approval"},
				SharedCritical: []string{"patching"},
				Decided:        10,
			},
		},
		{
			name: "shared but not critical is not at risk",
			own: func() Ownership {
				o := allTo(content.OwnerMSP)
				o["user-tickets"] = content.OwnerShared
				o["documentation"] = ""
				return o
			}(),
			want: OwnershipReport{Shared: []string{"user-tickets"}, Undecided: []string{"documentation"}, Decided: 11},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, AssessOwnership(ws, tt.own)); diff != "" {
				t.Errorf("AssessOwnership (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorksheetText(t *testing.T) {
	w := &content.Widget{
		Title: "Co-managed IT versus fully managed IT",
		Worksheet: content.Worksheet{
			Heading: "Ownership worksheet",
			Owners:  content.OwnerLabels{Internal: "Internal", MSP: "MSP", Shared: "Shared", Undecided: "Not decided"},
			Responsibilities: []content.Responsibility{
				{ID: "patching", Label: "Patching"},
				{ID: "backup-validation", Label: "Backup validation"},
				{ID: "user-tickets", Label: "User tickets"},
				{ID: "vendor-management", Label: "Vendor management"},
			},
			Critical:   []string{"patching", "backup-validation"},
			Start:      "Choose an owner for each.",
			Warning:    "Give patching and backups an owner each.",
			SharedNote: "Write down how you share them.",
			Clear:      "Patching and backups each have one owner.",
		},
		UI:      content.UI{Recommended: "Recommended"},
		Results: []content.Result{{Outcome: "fully-managed", Label: "Fully managed IT"}},
	}
	tests := []struct {
		name    string
		own     Ownership
		outcome string
		want    string
	}{
		{
			name: "nothing decided",
			want: "Ownership worksheet: Co-managed IT versus fully managed IT\n" +
				"\n" +
				"Patching: Not decided (!)\n" +
				"Backup validation: Not decided (!)\n" +
				"User tickets: Not decided\n" +
				"Vendor management: Not decided\n" +
				"\n" +
				"Choose an owner for each.\n",
		},
		{
			name:    "a critical one undecided, with the recommendation",
			own:     Ownership{"patching": content.OwnerShared, "user-tickets": content.OwnerShared, "vendor-management": content.OwnerInternal},
			outcome: "fully-managed",
			want: "Ownership worksheet: Co-managed IT versus fully managed IT\n" +
				"\n" +
				"Recommended: Fully managed IT\n" +
				"\n" +
				"Patching: Shared\n" +
				"Backup validation: Not decided (!)\n" +
				"User tickets: Shared\n" +
				"Vendor management: Internal\n" +
				"\n" +
				"(!) Give patching and backups an owner each.\n",
		},
		{
			name: "critical ones shared",
			own:  Ownership{"patching": content.OwnerShared, "backup-validation": content.OwnerMSP},
			want: "Ownership worksheet: Co-managed IT versus fully managed IT\n" +
				"\n" +
				"Patching: Shared\n" +
				"Backup validation: MSP\n" +
				"User tickets: Not decided\n" +
				"Vendor management: Not decided\n" +
				"\n" +
				"Write down how you share them.\n",
		},
		{
			name: "critical ones owned",
			own:  Ownership{"patching": content.OwnerMSP, "backup-validation": content.OwnerInternal},
			want: "Ownership worksheet: Co-managed IT versus fully managed IT\n" +
				"\n" +
				"Patching: MSP\n" +
				"Backup validation: Internal\n" +
				"User tickets: Not decided\n" +
				"Vendor management: Not decided\n" +
				"\n" +
				"Patching and backups each have one owner.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, WorksheetText(w, tt.own, tt.outcome)); diff != "" {
				t.Errorf("WorksheetText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorksheetTextGerman(t *testing.T) {
	got := WorksheetText(mustWidget(t, "de"), Ownership{"patching": content.OwnerMSP, "backup-validation": content.OwnerShared}, "")
	want := "Zuständigkeits-Arbeitsblatt: Co-Managed IT oder Fully Managed IT\n" +
		"\n" +
		"Patchen: MSP\n" +
		"Backup-Prüfung: Geteilt\n" +
		"Änderungsfreigaben: Nicht entschieden (!)\n" +
		"Benutzertickets und First-Level-Support: Nicht entschieden\n"
	if !strings.HasPrefix(got, want) {
		t.Errorf("WorksheetText starts:\n%s\nwant:\n%s", got, want)
	}
}

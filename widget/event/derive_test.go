package event

import "testing"

func TestDerivedID(t *testing.T) {
	const view = "0193c5a2-7b1c-7d2e-8f30-112233445566"
	seen := map[string]string{}
	for _, typ := range Types {
		for _, n := range []int{0, 1, 2, 255, 256, 0xffffff} {
			id := DerivedID(view, typ, n)
			if !ValidUUIDv7(id) {
				t.Fatalf("DerivedID(%s, %d) = %q, not a UUIDv7", typ, n, id)
			}
			if id[:28] != view[:28] {
				t.Errorf("DerivedID(%s, %d) = %q changed more than the last four bytes of %q", typ, n, id, view)
			}
			key := string(typ) + "/" + itoa(n)
			if other, ok := seen[id]; ok {
				t.Errorf("%s and %s both give %s", other, key, id)
			}
			seen[id] = key
			if again := DerivedID(view, typ, n); again != id {
				t.Errorf("DerivedID is not stable: %q then %q", id, again)
			}
		}
	}
	if id := DerivedID("0193c5a2-7b1c-7d2e-8f30-112233445567", QuestionAnswered, 0); id == DerivedID(view, QuestionAnswered, 0) {
		t.Errorf("two views give the same id %s", id)
	}
	for _, bad := range []string{"", "not-a-uuid", "0193C5A2-7B1C-7D2E-8F30-112233445566", "0193c5a2-7b1c-4d2e-8f30-112233445566"} {
		if id := DerivedID(bad, QuestionAnswered, 0); id != "" {
			t.Errorf("DerivedID(%q) = %q, want \"\"", bad, id)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

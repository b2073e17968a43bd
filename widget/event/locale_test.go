package event

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestIDAndLocaleChecksMatchTheirPatterns compares the hand-written checks
// with the regular expressions they stand for, on chosen and random input.
func TestIDAndLocaleChecksMatchTheirPatterns(t *testing.T) {
	id := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	locale := regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)
	inputs := []string{"", "en", "de", "pt-br", "en-", "-en", "e", "engl", "en-a", "en-123456789", "en-gb-x", "EN", "a-b", "x1", "a--b", "abc-12345678"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abz09-A_ ."
	for range 20000 {
		b := make([]byte, rng.IntN(14))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		if got, want := ValidID(s), id.MatchString(s); got != want {
			t.Errorf("ValidID(%q) = %v, pattern says %v", s, got, want)
		}
		if got, want := ValidLocale(s), locale.MatchString(s); got != want {
			t.Errorf("ValidLocale(%q) = %v, pattern says %v", s, got, want)
		}
	}
}

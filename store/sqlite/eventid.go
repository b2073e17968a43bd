package sqlite

import (
	"fmt"

	"github.com/google/uuid"
)

// Event ids are stored as their 16 bytes rather than their 36 characters:
// a shorter key in every row and in the deduplication index, and a write
// measurably cheaper. Ingest admits only canonical lowercase UUIDs
// (event.ValidUUIDv7), and exactly those come back unchanged from their
// bytes (see idText), which is what keeps deduplication exact.

// idLen is the length of a stored event id.
const idLen = 16

// appendIDBytes appends the 16 bytes of id, a canonical lowercase UUID,
// to dst. Any other spelling is refused: stored as bytes, it would come
// back as another string than the one that was sent.
func appendIDBytes(dst []byte, id string) ([]byte, error) {
	if len(id) != 36 {
		return dst, fmt.Errorf("event id %q is not a canonical UUID", id)
	}
	var b [idLen]byte
	for i, j := 0, 0; i < len(id); {
		switch i {
		case 8, 13, 18, 23:
			if id[i] != '-' {
				return dst, fmt.Errorf("event id %q is not a canonical UUID", id)
			}
			i++
			continue
		}
		hi, ok1 := nibble(id[i])
		lo, ok2 := nibble(id[i+1])
		if !ok1 || !ok2 {
			return dst, fmt.Errorf("event id %q is not a canonical lowercase UUID", id)
		}
		b[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return append(dst, b[:]...), nil
}

// nibble is the value of a lowercase hexadecimal digit.
func nibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// idText is the canonical string of a stored event id.
func idText(b []byte) (string, error) {
	if len(b) != idLen {
		return "", fmt.Errorf("stored event id %x is %d bytes, not %d", b, len(b), idLen)
	}
	return uuid.UUID(b).String(), nil
}

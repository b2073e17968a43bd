package event

// DerivedID returns the id of the n-th event of type t in the view whose id
// is view (a UUIDv7): the view's id with its last four bytes mixed with t
// and n. It is a UUIDv7 too (the view's timestamp, version and variant are
// kept), and "" when view is not one.
//
// The same view, type and n always give the same id, on the server and in
// the browser alike, so an answer recorded by a native form post and again
// by the wasm after it took over (or a form submitted twice, or again after
// Back) is stored once: the store keeps one event per partner and id. n says
// which of a view's events of that type it is: a round of the questions and
// a step in it, an FAQ entry, and so on.
//
// It is hex arithmetic, not a hash: crypto in app.wasm would cost more than
// the widget's size budget has. Two views' ids share the first twelve bytes
// only by chance of 74 random bits, so derived ids of different views do not
// meet.
func DerivedID(view string, t Type, n int) string {
	if !ValidUUIDv7(view) {
		return ""
	}
	code := uint32(typeCode(t))<<24 | uint32(n)&0xffffff
	b := []byte(view)
	// The last eight hex digits: four bytes of the UUID's random part.
	for i := 28; i < 36; i++ {
		shift := uint(35-i) * 4
		b[i] = hexDigit(fromHex(b[i]) ^ byte(code>>shift)&0xf)
	}
	return string(b)
}

// typeCode numbers t from 1 by its place in Types; 0 for an unknown type.
func typeCode(t Type) int {
	for i, u := range Types {
		if u == t {
			return i + 1
		}
	}
	return 0
}

func fromHex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

func hexDigit(v byte) byte { return "0123456789abcdef"[v] }

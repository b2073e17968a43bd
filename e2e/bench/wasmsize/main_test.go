package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// writeFile writes b to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// webDir makes a build folder holding app.wasm and a brotli copy of brSize
// bytes named as `forgefit precompress` names it.
func webDir(t *testing.T, wasm []byte, brSize int) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "app.wasm", wasm)
	sum := sha256.Sum256(wasm)
	writeFile(t, dir, "app."+hex.EncodeToString(sum[:])[:16]+".wasm.br", make([]byte, brSize))
	return dir
}

func bestBrotli(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func TestMeasureCachesTheHelloWorld(t *testing.T) {
	web := webDir(t, []byte("the widget"), 5000)
	helloRaw := bytes.Repeat([]byte("hello, world "), 500)
	hello := writeFile(t, t.TempDir(), "hello.wasm", helloRaw)
	cache := filepath.Join(t.TempDir(), "bench")

	s, err := measure(web, hello, cache)
	if err != nil {
		t.Fatal(err)
	}
	want := sizes{app: 5000, hello: bestBrotli(t, helloRaw)}
	if s != want {
		t.Fatalf("measure = %+v, want %+v", s, want)
	}
	sum := sha256.Sum256(helloRaw)
	entry := filepath.Join(cache, "hello."+hex.EncodeToString(sum[:8])+".sizes")
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no cache entry: %v", err)
	}
	if f := strings.Fields(string(b)); len(f) != 3 || f[0] != "6500" {
		t.Fatalf("cache entry %q, want raw gzip brotli with raw 6500", b)
	}

	// A second run reads the entry: give it a size no compressor made.
	writeFile(t, cache, filepath.Base(entry), []byte("6500 1 123\n"))
	if s, err = measure(web, hello, cache); err != nil {
		t.Fatal(err)
	}
	if s.hello != 123 {
		t.Errorf("second run: hello %d, want the cached 123", s.hello)
	}

	// An entry whose raw length does not match is not trusted.
	writeFile(t, cache, filepath.Base(entry), []byte("1 1 123\n"))
	if s, err = measure(web, hello, cache); err != nil {
		t.Fatal(err)
	}
	if s.hello != want.hello {
		t.Errorf("mismatched entry: hello %d, want %d compressed again", s.hello, want.hello)
	}
}

func TestMeasureRefusesAStaleCopy(t *testing.T) {
	web := webDir(t, []byte("an old widget"), 5000)
	writeFile(t, web, "app.wasm", []byte("a new widget")) // not precompressed
	hello := writeFile(t, t.TempDir(), "hello.wasm", []byte("hello"))
	if _, err := measure(web, hello, t.TempDir()); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("measure with a stale brotli copy: err %v, want one saying to run make build", err)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		s    sizes
		max  int
		fail bool
	}{
		{sizes{app: 1_470_000, hello: 1_400_000}, 71_000, false},
		{sizes{app: 1_471_000, hello: 1_400_000}, 71_000, false},
		{sizes{app: 1_471_001, hello: 1_400_000}, 71_000, true},
		{sizes{app: 1_470_000, hello: 1_400_000}, 60_000, true},
	} {
		if err := tc.s.check(tc.max); (err != nil) != tc.fail {
			t.Errorf("%+v.check(%d) = %v, want failure %v", tc.s, tc.max, err, tc.fail)
		}
	}
}

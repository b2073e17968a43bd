package testkit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBufferKeepsTheLastBytes(t *testing.T) {
	b := NewBuffer(10)
	fmt.Fprint(b, "0123456")
	fmt.Fprint(b, "789abc")
	if got, want := b.String(), "[3 bytes of output dropped]\n3456789abc"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	fmt.Fprint(b, "a longer write than the limit")
	if got := b.String(); got != "[32 bytes of output dropped]\n the limit" {
		t.Errorf("after a write over the limit: %q", got)
	}
	if got := b.Mark(); got != 42 {
		t.Errorf("Mark() = %d, want 42 bytes written", got)
	}
}

func TestBufferWaitForWakesOnWrite(t *testing.T) {
	b := NewBuffer(0)
	fmt.Fprintln(b, "partners file reloaded")
	mark := b.Mark()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// What came before the mark does not count.
	found := make(chan error, 1)
	go func() {
		_, err := b.WaitFor(ctx, nil, mark, "partners file reloaded")
		found <- err
	}()
	fmt.Fprintln(b, "something else")
	fmt.Fprintln(b, "partners file reloaded")
	if err := <-found; err != nil {
		t.Fatal(err)
	}
}

func TestBufferWaitForEnds(t *testing.T) {
	b := NewBuffer(0)
	done := make(chan struct{})
	close(done)
	if _, err := b.WaitFor(context.Background(), done, 0, "never"); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("writer gone: %v, want an error saying so", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.WaitFor(ctx, nil, 0, "never"); err == nil {
		t.Error("ctx ended: no error")
	}
}

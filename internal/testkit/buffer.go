package testkit

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// DefaultOutputLimit bounds a process's captured output: a server that
// logs in a loop cannot fill the test's memory.
const DefaultOutputLimit = 4 << 20

// Buffer collects a process's output (stdout and stderr together) while
// it runs. It keeps the last limit bytes, which is where a failure shows,
// and says how many it dropped before them. Writers and readers may run at
// once, and WaitFor wakes on each write rather than polling.
type Buffer struct {
	limit int

	mu      sync.Mutex
	buf     []byte
	written int64         // bytes ever written, dropped ones included
	changed chan struct{} // closed and replaced on each write
}

// NewBuffer returns a Buffer that keeps the last limit bytes (or
// DefaultOutputLimit when limit <= 0).
func NewBuffer(limit int) *Buffer {
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	return &Buffer{limit: limit, changed: make(chan struct{})}
}

// Write appends p, dropping the oldest bytes beyond the limit.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.written += int64(len(p))
	if len(p) >= b.limit {
		b.buf = append(b.buf[:0], p[len(p)-b.limit:]...)
	} else {
		if over := len(b.buf) + len(p) - b.limit; over > 0 {
			b.buf = b.buf[:copy(b.buf, b.buf[over:])]
		}
		b.buf = append(b.buf, p...)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// String returns the output kept, after a line saying how much was dropped
// before it, if any.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dropped := b.written - int64(len(b.buf)); dropped > 0 {
		return fmt.Sprintf("[%d bytes of output dropped]\n%s", dropped, b.buf)
	}
	return string(b.buf)
}

// Mark returns the count of bytes written so far: WaitFor(ctx, mark, s)
// looks for s only in what comes after it, so a message logged before the
// cause under test does not count.
func (b *Buffer) Mark() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written
}

// since returns the kept output written after mark, and the channel the
// next write closes.
func (b *Buffer) since(mark int64) (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := b.written - int64(len(b.buf)) // the offset of b.buf[0]
	if mark < first {
		mark = first
	}
	return string(b.buf[mark-first:]), b.changed
}

// WaitFor waits until the output written after mark contains s, and
// returns that output. It fails when ctx ends (or, as done, when the
// writer is gone: pass nil when there is none).
func (b *Buffer) WaitFor(ctx context.Context, done <-chan struct{}, mark int64, s string) (string, error) {
	for {
		out, changed := b.since(mark)
		if strings.Contains(out, s) {
			return out, nil
		}
		select {
		case <-changed:
		case <-done:
			// A last write may have raced with the exit.
			if out, _ := b.since(mark); strings.Contains(out, s) {
				return out, nil
			}
			return "", fmt.Errorf("the process exited without writing %q", s)
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q in the output: %w", s, ctx.Err())
		}
	}
}

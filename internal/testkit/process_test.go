package testkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the process under test: TESTKIT_HELPER names
// what it does instead of running the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("TESTKIT_HELPER") {
	case "":
		os.Exit(m.Run())
	case "server":
		helperServer(false)
	case "stubborn":
		helperServer(true)
	case "fail":
		fmt.Println("something went wrong")
		os.Exit(3)
	}
}

// helperServer answers /readyz with 503 for the first requests, then 200,
// says "listening" and, on SIGHUP, "reloaded"; it exits 0 on SIGTERM
// unless it is stubborn.
func helperServer(stubborn bool) {
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var asked atomic.Int32
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGHUP)
	fmt.Fprintln(os.Stderr, "listening")
	for s := range sig {
		switch {
		case s == syscall.SIGHUP:
			fmt.Println("reloaded")
		case !stubborn:
			os.Exit(0)
		}
	}
}

func startHelper(t *testing.T, mode string) (*Process, string) {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Command{Path: exe, Env: []string{"TESTKIT_HELPER=" + mode, fmt.Sprintf("PORT=%d", port)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p, fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
}

func TestProcessReadySignalStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, ready := startHelper(t, "server")
	if err := p.WaitReady(ctx, ready); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	if !strings.Contains(p.Output().String(), "listening") {
		t.Errorf("stderr not captured: %q", p.Output())
	}
	mark := p.Output().Mark()
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitOutput(ctx, mark, "reloaded"); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	if err := p.Stop(time.Minute); err != nil {
		t.Errorf("Stop: %v, want a clean exit", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Exited not closed after Stop")
	}
}

func TestProcessStopKillsAfterItsBound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, ready := startHelper(t, "stubborn")
	if err := p.WaitReady(ctx, ready); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	if err := p.Stop(100 * time.Millisecond); !errors.Is(err, ErrStopTimeout) {
		t.Errorf("Stop of a process that ignores SIGTERM: %v, want ErrStopTimeout", err)
	}
}

func TestProcessWaitReadyFailsWhenItExits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, ready := startHelper(t, "fail")
	err := p.WaitReady(ctx, ready)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("WaitReady on a process that exits: %v", err)
	}
	if _, err := p.WaitOutput(ctx, 0, "reloaded"); err == nil {
		t.Error("WaitOutput on an exited process: no error")
	}
	if !strings.Contains(p.Output().String(), "something went wrong") {
		t.Errorf("output %q", p.Output())
	}
	if p.Err() == nil {
		t.Error("exit status 3 reported as nil")
	}
}

func TestProcessKill(t *testing.T) {
	p, _ := startHelper(t, "stubborn")
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("after Kill: %v", err)
	}
}

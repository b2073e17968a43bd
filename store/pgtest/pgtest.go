// Package pgtest starts a throwaway PostgreSQL server for tests and gives
// each test a database of its own. Only _test.go files import it.
//
// The server is Debian's (binaries under /usr/lib/postgresql/*/bin, the
// newest version found; FORGEFIT_PG_BIN names another folder). It runs in
// a folder of its own under the system's temporary folder, listens only on
// a Unix socket in that folder (-k, TCP off) and is removed, folder and
// all, when the tests end. PostgreSQL refuses to run as root, and CI runs
// as root: then initdb and the server run as the "postgres" user the
// package creates, in a folder chowned to it.
//
// Where it cannot start PostgreSQL, NewDatabase fails the test and says
// why; it never skips. `make deps` installs the package when it is
// missing.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Main runs the package's tests, then stops the shared server if a test
// started one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

func stopShared() error {
	if shared.srv == nil {
		return nil
	}
	return shared.srv.Stop()
}

// NewDatabase returns the URL of a new, empty database on the package's
// shared server, starting the server on first use. It fails t when
// PostgreSQL cannot be started, saying why.
func NewDatabase(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Start() })
	if shared.err != nil {
		t.Fatalf("pgtest: cannot start a PostgreSQL server for the tests: %v", shared.err)
	}
	u, err := shared.srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// Server is a running throwaway PostgreSQL server.
type Server struct {
	dir  string // owns the data folder, the socket and the log
	port int

	cmd    *exec.Cmd
	exited chan error

	mu    sync.Mutex
	admin *pgx.Conn // to the "postgres" database, for CREATE DATABASE
	dbs   int
}

// Start makes a new cluster and starts its server; Stop removes both.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "forgefit-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(fmt.Errorf("handing %s to the postgres user: %w", dir, err))
		}
	}
	data := filepath.Join(dir, "data")
	initdb := s.command(cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	if s.port, err = freePort(); err != nil {
		return fail(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return fail(err)
	}
	defer logFile.Close()
	// The server is this process's child, not pg_ctl's daemon: if the test
	// binary dies (a timeout, a panic), the kernel sends it SIGQUIT
	// (immediate shutdown) rather than leaving it running.
	s.cmd = s.command(cred, filepath.Join(bin, "postgres"), "-D", data, "-k", dir,
		"-p", strconv.Itoa(s.port), "-c", "listen_addresses=", "-c", "max_connections=200",
		"-c", "shared_buffers=64MB")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := s.cmd.Start(); err != nil {
		return fail(fmt.Errorf("starting postgres: %w", err))
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.admin, err = pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case werr := <-s.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited before accepting connections (%v):\n%s", werr, s.logTail(dir))
		default:
		}
		if time.Now().After(deadline) {
			msg := s.logTail(dir)
			s.Stop()
			return nil, fmt.Errorf("postgres not accepting connections after 30s (%v):\n%s", err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL returns the URL of database db on s, through its Unix socket.
func (s *Server) URL(db string) string {
	q := url.Values{"host": {s.dir}, "port": {strconv.Itoa(s.port)}, "sslmode": {"disable"}}
	return "postgres://postgres@/" + url.PathEscape(db) + "?" + q.Encode()
}

// CreateDatabase makes a new, empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbs++
	name := fmt.Sprintf("test_%d", s.dbs)
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// Stop shuts the server down (fast shutdown: connections are cut) and
// removes its folder.
func (s *Server) Stop() error {
	if s.admin != nil {
		s.admin.Close(context.Background())
	}
	var err error
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			err = errors.New("postgres did not stop within 30s of SIGINT; killed it")
		}
	}
	if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

func (s *Server) logTail(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// command returns a command run in s's folder, as cred's user if not nil,
// with a clean environment.
func (s *Server) command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// binDir returns the folder of initdb and postgres: FORGEFIT_PG_BIN, or
// the newest /usr/lib/postgresql/*/bin, or the folder of an initdb on
// PATH.
func binDir() (string, error) {
	if d := os.Getenv("FORGEFIT_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int {
		va, vb := version(a), version(b)
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return 0
	})
	for _, d := range slices.Backward(dirs) {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries: none in /usr/lib/postgresql/*/bin nor initdb on PATH " +
		"(install Debian's postgresql package: `make deps` does, or apt-get install -y postgresql)")
}

// credential returns the postgres user's credential when running as root,
// since PostgreSQL refuses to run as root, and nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root, but there is no postgres user to run it as (%v): "+
			"install Debian's postgresql package, which creates it", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// freePort returns a port no one listens on now: the server listens only
// on its socket, but the port names the socket file.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

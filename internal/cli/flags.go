package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/ehforge/forgefit/server"
)

// config is the program's flags, each with a FORGEFIT_* environment twin.
type config struct {
	addr, db, partners, adminToken, content, publicURL, trustedProxies string
	sessionKey                                                         string
	web, demoAddr                                                      string
	demo, version                                                      bool
	retentionDays                                                      int
	clientRate, partnerRate                                            float64

	// Files the secrets may come from instead (see readSecrets).
	adminTokenFile, sessionKeyFile, dbPasswordFile string
	// warnings are said once the logger exists: secrets given where other
	// local users can read them.
	warnings []string
}

// minSecretLen is the shortest admin token or session key the server
// accepts: `forgefit token` makes 43 characters (32 random bytes).
const minSecretLen = 32

// parseFlags reads the config from the FORGEFIT_* environment (getenv),
// then the command line args, which win, and reads the secrets given as
// files.
func parseFlags(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("forgefit", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", ":8080", "listen address")
	fs.StringVar(&c.db, "db", "forgefit.db", "SQLite file path, or a postgres:// URL")
	fs.StringVar(&c.partners, "partners", "", "partners file (JSON)")
	fs.StringVar(&c.adminToken, "admin-token", "", "admin bearer token (stats, dashboard, metrics)")
	fs.StringVar(&c.adminTokenFile, "admin-token-file", "", "file holding the admin token (instead of -admin-token, which other local users see in ps)")
	fs.StringVar(&c.sessionKey, "session-key", "", "key that signs dashboard sessions (default: derived from -admin-token); the same on every server sharing a database")
	fs.StringVar(&c.sessionKeyFile, "session-key-file", "", "file holding the session key (instead of -session-key)")
	fs.StringVar(&c.dbPasswordFile, "db-password-file", "", "file holding the password of the postgres:// URL -db names (instead of writing it in the URL)")
	fs.StringVar(&c.content, "content", "", "directory of content JSON files that add or override widgets and locales")
	fs.StringVar(&c.publicURL, "public-url", "", "origin browsers use to reach this server (default: derived from -addr)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed")
	fs.StringVar(&c.web, "web", "", "directory holding app.wasm and wasm_exec.js (default: web/ beside the executable)")
	fs.BoolVar(&c.demo, "demo", false, "also serve a demo partner site on -demo-addr, registered as partner \"demo\"")
	fs.StringVar(&c.demoAddr, "demo-addr", "127.0.0.1:8081", "listen address of the demo partner site")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.IntVar(&c.retentionDays, "retention", 400, "days raw events are kept (daily rollups are kept for good)")
	fs.Float64Var(&c.clientRate, "client-rate", server.DefaultClientRate, "event requests a second per client address (0: unlimited)")
	fs.Float64Var(&c.partnerRate, "partner-rate", server.DefaultPartnerRate, "event requests a second per partner (0: unlimited)")
	// Environment twins first, so that flags on the command line win.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "FORGEFIT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// Secrets on the command line are in every local user's ps.
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "admin-token" || f.Name == "session-key":
			c.warnings = append(c.warnings, fmt.Sprintf("-%s on the command line is visible to every local user (ps, /proc); give it by FORGEFIT_%s or -%s-file",
				f.Name, strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")), f.Name))
		case f.Name == "db" && dbPassword(c.db) != "":
			c.warnings = append(c.warnings, "-db on the command line holds a password visible to every local user (ps, /proc); give the URL by FORGEFIT_DB, or the password by -db-password-file")
		}
	})
	if err := readSecrets(&c); err != nil {
		return c, err
	}
	return c, checkSecrets(c)
}

// readSecrets reads the secrets given as files: systemd credentials,
// Docker and Kubernetes secrets, or any file only the server's user can
// read.
func readSecrets(c *config) error {
	for _, s := range []struct {
		name, file string
		value      *string
	}{
		{"admin-token", c.adminTokenFile, &c.adminToken},
		{"session-key", c.sessionKeyFile, &c.sessionKey},
	} {
		if s.file == "" {
			continue
		}
		if *s.value != "" {
			return fmt.Errorf("-%s and -%s-file are both set (or their FORGEFIT_ twins): give the secret once", s.name, s.name)
		}
		v, warn, err := readSecret(s.file)
		if err != nil {
			return fmt.Errorf("-%s-file: %w", s.name, err)
		}
		*s.value = v
		if warn != "" {
			c.warnings = append(c.warnings, fmt.Sprintf("-%s-file %s", s.name, warn))
		}
	}
	if c.dbPasswordFile == "" {
		return nil
	}
	u, err := url.Parse(c.db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("-db-password-file needs -db to be a postgres:// URL")
	}
	if dbPassword(c.db) != "" {
		return errors.New("-db-password-file is set and the -db URL holds a password too: give it once")
	}
	pw, warn, err := readSecret(c.dbPasswordFile)
	if err != nil {
		return fmt.Errorf("-db-password-file: %w", err)
	}
	if warn != "" {
		c.warnings = append(c.warnings, "-db-password-file "+warn)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	c.db = u.String()
	return nil
}

// maxSecretFile bounds what readSecret reads: a secret is one short line.
const maxSecretFile = 4 << 10

// readSecret returns the first line of the file at path, without the
// space around it, and a warning when other users may read the file.
func readSecret(path string) (secret, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", "", err
	}
	if len(b) > maxSecretFile {
		return "", "", fmt.Errorf("%s is over %d bytes: a secret file holds the secret alone", path, maxSecretFile)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if secret = strings.TrimSpace(line); secret == "" {
		return "", "", fmt.Errorf("%s is empty", path)
	}
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o004 != 0 {
		warning = fmt.Sprintf("%s is readable by every local user (mode %v); chmod o-r it", path, st.Mode().Perm())
	}
	return secret, warning, nil
}

// checkSecrets refuses an admin token or session key short enough to
// guess. An empty admin token means no admin access (-demo makes one).
func checkSecrets(c config) error {
	for _, s := range []struct{ name, value string }{{"admin-token", c.adminToken}, {"session-key", c.sessionKey}} {
		if s.value != "" && len(s.value) < minSecretLen {
			return fmt.Errorf("-%s is %d characters; it must be at least %d. Make one with `forgefit token` and give it by FORGEFIT_%s or -%s-file",
				s.name, len(s.value), minSecretLen, strings.ToUpper(strings.ReplaceAll(s.name, "-", "_")), s.name)
		}
	}
	return nil
}

// dbPassword returns the password in a postgres:// URL, if any.
func dbPassword(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

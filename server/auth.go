package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// bearerToken returns the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// isAdmin reports whether r carries the admin token, compared in constant
// time. With no admin token configured, nobody is admin.
func (s *Server) isAdmin(r *http.Request) bool {
	t := bearerToken(r)
	return s.cfg.AdminToken != "" && t != "" &&
		subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.AdminToken)) == 1
}

// requireAdmin lets only admin requests through.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.isAdmin(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="forgefit"`)
			s.writeError(w, r, Errorf(EUnauthorized, "this needs the admin token (Authorization: Bearer …)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

package server

import (
	"net/http"
	"runtime/debug"
)

// middleware wraps a handler; chain applies them outermost last.
type middleware func(http.Handler) http.Handler

func chain(h http.Handler, m ...middleware) http.Handler {
	for _, mw := range m {
		h = mw(h)
	}
	return h
}

// securityHeaders sets the headers every response carries. Framing is
// governed per page by CSP frame-ancestors, so there is no X-Frame-Options.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.writeError(w, r, Errorf(EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

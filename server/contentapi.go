package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/rs/cors"
)

// partnerCORS lets pages on the registered partners' origins, and no
// others, read an API from the browser. The registry is read per request,
// so a reloaded partners file applies at once; rs/cors sends Vary: Origin
// on every answer, so no cache hands one origin's answer to another.
func (s *Server) partnerCORS() middleware {
	c := cors.New(cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, origin string) (bool, []string) {
			return s.partners.Load().KnownOrigin(origin), nil
		},
		AllowedMethods: []string{http.MethodGet},
		AllowedHeaders: []string{"If-None-Match"},
		ExposedHeaders: []string{"ETag"},
		MaxAge:         3600,
	})
	return c.Handler
}

// handleWidgetContent handles "GET /api/v1/widgets/{widget}": a widget's
// content in one locale (?locale=, default "en") as JSON. Unlike the widget
// page, which falls back to English, the API answers only for a locale the
// widget has: a caller asking for "de" must not get English labelled "de".
func (s *Server) handleWidgetContent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("widget")
	locale := strings.ToLower(r.URL.Query().Get("locale"))
	if locale == "" {
		locale = content.DefaultLocale
	}
	if !content.ValidLocale(locale) {
		s.writeError(w, r, Errorf(EInvalid, "locale %q is not a locale tag such as \"en\" or \"pt-br\"", locale))
		return
	}
	if !content.ValidID(id) {
		s.writeError(w, r, Errorf(ENotFound, "no widget %q", id))
		return
	}
	widget, err := s.cfg.Content.Widget(id, locale)
	if errors.Is(err, content.ErrNotFound) {
		s.writeError(w, r, Errorf(ENotFound, "no widget %q", id))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if widget.Locale != locale {
		s.writeError(w, r, Errorf(ENotFound, "widget %q has no %q content", id, locale))
		return
	}
	public := *widget
	public.Review = nil // for the client, not for partners
	body, err := json.Marshal(&public)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("ETag", `"`+widget.Version+`"`)
	h.Set("Cache-Control", cacheShort)
	if etagMatches(r.Header.Get("If-None-Match"), `"`+widget.Version+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

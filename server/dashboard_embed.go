package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
)

// The Embed page (GET /dashboard/embed) gives a partner's web developer
// everything an installation needs: the snippet for the options they pick,
// the stylesheet rule that reserves the widget's room, the CSP lines, and
// the origins that must be registered. Its form is a plain GET form that
// renders the page again, so it works without scripts; the page has none.
//
// The preview (GET /dashboard/embed/preview, in an iframe of the Embed
// page) is a page holding the snippet and the rule, nothing else: the real
// loader makes the real widget's iframe, so the preview is the snippet,
// running. It runs on our own origin, which is no partner's, so a widget
// page accepts our origin as its host in test mode only (previewHost):
//   - test mode keeps whatever the preview records out of every figure;
//   - the widget page then allows framing by our own origin only
//     (frame-ancestors 'self'), and our origin serves no one else's pages;
//   - a widget page opened on its own, with no host origin at all, is
//     already served to anyone (the fallback link) and records as counted
//     traffic, so accepting our origin in test mode opens nothing new;
//   - the preview page itself needs a dashboard session that may see the
//     partner, like the Embed page.

//go:embed dashboard_embed.html
var embedFiles embed.FS

var embedTemplate = template.Must(template.ParseFS(embedFiles, "dashboard_embed.html"))

// embedReserveRule is the stylesheet rule that keeps a partner's page from
// jumping when the widget arrives: README's "Embedding" explains it.
const embedReserveRule = "[data-forgefit-widget] { min-height: 100vh; }"

// embedOptions are the snippet's options, each valid; a zero field is the
// loader's default, which the snippet leaves out.
type embedOptions struct {
	Partner   string
	Widget    string
	Locale    string // "": the widget's default locale
	Theme     string // "light" (default), "dark", "auto"
	View      string // "quiz" (default), "table", "full"
	Accent    string // "" or #rgb / #rrggbb, lowercase
	Eager     bool   // data-forgefit-lazy="false"
	Consent   bool   // data-forgefit-consent="required"
	Test      bool   // data-forgefit-test
	DataLayer bool   // data-forgefit-datalayer
}

// query is the Embed page's query for o: what its form sends.
func (o embedOptions) query() url.Values {
	q := url.Values{"partner": {o.Partner}, "widget": {o.Widget}, "theme": {o.Theme}, "view": {o.View}}
	for k, v := range map[string]string{"locale": o.Locale, "accent": o.Accent} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, on := range map[string]bool{"lazy": o.Eager, "consent": o.Consent, "test": o.Test, "datalayer": o.DataLayer} {
		if on {
			q.Set(k, embedChecked[k])
		}
	}
	return q
}

// embedChecked is the value each checkbox of the Embed page's form sends
// when it is ticked (the loader's attribute value, where it has one).
var embedChecked = map[string]string{"lazy": "false", "consent": "required", "test": "1", "datalayer": "1"}

// parseEmbedOptions reads and checks the Embed page's query for viewer v.
// It never falls back silently: every parameter that is not one the form
// offers is an error naming it, and the options returned have the default
// in its place. A partner viewer sees its own partner only.
func (s *Server) parseEmbedOptions(q url.Values, v viewer) (embedOptions, []*Error) {
	o := embedOptions{Theme: "light", View: "quiz"}
	var errs []*Error
	bad := func(code, format string, args ...any) { errs = append(errs, Errorf(code, format, args...)) }

	ps := s.partners.Load()
	o.Partner = q.Get("partner")
	switch {
	case !v.admin && o.Partner == "":
		o.Partner = v.partner
	case !v.canSee(o.Partner):
		// Whether it exists or not: a partner learns nothing of others.
		bad(EForbidden, "partner: you may see only your own snippet, not partner %q's", o.Partner)
		o.Partner = v.partner
	case o.Partner == "":
		if ids := ps.IDs(); len(ids) > 0 {
			o.Partner = ids[0]
		}
	}
	if _, ok := ps.Partner(o.Partner); !ok && o.Partner != "" {
		bad(ENotFound, "partner: no partner %q is registered", o.Partner)
		o.Partner = ""
	}

	ids := s.cfg.Content.IDs()
	o.Widget = q.Get("widget")
	if o.Widget == "" && len(ids) > 0 {
		o.Widget = ids[0]
	}
	if !slices.Contains(ids, o.Widget) {
		bad(ENotFound, "widget: no widget %q", o.Widget)
		o.Widget = ""
		if len(ids) > 0 {
			o.Widget = ids[0]
		}
	}
	if l := q.Get("locale"); l != "" {
		if slices.Contains(s.cfg.Content.Locales(o.Widget), l) {
			o.Locale = l
		} else {
			bad(EInvalid, "locale: the widget has no locale %q (it has %s)", l, strings.Join(s.cfg.Content.Locales(o.Widget), ", "))
		}
	}
	if t := q.Get("theme"); t != "" {
		if themes[t] {
			o.Theme = t
		} else {
			bad(EInvalid, "theme: %q is not light, dark or auto", t)
		}
	}
	if vw := q.Get("view"); vw != "" {
		if views[vw] {
			o.View = vw
		} else {
			bad(EInvalid, "view: %q is not quiz, table or full", vw)
		}
	}
	if a := strings.TrimSpace(q.Get("accent")); a != "" {
		if accentPattern.MatchString(a) {
			o.Accent = strings.ToLower(a)
		} else {
			bad(EInvalid, "accent: %q is not a colour written #rgb or #rrggbb", a)
		}
	}
	for _, k := range []string{"lazy", "consent", "test", "datalayer"} {
		if !q.Has(k) {
			continue
		}
		if q.Get(k) != embedChecked[k] {
			bad(EInvalid, "%s: %q is not a value this option takes (%q, or leave it out)", k, q.Get(k), embedChecked[k])
			continue
		}
		switch k {
		case "lazy":
			o.Eager = true
		case "consent":
			o.Consent = true
		case "test":
			o.Test = true
		case "datalayer":
			o.DataLayer = true
		}
	}
	return o, errs
}

// snippet is the HTML a partner pastes for o, served from origin: the
// placeholder with its options and its fallback link, then the loader.
// Every value in it was validated; the widget's title and the URLs are
// escaped all the same. preview adds data-forgefit-test whatever o says:
// the preview never counts.
func (s *Server) snippet(o embedOptions, origin string, preview bool) string {
	attrs := [][2]string{{"widget", o.Widget}, {"partner", o.Partner}}
	fallback := url.Values{"partner": {o.Partner}}
	add := func(name, value string, inLink bool) {
		attrs = append(attrs, [2]string{name, value})
		if inLink {
			fallback.Set(name, value)
		}
	}
	if o.Locale != "" {
		add("locale", o.Locale, true)
	}
	if o.Theme != "light" {
		add("theme", o.Theme, true)
	}
	if o.View != "quiz" {
		add("view", o.View, true)
	}
	if o.Accent != "" {
		add("accent", o.Accent, true)
	}
	if o.Eager {
		add("lazy", "false", false)
	}
	if o.Consent {
		add("consent", "required", true)
	}
	if o.DataLayer {
		add("datalayer", "", false)
	}
	if o.Test || preview {
		add("test", "", false)
		fallback.Set("test", "1")
	}
	title := o.Widget
	if w, err := s.cfg.Content.Widget(o.Widget, o.Locale); err == nil && w.Title != "" {
		title = w.Title
	}
	var b strings.Builder
	b.WriteString("<div")
	for _, a := range attrs {
		b.WriteString(" data-forgefit-" + a[0])
		if a[1] != "" {
			b.WriteString(`="` + template.HTMLEscapeString(a[1]) + `"`)
		}
	}
	link := origin + "/w/" + url.PathEscape(o.Widget) + "?" + fallback.Encode()
	fmt.Fprintf(&b, ">\n  <a href=\"%s\">%s</a>\n</div>\n", template.HTMLEscapeString(link), template.HTMLEscapeString(title))
	fmt.Fprintf(&b, "<script src=\"%s/embed.js\" async></script>", template.HTMLEscapeString(origin))
	return b.String()
}

// embedPage is what the Embed page's template shows.
type embedPage struct {
	Viewer  string // the signed-in partner's name, when not admin
	Admin   bool
	CSRF    string
	Errors  []*Error
	Options embedOptions

	Partners []choice // the admin's choice of partners
	Widgets  []choice
	Locales  []choice // the chosen widget's
	Themes   []choice
	Views    []choice

	PartnerName string
	Origins     []string // the partner's registered origins
	Snippet     string
	Reserve     string
	CSP         string
	Origin      string // ours, as browsers see it
	PreviewURL  string
}

// handleEmbed handles "GET /dashboard/embed": the Embed page for the
// signed-in viewer, or the sign-in page.
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewerOf(r)
	if !ok || bearerToken(r) != "" {
		s.renderDashboard(w, r, http.StatusOK, &dashboardPage{})
		return
	}
	cookie, _ := r.Cookie(sessionCookie)
	o, errs := s.parseEmbedOptions(r.URL.Query(), v)
	origin := s.publicOrigin(r)
	page := &embedPage{
		Viewer: s.partnerName(v.partner), Admin: v.admin, CSRF: s.sessions.csrf(cookie.Value),
		Errors: errs, Options: o, Origin: origin, Reserve: embedReserveRule,
		CSP:    "script-src " + origin + ";\nframe-src " + origin + ";",
		Themes: []choice{{"light", "Light (default)"}, {"dark", "Dark"}, {"auto", "The visitor’s setting"}},
		Views: []choice{{"quiz", "Questions first (default)"}, {"table", "Comparison table first"},
			{"full", "The whole article, unfolded"}},
	}
	if v.admin {
		for _, id := range s.partners.Load().IDs() {
			page.Partners = append(page.Partners, choice{id, s.partnerName(id)})
		}
	}
	for _, id := range s.cfg.Content.IDs() {
		title := id
		if wc, err := s.cfg.Content.Widget(id, content.DefaultLocale); err == nil && wc.Title != "" {
			title = wc.Title
		}
		page.Widgets = append(page.Widgets, choice{id, title})
	}
	page.Locales = []choice{{"", "Default (" + content.DefaultLocale + ")"}}
	for _, l := range s.cfg.Content.Locales(o.Widget) {
		if l != content.DefaultLocale {
			page.Locales = append(page.Locales, choice{l, l})
		}
	}
	status := http.StatusOK
	for i, e := range errs {
		if i == 0 || e.Code == EForbidden { // a refusal is what the status says
			status = statusOf[e.Code]
		}
	}
	if len(errs) == 0 {
		if p, ok := s.partners.Load().Partner(o.Partner); ok {
			page.PartnerName = p.Name
			page.Origins = p.Origins
			page.Snippet = s.snippet(o, origin, false)
			page.PreviewURL = "/dashboard/embed/preview?" + o.query().Encode()
		}
	}
	// As the dashboard's, with frames of our own: the preview.
	s.renderPage(w, r, status, embedTemplate.Lookup("dashboard_embed.html"), page,
		"default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// handleEmbedPreview handles "GET /dashboard/embed/preview": the Embed
// page's snippet, running on our origin in test mode (see the comment at
// the top of this file), for a signed-in viewer who may see the partner.
func (s *Server) handleEmbedPreview(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewerOf(r)
	if !ok || bearerToken(r) != "" {
		s.writeError(w, r, Errorf(EUnauthorized, "sign in to the dashboard to see the preview"))
		return
	}
	o, errs := s.parseEmbedOptions(r.URL.Query(), v)
	if len(errs) > 0 {
		s.writeError(w, r, errs[0])
		return
	}
	if o.Partner == "" {
		s.writeError(w, r, Errorf(ENotFound, "no partner is registered"))
		return
	}
	// Not minified: the page holds the snippet exactly as the Embed page
	// shows it, built from checked values and escaped.
	var buf bytes.Buffer
	page := struct{ Snippet template.HTML }{template.HTML(s.snippet(o, s.publicOrigin(r), true))}
	if err := embedTemplate.ExecuteTemplate(&buf, "preview", page); err != nil {
		s.writeError(w, r, fmt.Errorf("rendering the embed preview: %w", err))
		return
	}
	// The loader and the widget's frame are ours; only the Embed page
	// (our origin) may frame it.
	writeHTMLPage(w, http.StatusOK, buf.Bytes(), "SAMEORIGIN",
		"default-src 'none'; script-src 'self'; frame-src 'self'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'")
}

// handleEmbedPreviewCSS handles "GET /dashboard/embed/preview.css": the
// preview page's stylesheet, the rule partners put in theirs.
func (s *Server) handleEmbedPreviewCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", cacheShort)
	_, _ = w.Write([]byte("body { margin: 0; }\n" + embedReserveRule + "\n"))
}

// previewHost reports whether a widget page with host origin and test mode
// is the Embed page's preview: our own origin, in test mode only.
func (s *Server) previewHost(r *http.Request, origin string, test bool) bool {
	return test && origin != "" && origin == s.publicOrigin(r)
}

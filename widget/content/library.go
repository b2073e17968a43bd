package content

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

//go:embed defaults/*.json
var defaults embed.FS

// ErrNotFound is returned for a widget that does not exist.
var ErrNotFound = errors.New("no such widget")

// Library holds every widget in every locale it has.
type Library struct {
	widgets map[string]map[string]*Widget // id → locale → content
}

// Default returns the library built into the binary.
func Default() (*Library, error) {
	lib := &Library{widgets: map[string]map[string]*Widget{}}
	if err := lib.AddFS(defaults, "defaults"); err != nil {
		return nil, err
	}
	return lib, nil
}

// AddFS adds or replaces widgets from every "*.json" file in dir of fsys.
// A file holds one widget in one locale and is named "{widget}.{locale}.json";
// its errors name the file, the widget and the field. Every locale of a
// widget must have the same ids and weights as its DefaultLocale content.
// On error the library is left as it was.
func (l *Library) AddFS(fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	next := make(map[string]map[string]*Widget, len(l.widgets))
	for id, locales := range l.widgets {
		next[id] = maps.Clone(locales)
	}
	var errs []error
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w, err := Parse(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("content file %s: %w", name, err))
			continue
		}
		// The name is how an author finds the file that overrides another,
		// so it must say what the file holds.
		if want := w.ID + "." + w.Locale + ".json"; path.Base(name) != want {
			errs = append(errs, fmt.Errorf("content file %s: holds widget %q in locale %q, so it must be named %s", name, w.ID, w.Locale, want))
			continue
		}
		if next[w.ID] == nil {
			next[w.ID] = map[string]*Widget{}
		}
		next[w.ID][w.Locale] = w
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(next)) {
		base := next[id][DefaultLocale]
		if base == nil {
			errs = append(errs, fmt.Errorf("widget %q has no %q content, which every locale falls back to", id, DefaultLocale))
			continue
		}
		for _, loc := range slices.Sorted(maps.Keys(next[id])) {
			if err := sameShape(base, next[id][loc]); err != nil {
				errs = append(errs, fmt.Errorf("widget %q locale %q: %w", id, loc, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.widgets = next
	return nil
}

// Parse decodes and validates one widget's content and stamps its version.
func Parse(b []byte) (*Widget, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w Widget
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value")
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("widget %q: %w", w.ID, err)
	}
	w.Version = ""
	canonical, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canonical)
	w.Version = hex.EncodeToString(sum[:6])
	return &w, nil
}

// Widget returns a widget's content in locale, falling back to the default
// locale when that locale is missing. The returned value is shared: treat it
// as read-only.
func (l *Library) Widget(id, locale string) (*Widget, error) {
	locales, ok := l.widgets[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if w, ok := locales[locale]; ok {
		return w, nil
	}
	if i := strings.IndexByte(locale, '-'); i > 0 {
		if w, ok := locales[locale[:i]]; ok {
			return w, nil
		}
	}
	return locales[DefaultLocale], nil
}

// HasLocale reports whether widget id has content in exactly locale, with no
// fallback: the content API answers 404 for a locale it does not have.
func (l *Library) HasLocale(id, locale string) bool {
	_, ok := l.widgets[id][locale]
	return ok
}

// Locales lists the locales widget id has, sorted; none for an unknown id.
func (l *Library) Locales(id string) []string {
	return slices.Sorted(maps.Keys(l.widgets[id]))
}

// IDs lists the widget ids, sorted.
func (l *Library) IDs() []string {
	return slices.Sorted(maps.Keys(l.widgets))
}

// Version is a hash over every widget's content version: it changes when any
// content changes.
func (l *Library) Version() string {
	h := sha256.New()
	for _, id := range l.IDs() {
		for _, loc := range l.Locales(id) {
			fmt.Fprintf(h, "%s/%s/%s\n", id, loc, l.widgets[id][loc].Version)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// Package i18n holds the product's words in every language it speaks and formats dates,
// numbers and money the way each language writes them. A language is one message file in
// locales/ (en.yaml, de.yaml, …): adding a file adds the language. Messages are looked up by a
// stable key ("nav.members"); plurals follow CLDR's rules through go-i18n ("1 Mitglied",
// "3 Mitglieder"), formats come from CLDR's data through go-playground/locales.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/locales"
	"github.com/go-playground/locales/currency"
	"github.com/go-playground/locales/de"
	"github.com/go-playground/locales/en"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	xcurrency "golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// Fallback is the language of a key another language lacks, and of a request that asks for
// none the catalogue has. The key-parity test keeps every language complete.
const Fallback = "en"

//go:embed locales/*.yaml
var files embed.FS

// formats are CLDR's date, time, number and money formats per language; a language without an
// entry writes them as Fallback does.
var formats = map[string]func() locales.Translator{"en": en.New, "de": de.New}

// Catalog is every language's messages.
type Catalog struct {
	bundle  *goi18n.Bundle
	langs   []string
	tags    []language.Tag
	matcher language.Matcher
	keys    map[string][]string // language → its keys, sorted
	names   map[string]string   // language → its name in itself, for the switch
}

// Load reads the embedded message files, once: they are compiled in and a Catalog is read-only,
// so every caller (the server, each campaign preview's texts) shares one.
func Load() (*Catalog, error) { return loadEmbedded() }

var loadEmbedded = sync.OnceValues(func() (*Catalog, error) { return LoadFS(files, "locales") })

// LoadFS reads the message files *.yaml in dir of fsys; each file is one language, named by its
// BCP 47 tag (de.yaml), or a part of one (members.de.yaml).
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{bundle: goi18n.NewBundle(language.English), keys: map[string][]string{}, names: map[string]string{}}
	c.bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read message files: %w", err)
	}
	for _, e := range entries {
		if path.Ext(e.Name()) != ".yaml" {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read message file %s: %w", e.Name(), err)
		}
		mf, err := c.bundle.ParseMessageFileBytes(b, e.Name())
		if err != nil {
			return nil, fmt.Errorf("message file %s: %w", e.Name(), err)
		}
		// "de.yaml" is German; so is "members.de.yaml", a part of it kept apart while
		// several people write at once.
		name := strings.TrimSuffix(e.Name(), ".yaml")
		lang := name[strings.LastIndex(name, ".")+1:]
		if !slices.Contains(c.langs, lang) {
			c.langs = append(c.langs, lang)
			c.tags = append(c.tags, mf.Tag)
		}
		for _, m := range mf.Messages {
			c.keys[lang] = append(c.keys[lang], m.ID)
			if m.ID == "language.name" {
				c.names[lang] = m.Other
			}
		}
		slices.Sort(c.keys[lang])
	}
	if !slices.Contains(c.langs, Fallback) {
		return nil, fmt.Errorf("message files: no %s.yaml", Fallback)
	}
	// The fallback first: the matcher answers it when nothing else fits.
	i := slices.Index(c.langs, Fallback)
	c.langs[0], c.langs[i] = c.langs[i], c.langs[0]
	c.tags[0], c.tags[i] = c.tags[i], c.tags[0]
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// Languages lists the languages, Fallback first.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Has reports whether lang is one of the catalogue's languages.
func (c *Catalog) Has(lang string) bool { return slices.Contains(c.langs, lang) }

// Name is lang's name in itself ("Deutsch").
func (c *Catalog) Name(lang string) string { return c.names[lang] }

// Keys lists lang's message keys, sorted.
func (c *Catalog) Keys(lang string) []string { return slices.Clone(c.keys[lang]) }

// Match picks the catalogue's language for an Accept-Language header, or def when the header
// names none of them.
func (c *Catalog) Match(acceptLanguage, def string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return def
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return def
	}
	return c.langs[i]
}

// Localizer speaks one language: its messages and its formats.
type Localizer struct {
	lang    string
	loc     *goi18n.Localizer
	fmt     locales.Translator
	printer *message.Printer
}

// Localizer is lang's localizer; a language the catalogue lacks gets Fallback's.
func (c *Catalog) Localizer(lang string) *Localizer {
	if !c.Has(lang) {
		lang = Fallback
	}
	f, ok := formats[lang]
	if !ok {
		f = formats[Fallback]
	}
	return &Localizer{lang: lang, loc: goi18n.NewLocalizer(c.bundle, lang, Fallback), fmt: f(), printer: message.NewPrinter(language.Make(lang))}
}

// Lang is the localizer's language.
func (l *Localizer) Lang() string { return l.lang }

// T is the message key in the localizer's language. args are name, value pairs for the
// message's {{.Name}} fields. A key no language has comes back as the key itself, so a missing
// message shows on the page (and the key-parity and key-use tests fail) instead of vanishing.
func (l *Localizer) T(key string, args ...any) string {
	return l.localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data(args)})
}

// N is the plural message key for count, which its text shows as {{.Count}}.
func (l *Localizer) N(key string, count int, args ...any) string {
	d := data(args)
	d["Count"] = l.Number(int64(count))
	return l.localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: d, PluralCount: count})
}

func (l *Localizer) localize(lc *goi18n.LocalizeConfig) string {
	s, err := l.loc.Localize(lc)
	if err != nil && s == "" {
		return lc.MessageID
	}
	return s
}

func data(args []any) map[string]any {
	d := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			d[k] = args[i+1]
		}
	}
	return d
}

// Date writes a day as the language does: "Dec 5, 2026", "05.12.2026".
func (l *Localizer) Date(t time.Time) string { return l.fmt.FmtDateMedium(t) }

// Time writes a time of day: "6:30 PM", "18:30".
func (l *Localizer) Time(t time.Time) string { return l.fmt.FmtTimeShort(t) }

// DateTime writes a day and a time.
func (l *Localizer) DateTime(t time.Time) string { return l.Date(t) + ", " + l.Time(t) }

// Duration writes a length of time in hours and minutes, rounded to the minute, with the
// language's plurals: "1 hour 30 minutes", "10 Minuten".
func (l *Localizer) Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if h > 0 {
		parts = append(parts, l.N("duration.hours", h))
	}
	if m > 0 || h == 0 {
		parts = append(parts, l.N("duration.minutes", m))
	}
	return strings.Join(parts, " ")
}

// MonthShort writes t's month as the language abbreviates it: "Mar", "März".
func (l *Localizer) MonthShort(t time.Time) string { return l.fmt.MonthAbbreviated(t.Month()) }

// MonthYear writes t's month and year: "March 2026", "März 2026".
func (l *Localizer) MonthYear(t time.Time) string {
	return l.fmt.MonthWide(t.Month()) + " " + strconv.Itoa(t.Year())
}

// Number writes a whole number with the language's grouping: "12,345", "12.345".
func (l *Localizer) Number(n int64) string { return l.fmt.FmtNumber(float64(n), 0) }

// Money writes an amount in minor units (cents) of an ISO 4217 currency: "€45.00", "45,00 €".
// CLDR's pattern (where the sign goes, the separators) comes from go-playground/locales; its
// English data names the euro "EUR", so the sign is x/text's narrow symbol. An unknown
// currency is written as a number with its code.
func (l *Localizer) Money(minor int64, code string) string {
	code = strings.ToUpper(code)
	c, ok := currencies[code]
	if !ok {
		return l.fmt.FmtNumber(float64(minor)/100, 2) + " " + code
	}
	s := l.fmt.FmtCurrency(float64(minor)/100, 2, c)
	if unit, err := xcurrency.ParseISO(code); err == nil {
		if sym := l.printer.Sprint(xcurrency.NarrowSymbol(unit)); sym != code {
			s = strings.Replace(s, code, sym, 1)
		}
	}
	return s
}

// currencies are the ones a club here bills in.
var currencies = map[string]currency.Type{"EUR": currency.EUR, "CHF": currency.CHF, "USD": currency.USD, "GBP": currency.GBP}

type ctxKey struct{}

// With returns ctx carrying l, for templates and handlers further down.
func With(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From is the localizer ctx carries, or an English one for a ctx without (a test rendering a
// component on its own).
func From(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(ctxKey{}).(*Localizer); ok {
		return l
	}
	return english()
}

// english speaks when no request chose: a catalogue of the embedded files, loaded once.
var english = sync.OnceValue(func() *Localizer {
	c, err := Load()
	if err != nil {
		panic(err) // the embedded files are tested to load
	}
	return c.Localizer(Fallback)
})

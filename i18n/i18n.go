package i18n

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Locale is a language circlebot speaks, named by the Discord locale code
// of its catalog: "en-US", "de", "es-ES", "fr", "pt-BR".
type Locale string

// The languages at release. English is the source every other catalog
// translates, and what anything missing falls back to.
const (
	English    Locale = "en-US"
	German     Locale = "de"
	Spanish    Locale = "es-ES"
	French     Locale = "fr"
	Portuguese Locale = "pt-BR"
)

// Supported lists the languages in the order menus show them.
var Supported = []Locale{English, German, Spanish, French, Portuguese}

// language describes one catalog: its file, its native name and the
// Discord locale codes it answers for.
type lang struct {
	file    string   // in locales/
	tag     string   // BCP 47, for CLDR plural rules
	native  string   // the name people of that language know it by
	discord []string // Discord locale codes served, the first being Locale
}

var langs = map[Locale]lang{
	English:    {"en.toml", "en", "English", []string{"en-US", "en-GB"}},
	German:     {"de.toml", "de", "Deutsch", []string{"de"}},
	Spanish:    {"es.toml", "es", "Español", []string{"es-ES", "es-419"}},
	French:     {"fr.toml", "fr", "Français", []string{"fr"}},
	Portuguese: {"pt-BR.toml", "pt-BR", "Português (Brasil)", []string{"pt-BR"}},
}

//go:embed locales/*.toml
var files embed.FS

// Args are a message's named placeholders ({{.Circle}}). "Count", when
// present, also chooses the plural form.
type Args map[string]any

// Message is one catalog entry: a single text, or plural forms by CLDR
// category (one, few, many, other…).
type Message struct {
	Text   string            // when not plural
	Plural map[string]string // CLDR category → text
}

// Forms returns the message's texts: the one text, or each plural form.
func (m Message) Forms() []string {
	if m.Plural == nil {
		return []string{m.Text}
	}
	keys := make([]string, 0, len(m.Plural))
	for k := range m.Plural {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m.Plural[k]
	}
	return out
}

var pluralCategories = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

type catalogs struct {
	bundle     *goi18n.Bundle
	localizers map[Locale]*goi18n.Localizer
	messages   map[Locale]map[string]Message
}

var (
	loadOnce sync.Once
	loaded   *catalogs
)

func load() *catalogs {
	loadOnce.Do(func() {
		c, err := loadCatalogs()
		if err != nil {
			// The catalogs are embedded: a broken one is a build defect
			// that the package's tests catch.
			panic(err)
		}
		loaded = c
	})
	return loaded
}

func loadCatalogs() (*catalogs, error) {
	c := &catalogs{
		bundle:     goi18n.NewBundle(language.English),
		localizers: map[Locale]*goi18n.Localizer{},
		messages:   map[Locale]map[string]Message{},
	}
	for _, loc := range Supported {
		l := langs[loc]
		msgs := map[string]Message{}
		for _, name := range catalogFiles(l.file) {
			raw, err := files.ReadFile(path.Join("locales", name))
			if err != nil {
				return nil, err
			}
			var tree map[string]any
			if err := toml.Unmarshal(raw, &tree); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			part := map[string]Message{}
			if err := flatten("", tree, part); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			for id, m := range part {
				if _, dup := msgs[id]; dup {
					return nil, fmt.Errorf("i18n: %s: %s is also in another %s file", name, id, l.file)
				}
				msgs[id] = m
			}
		}
		tag := language.MustParse(l.tag)
		for id, m := range msgs {
			gm := &goi18n.Message{ID: id, Other: m.Text}
			if m.Plural != nil {
				gm.Zero, gm.One, gm.Two, gm.Few, gm.Many, gm.Other = m.Plural["zero"], m.Plural["one"], m.Plural["two"], m.Plural["few"], m.Plural["many"], m.Plural["other"]
			}
			if err := c.bundle.AddMessages(tag, gm); err != nil {
				return nil, fmt.Errorf("i18n: %s: %s: %w", l.file, id, err)
			}
		}
		c.messages[loc] = msgs
	}
	for _, loc := range Supported {
		c.localizers[loc] = goi18n.NewLocalizer(c.bundle, langs[loc].tag, "en")
	}
	return c, nil
}

// catalogFiles are a language's files in locales/: its main file
// ("de.toml") and the parts kept beside it by feature ("de.room.toml"),
// in name order. A key may be in only one of them.
func catalogFiles(main string) []string {
	stem := strings.TrimSuffix(main, ".toml")
	out := []string{main}
	entries, _ := files.ReadDir("locales")
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, stem+".") && n != main && strings.HasSuffix(n, ".toml") && !strings.Contains(strings.TrimSuffix(strings.TrimPrefix(n, stem+"."), ".toml"), ".") {
			out = append(out, n)
		}
	}
	sort.Strings(out[1:])
	return out
}

// flatten turns nested TOML tables into dotted keys; a table whose keys
// are all plural categories is one plural message.
func flatten(prefix string, tree map[string]any, out map[string]Message) error {
	for k, v := range tree {
		id := k
		if prefix != "" {
			id = prefix + "." + k
		}
		switch v := v.(type) {
		case string:
			out[id] = Message{Text: v}
		case map[string]any:
			plural := len(v) > 0
			for pk, pv := range v {
				if _, ok := pv.(string); !ok || !pluralCategories[pk] {
					plural = false
					break
				}
			}
			if !plural {
				if err := flatten(id, v, out); err != nil {
					return err
				}
				continue
			}
			if _, ok := v["other"]; !ok {
				return fmt.Errorf("%s: plural message without \"other\"", id)
			}
			m := Message{Plural: map[string]string{}}
			for pk, pv := range v {
				m.Plural[pk] = pv.(string)
			}
			out[id] = m
		default:
			return fmt.Errorf("%s: a message is a string or a table of plural forms, not %T", id, v)
		}
	}
	return nil
}

// T renders the message key in loc with args; Args["Count"] picks the
// plural form. A key missing in loc falls back to English; a key missing
// in English too (a bug the tests catch) renders as the key itself, so a
// reply is never empty.
func T(loc Locale, key string, args ...Args) string {
	c := load()
	l, ok := c.localizers[loc]
	if !ok {
		loc, l = English, c.localizers[English]
	}
	// Most texts (labels, headings) have no placeholder and no plural
	// forms: they are what the catalog says, without a template run.
	if m, ok := c.messages[loc][key]; ok && m.Plural == nil && !strings.Contains(m.Text, "{{") {
		return m.Text
	}
	cfg := &goi18n.LocalizeConfig{MessageID: key}
	if len(args) > 0 && args[0] != nil {
		data := args[0]
		if len(args) > 1 {
			data = Args{}
			for _, a := range args {
				for k, v := range a {
					data[k] = v
				}
			}
		}
		cfg.TemplateData = map[string]any(data)
		if n, ok := data["Count"]; ok && c.messages[English][key].Plural != nil {
			cfg.PluralCount = n
		}
	}
	s, err := l.Localize(cfg)
	if err != nil && loc != English {
		// A plural form the translation lacks: English rather than nothing.
		s, err = c.localizers[English].Localize(cfg)
	}
	if err != nil {
		return key
	}
	return s
}

// Has reports whether English, the source catalog, has key.
func Has(key string) bool {
	_, ok := load().messages[English][key]
	return ok
}

// Catalog returns a copy of loc's messages by key, for tests and tools.
func Catalog(loc Locale) map[string]Message {
	src := load().messages[loc]
	out := make(map[string]Message, len(src))
	for k, v := range src {
		out[k] = v
	}
	return out
}

// Keys returns English's keys with prefix, sorted.
func Keys(prefix string) []string {
	var out []string
	for k := range load().messages[English] {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Match maps a Discord locale code to the language that serves it
// ("en-GB" → English, "es-419" → Spanish); ok is false for a language
// circlebot doesn't speak (yet).
func Match(code string) (Locale, bool) {
	code = strings.TrimSpace(code)
	for _, loc := range Supported {
		for _, d := range langs[loc].discord {
			if strings.EqualFold(d, code) {
				return loc, true
			}
		}
	}
	return "", false
}

// Resolve returns the language of the first code circlebot speaks, in the
// order given — for an ephemeral reply the interaction's locale, then the
// member's last-seen one, then the server's preferred locale — and English
// when none is one of ours.
func Resolve(codes ...string) Locale {
	for _, c := range codes {
		if loc, ok := Match(c); ok {
			return loc
		}
	}
	return English
}

// Valid reports whether loc is one of Supported.
func (loc Locale) Valid() bool { _, ok := langs[loc]; return ok }

// Name is the language's own name ("Deutsch").
func (loc Locale) Name() string { return langs[loc].native }

// DiscordCodes are the Discord locale codes loc serves.
func (loc Locale) DiscordCodes() []string { return append([]string(nil), langs[loc].discord...) }

// T renders key in loc (see the package function T).
func (loc Locale) T(key string, args ...Args) string { return T(loc, key, args...) }

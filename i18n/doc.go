// Package i18n holds circlebot's message catalogs and the one way the bot
// turns a message key into text: T(locale, key, args). Catalogs are TOML
// files per language in locales/, embedded; plural forms follow CLDR rules
// through github.com/nicksnyder/go-i18n/v2. The package also maps Discord's
// locale codes (en-US, en-GB, de, es-ES, es-419, fr, pt-BR …) to the
// languages circlebot speaks and picks one from the locales an interaction,
// a member and a server give (Resolve). It knows nothing of Discord's API
// or of the store: docs/I18N.md says how to add a language.
package i18n

// Package config loads circlebot's settings from a TOML file and the
// DISCORD_TOKEN environment variable.
//
// Loading is strict on purpose: a misspelt key, a value of the wrong type, an
// out-of-range number or an unknown time zone is reported with the file and
// the key, and every problem in the file is reported at once, so an operator
// fixes the file in one pass instead of one restart per mistake. The bot token
// is never read from the file (files get committed and pasted into chats) and
// never printed: Config's String, GoString and LogValue redact it.
//
// config.example.toml at the repository root lists every key with its default;
// a test keeps it equal to Default.
package config

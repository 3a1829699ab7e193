package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"
)

// LogDiscordgo sends discordgo's own log lines to log, as records in its
// format with lib=discordgo, until the returned function is called; then
// they go back to whichever logger was routed before (slog's default when
// none). (Refusals of the gateway are not read from these lines: the bot
// reconnects its shards itself and sees each refusal, shards.go.)
//
// discordgo.Logger is a process global that discordgo reads without a
// lock, so it is set once per process, on the first call, and each call
// after only changes where the lines go. Call it before starting a bot;
// bot.New doesn't, because tests run many bots at once.
func LogDiscordgo(log *slog.Logger) (restore func()) {
	libLog.install()
	return libLog.route(log)
}

// discordgoLog turns discordgo's log lines into slog records.
type discordgoLog struct {
	once  sync.Once
	mu    sync.Mutex
	sinks []*slog.Logger // the last one gets the lines
}

// libLog is the process's discordgo log (LogDiscordgo).
var libLog = &discordgoLog{}

func (d *discordgoLog) install() {
	d.once.Do(func() { discordgo.Logger = d.line })
}

// route makes log the one lines go to, until restore.
func (d *discordgoLog) route(log *slog.Logger) (restore func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sinks = append(d.sinks, log)
	idx := len(d.sinks) - 1 // restore removes this route, whatever came after
	var once sync.Once
	return func() {
		once.Do(func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			d.sinks[idx] = nil
			for len(d.sinks) > 0 && d.sinks[len(d.sinks)-1] == nil {
				d.sinks = d.sinks[:len(d.sinks)-1]
			}
		})
	}
}

// sink is the logger lines go to now.
func (d *discordgoLog) sink() *slog.Logger {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.sinks) - 1; i >= 0; i-- {
		if d.sinks[i] != nil {
			return d.sinks[i]
		}
	}
	return slog.Default()
}

// line is discordgo.Logger: a discordgo log level, how far up the stack
// the message comes from (unused), and a Printf format with its values.
func (d *discordgoLog) line(level, _ int, format string, args ...any) {
	lvl := slogLevel(level)
	if carries(args, errGatewayStopped) {
		lvl = slog.LevelDebug // a stopped bot's discordgo still trying: expected
	}
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	d.sink().Log(context.Background(), lvl, msg, "lib", "discordgo")
}

// slogLevel maps discordgo's log levels to slog's.
func slogLevel(level int) slog.Level {
	switch level {
	case discordgo.LogError:
		return slog.LevelError
	case discordgo.LogWarning:
		return slog.LevelWarn
	case discordgo.LogInformational:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// carries reports whether one of a log line's values is (or wraps) target.
func carries(args []any, target error) bool {
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, target) {
			return true
		}
	}
	return false
}

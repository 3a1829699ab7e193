package bot

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
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
	d.once.Do(func() {
		discordgo.Logger = d.line
		// A few of discordgo's lines bypass its Logger and go to the
		// standard log package ("error closing resp body"); circlebot's
		// own code and its other libraries don't use it. They go the
		// same way, so that every line is in log.format.
		log.SetFlags(0)
		log.SetPrefix("")
		log.SetOutput(stdLog{d})
	})
}

// stdLog is the standard log package's output while LogDiscordgo is
// installed: each line a warning from discordgo.
type stdLog struct{ d *discordgoLog }

func (w stdLog) Write(p []byte) (int, error) {
	log, ok := w.d.routed()
	if !ok {
		// Not slog.Default: unless replaced, it writes to the log
		// package, which is this.
		return os.Stderr.Write(p)
	}
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			log.Log(context.Background(), slog.LevelWarn, line, "lib", "discordgo")
		}
	}
	return len(p), nil
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
	if log, ok := d.routed(); ok {
		return log
	}
	return slog.Default()
}

// routed is the latest route still in place, if any.
func (d *discordgoLog) routed() (*slog.Logger, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.sinks) - 1; i >= 0; i-- {
		if d.sinks[i] != nil {
			return d.sinks[i], true
		}
	}
	return nil, false
}

// line is discordgo.Logger: a discordgo log level, how far up the stack
// the message comes from (unused), and a Printf format with its values.
func (d *discordgoLog) line(level, _ int, format string, args ...any) {
	lvl := slogLevel(level)
	if carries(args, errGatewayStopped) {
		lvl = slog.LevelDebug // a stopped bot's discordgo still trying: expected
	}
	if carries(args, net.ErrClosed) {
		// A connection closed beneath discordgo, which only the bot
		// does (Options.QuickClose cutting the gateway): expected.
		// Discord dropping it is an EOF or a reset, and stays a warning.
		lvl = slog.LevelDebug
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

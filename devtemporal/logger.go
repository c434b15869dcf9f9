package devtemporal

import (
	"context"
	"log/slog"
	"strings"

	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter hands the server's log lines to our slog logger. The server
// is chatty at info level, so only warnings and errors are passed on.
type slogAdapter struct {
	l *slog.Logger
}

var _ tlog.Logger = slogAdapter{}

func newLogger(l *slog.Logger) tlog.Logger {
	return slogAdapter{l: l.With("component", "temporal")}
}

// quiet are startup warnings about features a one-process server does not
// use.
var quiet = []string{"HTTP API port has not been set"}

func (a slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	for _, q := range quiet {
		if strings.HasPrefix(msg, q) {
			return
		}
	}
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	a.l.LogAttrs(ctx, level, msg, attrs...)
}

func (a slogAdapter) Debug(string, ...tag.Tag)           {}
func (a slogAdapter) Info(string, ...tag.Tag)            {}
func (a slogAdapter) Warn(msg string, tags ...tag.Tag)   { a.log(slog.LevelWarn, msg, tags) }
func (a slogAdapter) Error(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Panic(msg string, tags ...tag.Tag) {
	a.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (a slogAdapter) Fatal(msg string, tags ...tag.Tag) {
	a.log(slog.LevelError, msg, tags)
	panic(msg)
}

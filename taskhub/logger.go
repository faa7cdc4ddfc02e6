package taskhub

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/microsoft/durabletask-go/backend"
)

// engineLogger adapts durabletask-go's backend.Logger to slog.
//
// The engine logs at Info what is routine for us: every instance started
// and completed, every worker start and stop. Those go to Debug, so a
// campaign of thousands of steps does not flood the log; its warnings and
// errors keep their level.
type engineLogger struct {
	log *slog.Logger
}

func newEngineLogger(log *slog.Logger) backend.Logger {
	return engineLogger{log: log.With(slog.String("component", "durabletask"))}
}

// enabled spares the formatting when the level is off: the engine logs per
// work item.
func (l engineLogger) enabled(level slog.Level) bool {
	return l.log.Enabled(context.Background(), level)
}

func (l engineLogger) print(level slog.Level, v ...any) {
	if l.enabled(level) {
		l.log.Log(context.Background(), level, fmt.Sprint(v...))
	}
}

func (l engineLogger) printf(level slog.Level, format string, v ...any) {
	if l.enabled(level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}

func (l engineLogger) Debug(v ...any)                 { l.print(slog.LevelDebug, v...) }
func (l engineLogger) Debugf(format string, v ...any) { l.printf(slog.LevelDebug, format, v...) }
func (l engineLogger) Info(v ...any)                  { l.print(slog.LevelDebug, v...) }
func (l engineLogger) Infof(format string, v ...any)  { l.printf(slog.LevelDebug, format, v...) }
func (l engineLogger) Warn(v ...any)                  { l.print(slog.LevelWarn, v...) }
func (l engineLogger) Warnf(format string, v ...any)  { l.printf(slog.LevelWarn, format, v...) }
func (l engineLogger) Error(v ...any)                 { l.print(slog.LevelError, v...) }
func (l engineLogger) Errorf(format string, v ...any) { l.printf(slog.LevelError, format, v...) }

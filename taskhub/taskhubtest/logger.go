package taskhubtest

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/microsoft/durabletask-go/backend"
)

// EngineLogger adapts a *slog.Logger to the engine's printf-style
// backend.Logger.
func EngineLogger(log *slog.Logger) backend.Logger {
	return engineLogger{log}
}

type engineLogger struct{ log *slog.Logger }

// emit formats only what the handler will keep: the engine logs every work
// item at debug level, and formatting those would cost the benchmarks.
func (l engineLogger) emit(level slog.Level, msg func() string) {
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, msg())
	}
}

func (l engineLogger) print(level slog.Level, v []any) {
	l.emit(level, func() string { return fmt.Sprint(v...) })
}

func (l engineLogger) printf(level slog.Level, format string, v []any) {
	l.emit(level, func() string { return fmt.Sprintf(format, v...) })
}

func (l engineLogger) Debug(v ...any)                 { l.print(slog.LevelDebug, v) }
func (l engineLogger) Debugf(format string, v ...any) { l.printf(slog.LevelDebug, format, v) }
func (l engineLogger) Info(v ...any)                  { l.print(slog.LevelInfo, v) }
func (l engineLogger) Infof(format string, v ...any)  { l.printf(slog.LevelInfo, format, v) }
func (l engineLogger) Warn(v ...any)                  { l.print(slog.LevelWarn, v) }
func (l engineLogger) Warnf(format string, v ...any)  { l.printf(slog.LevelWarn, format, v) }
func (l engineLogger) Error(v ...any)                 { l.print(slog.LevelError, v) }
func (l engineLogger) Errorf(format string, v ...any) { l.printf(slog.LevelError, format, v) }

package taskhub

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/backend"
)

func TestEngineLoggerLevels(t *testing.T) {
	tests := []struct {
		name string
		call func(l backend.Logger)
		want string // "" when nothing may be written at Info
	}{
		{"debug is dropped", func(l backend.Logger) { l.Debugf("step %d", 1) }, ""},
		{"engine info is routine: dropped", func(l backend.Logger) { l.Infof("%s completed", "x") }, ""},
		{"engine info, print form", func(l backend.Logger) { l.Info("worker started") }, ""},
		{"warning kept", func(l backend.Logger) { l.Warnf("dropping event %d", 3) }, `level=WARN msg="dropping event 3" component=durabletask`},
		{"error kept", func(l backend.Logger) { l.Error("lock ", "lost") }, `level=ERROR msg="lock lost" component=durabletask`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level: slog.LevelInfo,
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			}))
			tc.call(newEngineLogger(log))
			got := strings.TrimSpace(buf.String())
			if got != tc.want {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
		})
	}
}

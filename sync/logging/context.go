package logging

import (
	"context"

	"github.com/rs/zerolog"
)

// Field names every line may carry.
const (
	RunIDField         = "run_id"
	CorrelationIDField = "correlation_id"
)

type ctxKey struct{}

// ctxLog is what a context carries: the run's logger and the one derived from it with the current
// correlation ID. Keeping the base means a new correlation ID replaces the old one instead of adding
// a second correlation_id field.
type ctxLog struct {
	base        zerolog.Logger
	log         zerolog.Logger
	correlation string
}

// WithContext returns ctx carrying l, for From and WithCorrelation (and zerolog.Ctx) further down.
func (l *Logger) WithContext(ctx context.Context) context.Context {
	return withLog(ctx, &ctxLog{base: l.Logger, log: l.Logger})
}

func withLog(ctx context.Context, v *ctxLog) context.Context {
	ctx = context.WithValue(ctx, ctxKey{}, v)
	return v.log.WithContext(ctx)
}

// WithCorrelation returns ctx whose logger adds correlation_id=id to every line. It replaces any
// correlation ID ctx already had. Without a logger in ctx, lines are discarded as with From.
func WithCorrelation(ctx context.Context, id string) context.Context {
	base := zerolog.Nop()
	if v, ok := ctx.Value(ctxKey{}).(*ctxLog); ok {
		base = v.base
	}
	return withLog(ctx, &ctxLog{
		base:        base,
		log:         base.With().Str(CorrelationIDField, id).Logger(),
		correlation: id,
	})
}

// From returns the logger ctx carries (with its correlation ID, if any), or a logger that discards
// everything when ctx carries none. The result is a copy: changing it does not change ctx's.
func From(ctx context.Context) *zerolog.Logger {
	if v, ok := ctx.Value(ctxKey{}).(*ctxLog); ok {
		l := v.log
		return &l
	}
	l := zerolog.Nop()
	return &l
}

// CorrelationID returns the correlation ID set on ctx by WithCorrelation, or "".
func CorrelationID(ctx context.Context) string {
	if v, ok := ctx.Value(ctxKey{}).(*ctxLog); ok {
		return v.correlation
	}
	return ""
}

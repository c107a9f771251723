package logging

import (
	"fmt"
	"io"
	"testing"

	"github.com/rs/zerolog"
)

// BenchmarkLogLine measures one JSON log line through the Redactor with 0 and 10 registered secrets.
func BenchmarkLogLine(b *testing.B) {
	for _, n := range []int{0, 10} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			r := NewRedactor()
			for i := range n {
				r.Add(fmt.Sprintf("benchmark-secret-%02d-0123456789", i))
			}
			l := zerolog.New(r.Writer(io.Discard)).With().Timestamp().Str(RunIDField, NewRunID()).Logger()
			b.ReportAllocs()
			for b.Loop() {
				l.Info().Str("study", "ALPHA(Prod)").Str("site", "101").Int("page", 7).Msg("page stored")
			}
		})
	}
}

package checklist

import (
	"testing"
	"time"
)

func TestAgeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 min", 59 * time.Second: "0 min", 40 * time.Minute: "40 min", time.Hour: "1 h 0 min",
		5*time.Hour + 12*time.Minute: "5 h 12 min", 24 * time.Hour: "1 d 0 h", 76*time.Hour + 30*time.Minute: "3 d 4 h",
	} {
		if got := AgeText(d); got != want {
			t.Errorf("AgeText(%v) = %q, want %q", d, got, want)
		}
	}
	if ValueText("") != "(empty)" || ValueText("Final") != "Final" {
		t.Error("ValueText does not show an empty value as (empty)")
	}
}

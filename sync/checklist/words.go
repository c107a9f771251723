package checklist

import (
	"fmt"
	"time"
)

// AgeText says how long a conflict has waited as a coordinator reads it: "3 d 4 h", "2 h 5 min",
// "12 min". The screens and the command line show ages the same way.
func AgeText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}

// ValueText shows a field's value, "(empty)" for none, so that an empty value is seen, not missed.
func ValueText(v string) string {
	if v == "" {
		return "(empty)"
	}
	return v
}

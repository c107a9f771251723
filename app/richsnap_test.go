package app

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/agent"
)

// richSnap is a busy afternoon: the Rave pull configured and run for one study of three sites, a
// week of activity, a queue with dead letters and an urgent failure, conflicts, quarantined fragments,
// Rave online and the audit trail verified by the schedule.
func richSnap(now time.Time) agent.Snapshot {
	s := pullSnap(true, "", agent.ServiceState{Name: "Rave pull ALPHA(Prod)", Engine: agent.EngineRavePull,
		Subject: "ALPHA(Prod)", Remote: agent.RemoteRave, Runs: 3, LastEnd: now.Add(-2 * time.Minute),
		NextRun: now.Add(3 * time.Minute), Last: pulled(12, 15275, 130, 2)})
	s.Remotes = []agent.RemoteState{{Name: agent.RemoteRave, Title: "Rave", URL: "https://rave.example.org/RaveWebServices",
		Status: agent.RemoteOnline, Since: now.Add(-2 * time.Minute)}}
	s.Audit = agent.AuditState{Entries: 180, Verified: now.Add(-10 * time.Minute), Scheduled: true, VerifiedEntries: 176,
		Every: 24 * time.Hour, NextVerify: now.Add(23 * time.Hour)}
	f := &s.Figures
	f.Read = now
	f.Studies = []agent.StudyFigures{{Study: "ALPHA(Prod)", LastPull: now.Add(-2 * time.Minute), PulledToday: 15275, Quarantined: 2,
		Sites: []agent.SiteFigures{
			{Site: "101", PulledToday: 5120, SentToday: 40, Queued: 3, Conflicts: 1, OldestConflict: now.Add(-50 * time.Hour)},
			{Site: "102", PulledToday: 4980, SentToday: 38, Queued: 0, Dead: 1, Conflicts: 1, OldestConflict: now.Add(-3 * time.Hour)},
			{Site: "103", PulledToday: 5175, SentToday: 41, Queued: 2, Urgent: 1, Dead: 1, Conflicts: 1, OldestConflict: now.Add(-30 * time.Minute)},
		}}}
	f.Totals = agent.Totals{Queued: 5, Dead: 2, Urgent: 1, Conflicts: 3, Quarantined: 2, OldestConflict: now.Add(-50 * time.Hour)}
	f.Activity.Start = now.Truncate(time.Hour).Add(-(agent.ActivityHours - 1) * time.Hour)
	for h := range agent.ActivityHours {
		hour := f.Activity.Start.Add(time.Duration(h) * time.Hour).Hour()
		if hour >= 8 && hour < 18 {
			f.Activity.Pulled[h] = int64(900 + 37*(h%9))
		}
		if hour == 9 {
			f.Activity.Sent[h] = int64(20 + h%5)
		}
	}
	f.Activity.Pulled[agent.ActivityHours-1] = 15275
	return s
}

// solidPNG is a size x size grey square as a PNG.
func solidPNG(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 0x60, 0x60, 0x60, 0xff
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// redPixels counts the alarm red in a PNG.
func redPixels(t *testing.T, data []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return pixelsOf(img, bannerRed)
}

package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// TestDashboardStates: what the dashboard says in each state the agent can be in, and which of it is
// red (something failed), amber (something waits for a person) or green.
func TestDashboardStates(t *testing.T) {
	now := time.Now()
	clock := now.Format("15:04")
	answered := now.Add(-2 * time.Minute).Format("15:04") // richSnap's Rave answered two minutes ago
	cases := []struct {
		name  string
		snap  func() agent.Snapshot
		want  []string
		red   []string
		amber []string
		not   []string
	}{
		{
			name: "empty",
			snap: func() agent.Snapshot { return pullSnap(false, "") },
			want: []string{"0 rows pulled today", "0 dead letters", "0 conflicts to decide", "Audit trail: not verified yet",
				"No study yet: configure the Rave pull", "Rave: not used by this version of trialsync yet.",
				"No activity in the last 7 days", "Not configured: add a [rave] section"},
			not: []string{"Failed", "failed"},
		},
		{
			name: "busy",
			snap: func() agent.Snapshot { return richSnap(now) },
			want: []string{"15,275 rows pulled today", "5 messages waiting to be sent", "Audit trail intact",
				"Intact: 176 entries verified at", "by the schedule", "ALPHA(Prod)", "Site 101", "5,120", "4,980",
				"1 (oldest 2 days ago)", "Rave: online (answered at " + answered + ").", "Rows pulled: " + weekRows(now) + " in the last 7 days"},
			red:   []string{"2 dead letters", "1 urgent failure"},
			amber: []string{"3 conflicts to decide", "2 fragments to review", "1 (oldest 3 hours ago)"},
		},
		{
			name: "offline",
			snap: func() agent.Snapshot {
				s := richSnap(now)
				s.Remotes[0].Status, s.Remotes[0].Err, s.Remotes[0].Since = agent.RemoteOffline,
					"rave: GET studies: dial tcp 10.1.2.3:443: connection refused", now
				return s
			},
			want: []string{"Rave: offline (since " + clock + "). Rave cannot be reached from this computer. trialsync waits and carries on when it answers."},
		},
		{
			name: "paused by the breaker",
			snap: func() agent.Snapshot {
				s := richSnap(now)
				s.Remotes[0].Status, s.Remotes[0].Err = agent.RemotePaused, "rave: GET datasets: paused after repeated failures of rave.example.org"
				return s
			},
			want: []string{"Rave asked trialsync to slow down, so it is pausing before it tries again. Nothing is lost."},
		},
		{
			name: "errors: audit trail broken, a credential rejected",
			snap: func() agent.Snapshot {
				s := richSnap(now)
				s.Audit.Problem, s.Audit.Scheduled = "broken at entry 7: content changed", true
				s.Remotes[0].Err = "credential rave.password rejected: rws: 401 Unauthorized: RWS00008"
				return s
			},
			want: []string{"Audit trail: failed verification",
				"Rave: online; the last request failed at " + answered + ". Rave did not accept trialsync's password or token. Set it again on the Settings screen."},
		},
		{
			name: "urgent",
			snap: func() agent.Snapshot {
				s := richSnap(now)
				s.Figures.Totals = agent.Totals{Urgent: 4, Dead: 9}
				return s
			},
			red: []string{"4 urgent failures", "9 dead letters"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(4)
			f.snap = tc.snap()
			u, w := newTestUI(t, f, Options{})
			d := u.dashboard
			mustShow(t, w, tc.want...)
			for _, s := range tc.not {
				if shows(w, s) {
					t.Errorf("dashboard shows %q", s)
				}
			}
			for _, s := range tc.red {
				if b := buttonShowing(t, w, s); levelOf(b) != red {
					t.Errorf("%q is not red (level %v)", s, levelOf(b))
				}
			}
			for _, s := range tc.amber {
				if b := buttonShowing(t, w, s); levelOf(b) != amber {
					t.Errorf("%q is not marked amber (level %v)", s, levelOf(b))
				}
			}
			if got, want := d.chart.Activity(), Activity(f.snap.Figures.Activity); got != want {
				t.Error("the chart does not show the snapshot's activity")
			}
		})
	}
}

// TestDashboardErrorDetails: a failure is a sentence; the technical text is one click away.
func TestDashboardErrorDetails(t *testing.T) {
	f := newFake(1)
	f.snap = richSnap(time.Now())
	f.snap.Remotes[0].Status, f.snap.Remotes[0].Err = agent.RemoteOffline, "rave: GET studies: dial tcp 10.1.2.3:443: connection refused"
	u, w := newTestUI(t, f, Options{})
	if shows(w, "dial tcp 10.1.2.3:443") {
		t.Fatal("the technical text is on show before Details was clicked")
	}
	test.Tap(buttonShowing(t, w, "Details"))
	u.bridge.wait()
	mustShow(t, w, "rave: GET studies: dial tcp 10.1.2.3:443: connection refused", "Hide details")
}

// TestDashboardCountsOpenTheirScreens: every count is a button to the screen that explains it.
func TestDashboardCountsOpenTheirScreens(t *testing.T) {
	f := newFake(3)
	f.snap = richSnap(time.Now())
	u, w := newTestUI(t, f, Options{})
	for _, tc := range []struct{ button, screen string }{
		{"15,275 rows pulled today", "Rave pull"},
		{"2 dead letters", "Exposures"},
		{"1 urgent failure", "Exposures"},
		{"3 conflicts to decide", "Checklists"},
		{"2 fragments to review", "Rave pull"},
		{"Audit trail intact", "Audit"},
		{"1 (oldest 2 days ago)", "Checklists"},
	} {
		test.Tap(u.nav[0])
		u.bridge.wait()
		test.Tap(buttonShowing(t, w, tc.button))
		u.bridge.wait()
		if u.Current() != tc.screen {
			t.Errorf("%q opens %q, want %q", tc.button, u.Current(), tc.screen)
		}
	}
}

// TestDashboardFollowsTheAgent: a new snapshot replaces what is on show without a click.
func TestDashboardFollowsTheAgent(t *testing.T) {
	f := newFake(1)
	u, w := newTestUI(t, f, Options{})
	mustShow(t, w, "0 rows pulled today")
	f.setSnap(t, u, func(s *agent.Snapshot) { *s = richSnap(time.Now()) })
	mustShow(t, w, "15,275 rows pulled today", "Site 103")
	f.setSnap(t, u, func(s *agent.Snapshot) { s.Figures.Studies[0].Sites = s.Figures.Studies[0].Sites[:1] })
	if shows(w, "Site 103") {
		t.Error("a site no longer in the figures is still on show")
	}
}

// TestDashboardStoreDetails: the store and configuration, behind their section.
func TestDashboardStoreDetails(t *testing.T) {
	f := newFake(4)
	f.status.AuditTip = "e436764885ff213c2dc1d059934486834f7521788ca42d9e9a1386520579daf1"
	u, _ := newTestUI(t, f, Options{})
	d := u.dashboard
	for got, want := range map[string]string{
		d.store.Text: "/data/trialsync.db", d.install.Text: "0123456789abcdef", d.run.Text: "20260101T000000Z-abcdef",
		d.entries.Text: "4 (covered by the keyed checkpoint)", d.tip.Text: f.status.AuditTip, d.cf.Text: "/data/config.toml",
	} {
		if got != want {
			t.Errorf("shows %q, want %q", got, want)
		}
	}
	g := newFake(1)
	g.statusErr = errFake
	_, w := newTestUI(t, g, Options{})
	mustBeRed(t, w, "Could not read the store: store is locked by another trialsync (pid 4242) close it first")
}

// TestAlarmOnEveryScreen: a failed verification raises the red strip above every screen; its button
// opens the Audit screen; a later good verification lowers it.
func TestAlarmOnEveryScreen(t *testing.T) {
	now := time.Now()
	f := newFake(3)
	f.snap = richSnap(now)
	u, w := newTestUI(t, f, Options{})
	if u.alarm.box.Visible() {
		t.Fatal("the alarm is up on a good trail")
	}
	f.setSnap(t, u, func(s *agent.Snapshot) {
		s.Audit.Problem, s.Audit.Verified, s.Audit.Scheduled = "broken at entry 7: content changed (hash does not match)", now, true
	})
	want := "The audit trail failed verification at " + now.Format("15:04") + " by the schedule: Broken at entry 7: content changed (hash does not match)."
	for i := range u.nav {
		test.Tap(u.nav[i])
		u.bridge.wait()
		if !u.alarm.box.Visible() || u.alarm.text.Text != want {
			t.Fatalf("on %s the alarm says %q (visible %v), want %q", u.Current(), u.alarm.text.Text, u.alarm.box.Visible(), want)
		}
	}
	if n := countColor(w.Content(), bannerRed); n < 2000 {
		t.Errorf("%d red pixels painted, want the alarm's", n)
	}
	test.Tap(u.nav[0])
	u.bridge.wait() // the dashboard's reload, before the next tap
	test.Tap(u.alarm.open)
	u.bridge.wait()
	if u.Current() != "Audit" {
		t.Errorf("the alarm's button opened %q", u.Current())
	}
	f.setSnap(t, u, func(s *agent.Snapshot) { s.Audit.Problem = "" })
	if u.alarm.box.Visible() {
		t.Error("the alarm stays up after a good verification")
	}
}

// TestNotice: the demo's line stays above every screen.
func TestNotice(t *testing.T) {
	u, w := newTestUI(t, newFake(1), Options{Notice: "Demo: simulated Rave on this computer"})
	for i := range u.nav {
		test.Tap(u.nav[i])
		u.bridge.wait()
		mustShow(t, w, "Demo: simulated Rave on this computer")
	}
}

func TestAttention(t *testing.T) {
	now := time.Now()
	good := snapshot{richSnap(now)}
	good.Figures.Totals = agent.Totals{Queued: 4}
	if got := attention(good); len(got) != 0 {
		t.Errorf("a queue alone needs attention: %q", got)
	}
	bad := snapshot{richSnap(now)}
	bad.Audit.Problem = "broken at entry 2"
	bad.Remotes[0].Status = agent.RemotePaused
	bad.Services[0].Stopped = true
	want := []string{"The audit trail failed verification.", "1 urgent delivery failure.", "2 messages could not be delivered.",
		"3 checklist conflicts to decide.", "2 fragments from Rave to review.", "Rave pull ALPHA(Prod) has stopped.",
		"Rave is paused after repeated failures."}
	if got := attention(bad); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("attention:\n got %q\nwant %q", got, want)
	}
}

// TestTrayDot: the attention icon is the app's icon with a red dot; an icon that is not a PNG is kept.
func TestTrayDot(t *testing.T) {
	icon := test.NewTempApp(t).Icon()
	if icon == nil {
		icon = fyne.NewStaticResource("plain.png", solidPNG(t, 64))
	}
	dotted := withDot(icon)
	if dotted == icon {
		t.Fatal("no dot was drawn")
	}
	if n := redPixels(t, dotted.Content()); n < 60 {
		t.Errorf("%d red pixels in the attention icon, want a dot", n)
	}
	if n := redPixels(t, icon.Content()); n != 0 {
		t.Errorf("the plain icon has %d red pixels", n)
	}
	svg := fyne.NewStaticResource("icon.svg", []byte("<svg/>"))
	if withDot(svg) != svg {
		t.Error("an SVG icon was replaced")
	}
}

func TestPlainFailure(t *testing.T) {
	for err, want := range map[string]string{
		"credential rave.password not set (trialsync creds set rave.password)": "The password or token rave.password has not been set yet.",
		"rave: GET studies: 401 Unauthorized: RWS00008":                        "Rave did not accept trialsync's password or token.",
		"rave: GET datasets: 429 Too Many Requests":                            "Rave asked trialsync to slow down",
		"rave: dial tcp: lookup rave.example.org: no such host":                "Rave cannot be reached from this computer.",
		"x509: certificate signed by unknown authority":                        "Rave's security certificate is not trusted",
		"rave: GET studies/X/datasets: 404 Not Found: RWS00014":                "Rave does not know something trialsync asked for.",
		"rave: GET studies: 503 Service Unavailable":                           "Rave had a problem of its own.",
		"store /x is locked by another trialsync":                              "Another trialsync is using the store.",
		"store /x: rolled back or truncated":                                   "The store does not match the audit trail's last checkpoint",
		"something unheard of":                                                 "Rave reported a problem.",
	} {
		if got := plainFailure("Rave", err); !strings.HasPrefix(got, want) {
			t.Errorf("%q:\n got %q\nwant %q…", err, got, want)
		}
	}
}

// weekRows is richSnap's rows pulled over the week, as the chart's title writes it.
func weekRows(now time.Time) string {
	var n int64
	for _, v := range richSnap(now).Figures.Activity.Pulled {
		n += v
	}
	return count(int(n))
}

// buttonShowing is the visible button whose text contains want.
func buttonShowing(t *testing.T, w fyne.Window, want string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walkVisible(w.Content(), func(o fyne.CanvasObject) bool {
		if found != nil {
			return false
		}
		b, ok := o.(*widget.Button)
		if ok && strings.Contains(b.Text, want) {
			found = b
		}
		return !ok
	})
	if found == nil {
		t.Fatalf("no button shows %q; the window shows %q", want, visibleTexts(w.Content()))
	}
	return found
}

// TestDashboardOtherEngines: the engines beside the Rave pull each get a line per service, in words.
func TestDashboardOtherEngines(t *testing.T) {
	now := time.Now()
	f := newFake(1)
	f.snap = richSnap(now)
	f.snap.Engines = append(f.snap.Engines,
		agent.EngineState{Name: "send", Title: "Outbound queue", Section: "[exposure] (with [rave])", Configured: true},
		agent.EngineState{Name: "exposure", Title: "Exposure intake", Section: "[exposure] with intake_addr"})
	f.snap.Services = append(f.snap.Services,
		agent.ServiceState{Name: "Send exposures to Rave", Engine: "send", Runs: 2, LastEnd: now, NextRun: now.Add(time.Minute),
			Last: agent.Summary{Text: "sent 3, dead 1, held 0"}},
		agent.ServiceState{Name: "Send subjects to SureAdhere", Engine: "send", Stopped: true,
			Err: "credential sureadhere.token not set (trialsync creds set sureadhere.token)"})
	_, w := newTestUI(t, f, Options{})
	clock := now.Format("15:04")
	mustShow(t, w, "Send exposures to Rave: last run "+clock+": sent 3, dead 1, held 0; next "+now.Add(time.Minute).Format("15:04")+".",
		"Exposure intake: not configured ([exposure] with intake_addr).")
	mustBeRed(t, w, "Send subjects to SureAdhere: stopped: credential sureadhere.token not set")
}

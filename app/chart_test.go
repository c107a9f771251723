package app

import (
	"image/color"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// chartWeek starts on a Monday at 14:00 UTC, as "the last 168 hours" usually does, so that the
// first day is partial and the last midnight is not at the edge.
var chartWeek = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// chartSample is a working week: pulls through office hours, a nightly audit-records catch-up, a
// trickle otherwise, and messages sent after each morning's dose intake.
func chartSample() Activity {
	a := Activity{Start: chartWeek}
	for h := range ActivityHours {
		hour := chartWeek.Add(time.Duration(h) * time.Hour)
		weekday := hour.Weekday() != time.Saturday && hour.Weekday() != time.Sunday
		switch {
		case weekday && hour.Hour() >= 8 && hour.Hour() < 18:
			a.Pulled[h] = 1200 + int64(300*math.Sin(float64(h)))
		case hour.Hour() == 2:
			a.Pulled[h] = 4100
		default:
			a.Pulled[h] = 40
		}
		if hour.Hour() == 9 || hour.Hour() == 10 {
			a.Sent[h] = 25 + int64(h%7)
		}
	}
	return a
}

func chartPulledOnly() Activity {
	a := chartSample()
	a.Sent = [ActivityHours]int64{}
	return a
}

// chartSpike is a quiet week with one initial load of 250,000 rows: the axis rises to it, and the quiet
// hours still show as one-pixel bars.
func chartSpike() Activity {
	a := Activity{Start: chartWeek}
	for h := range ActivityHours {
		a.Pulled[h] = 30
		if h%24 == 20 {
			a.Sent[h] = 3
		}
	}
	a.Pulled[100] = 250000
	return a
}

var chartThemes = []struct {
	name  string
	theme fyne.Theme
}{{"light", theme.LightTheme()}, {"dark", theme.DarkTheme()}}

// chartSize is about what the dashboard gives the chart.
var chartSize = fyne.NewSize(720, 260)

// showChart puts a chart showing a into a test window of the given size under th.
func showChart(t *testing.T, th fyne.Theme, a Activity, size fyne.Size) (*ActivityChart, fyne.Window) {
	t.Helper()
	test.NewTempApp(t).Settings().SetTheme(th)
	c := NewActivityChart(a)
	w := test.NewTempWindow(t, c)
	w.SetPadded(false)
	if size.IsZero() {
		size = c.MinSize()
	}
	w.Resize(size)
	return c, w
}

// TestActivityChartImages renders each state in the light and the dark theme, as a coordinator
// would see it; the masters in testdata/chart were looked at, not only generated.
func TestActivityChartImages(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Activity
		size fyne.Size // zero: the chart's minimum size
	}{
		{"empty", Activity{Start: chartWeek}, chartSize},
		{"pulled_only", chartPulledOnly(), chartSize},
		{"both", chartSample(), chartSize},
		{"spike", chartSpike(), chartSize},
		{"minimum", chartSample(), fyne.Size{}},
	} {
		for _, th := range chartThemes {
			t.Run(tc.name+"/"+th.name, func(t *testing.T) {
				_, w := showChart(t, th.theme, tc.a, tc.size)
				test.AssertRendersToImage(t, "chart/"+tc.name+"_"+th.name+".png", w.Canvas())
			})
		}
	}
}

// TestActivityChartResize lays the same week out again at a smaller size and then a larger one:
// the bars narrow and widen with the window, and the labels stay in place.
func TestActivityChartResize(t *testing.T) {
	for _, th := range chartThemes {
		t.Run(th.name, func(t *testing.T) {
			c, w := showChart(t, th.theme, chartSample(), chartSize)
			r := test.TempWidgetRenderer(t, c).(*chartRenderer)
			wide := r.panels[0].bars[0].Size().Width
			w.Resize(fyne.NewSize(480, 200))
			if got := r.panels[0].bars[0].Size().Width; got >= wide {
				t.Errorf("bar width %v after shrinking, was %v", got, wide)
			}
			test.AssertRendersToImage(t, "chart/resized_"+th.name+".png", w.Canvas())
			w.Resize(fyne.NewSize(1000, 320))
			if got := r.panels[0].bars[0].Size().Width; got <= wide {
				t.Errorf("bar width %v after growing, was %v", got, wide)
			}
			chartInside(t, c, r)
		})
	}
}

// TestActivityChartMarkup pins down the structure under fyne's test theme, whose colours are all
// distinct, so the markup names the theme colour each primitive was given.
func TestActivityChartMarkup(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Activity
	}{
		{"empty", Activity{Start: chartWeek}},
		{"no_start", Activity{}},
		{"sent_only", func() Activity { a := chartSpike(); a.Pulled = [ActivityHours]int64{}; return a }()},
		{"spike", chartSpike()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, w := showChart(t, test.Theme(), tc.a, chartSize)
			test.AssertRendersToMarkup(t, "chart/"+tc.name+".xml", w.Canvas())
		})
	}
}

// TestActivityChartStates checks what each state shows, independently of the masters.
func TestActivityChartStates(t *testing.T) {
	for _, tc := range []struct {
		name          string
		a             Activity
		texts         []string // must be visible
		hidden        []string // must not be
		pulled, sent  int      // visible bars
		days          []string // visible day labels, in order
		tallestPulled int      // the hour whose bar reaches the top line; -1 for none
	}{
		{"no start", Activity{}, []string{"No activity in the last 7 days"},
			[]string{"Rows pulled: 0 in the last 7 days", "No rows pulled", "No messages sent"}, 0, 0, nil, -1},
		{"empty week", Activity{Start: chartWeek}, []string{"No activity in the last 7 days",
			"Rows pulled and messages sent will show here, hour by hour."},
			[]string{"No rows pulled", "No messages sent"}, 0, 0,
			[]string{"Mon 2", "Tue 3", "Wed 4", "Thu 5", "Fri 6", "Sat 7", "Sun 8", "Mon 9"}, -1},
		{"pulled only", chartPulledOnly(), []string{"Rows pulled: 92,991 in the last 7 days",
			"Messages sent: 0 in the last 7 days", "No messages sent", "4,100"},
			[]string{"No activity in the last 7 days", "No rows pulled"}, ActivityHours, 0, nil, 12},
		{"both", chartSample(), []string{"Rows pulled: 92,991 in the last 7 days",
			"Messages sent: 392 in the last 7 days", "4,100", "31"},
			[]string{"No activity in the last 7 days", "No rows pulled", "No messages sent"},
			ActivityHours, 14, nil, 12},
		{"spike", chartSpike(), []string{"250,000", "3", "Rows pulled: 255,010 in the last 7 days"},
			nil, ActivityHours, 7, nil, 100},
		{"negative counts are not drawn", Activity{Start: chartWeek, Pulled: [ActivityHours]int64{5: -3, 6: 2}},
			[]string{"Rows pulled: 2 in the last 7 days", "No messages sent"}, nil, 1, 0, nil, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := showChart(t, theme.LightTheme(), tc.a, chartSize)
			r := test.TempWidgetRenderer(t, c).(*chartRenderer)
			shown := chartTexts(r)
			for _, s := range tc.texts {
				if !shown[s] {
					t.Errorf("%q not shown; shown: %v", s, shown)
				}
			}
			for _, s := range tc.hidden {
				if shown[s] {
					t.Errorf("%q shown", s)
				}
			}
			if got := chartBars(r.panels[0]); got != tc.pulled {
				t.Errorf("%d rows-pulled bars, want %d", got, tc.pulled)
			}
			if got := chartBars(r.panels[1]); got != tc.sent {
				t.Errorf("%d messages-sent bars, want %d", got, tc.sent)
			}
			if tc.days != nil {
				var got []string
				for _, d := range r.days {
					if d.Visible() {
						got = append(got, d.Text)
					}
				}
				if len(got) != len(tc.days) {
					t.Fatalf("day labels %q, want %q", got, tc.days)
				}
				for i := range got {
					if got[i] != tc.days[i] {
						t.Errorf("day labels %q, want %q", got, tc.days)
						break
					}
				}
			}
			if tc.tallestPulled >= 0 {
				p := r.panels[0]
				if top := p.bars[tc.tallestPulled].Position().Y; math.Abs(float64(top-p.topLine.Position1.Y)) > 0.01 {
					t.Errorf("busiest hour's bar starts at y=%v, the top line is at %v", top, p.topLine.Position1.Y)
				}
				for h, b := range p.bars {
					if b.Visible() && b.Size().Height < 1 {
						t.Errorf("hour %d (%d rows) is %v high: a quiet hour must stay visible", h, p.values[h], b.Size().Height)
					}
				}
			}
			chartInside(t, c, r)
		})
	}
}

// TestActivityChartDays puts the midnights where the chart's zone has them.
func TestActivityChartDays(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name  string
		start time.Time
		ticks []int // hours of the midnights
		first string
	}{
		{"starts at midnight", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), []int{0, 24, 48, 72, 96, 120, 144}, "Mon 2"},
		{"starts mid-afternoon", chartWeek, []int{10, 34, 58, 82, 106, 130, 154}, "Mon 2"},
		{"local zone", time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC).In(berlin), []int{9, 33, 57, 81, 105, 129, 153}, "Mon 2"},
		{"one hour before midnight", time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), []int{1, 25, 49, 73, 97, 121, 145}, "Sun 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := showChart(t, theme.DarkTheme(), Activity{Start: tc.start, Sent: [ActivityHours]int64{3: 1}}, chartSize)
			r := test.TempWidgetRenderer(t, c).(*chartRenderer)
			var got []int
			for _, h := range r.tickAt {
				if h >= 0 {
					got = append(got, h)
				}
			}
			if len(got) != len(tc.ticks) {
				t.Fatalf("midnights at hours %v, want %v", got, tc.ticks)
			}
			for i := range got {
				if got[i] != tc.ticks[i] {
					t.Fatalf("midnights at hours %v, want %v", got, tc.ticks)
				}
			}
			if r.days[0].Text != tc.first {
				t.Errorf("first day %q, want %q", r.days[0].Text, tc.first)
			}
			if tc.name == "one hour before midnight" && r.days[0].Visible() {
				t.Errorf("the first day's label %q shows in a one-hour sliver", r.days[0].Text)
			}
		})
	}
}

// TestActivityChartThemeColours follows the theme: the same chart takes the new colours when the
// theme changes, and a series whose colour is too pale on the background is drawn in the text colour.
func TestActivityChartThemeColours(t *testing.T) {
	c, _ := showChart(t, theme.DarkTheme(), chartSample(), chartSize)
	r := test.TempWidgetRenderer(t, c).(*chartRenderer)
	check := func(th fyne.Theme, pulled, sent fyne.ThemeColorName) {
		t.Helper()
		v := fyne.CurrentApp().Settings().ThemeVariant()
		for i, want := range []fyne.ThemeColorName{pulled, sent} {
			got := r.panels[i].bars[12].FillColor
			if !chartSameColour(got, th.Color(want, v)) {
				t.Errorf("panel %d bars are %v, want the theme's %s %v", i, got, want, th.Color(want, v))
			}
			if !chartSameColour(r.panels[i].swatch.FillColor, got) {
				t.Errorf("panel %d legend %v differs from its bars %v", i, r.panels[i].swatch.FillColor, got)
			}
		}
		if fg := th.Color(theme.ColorNameForeground, v); !chartSameColour(r.panels[0].title.Color, fg) {
			t.Errorf("title colour %v, want the theme's foreground %v", r.panels[0].title.Color, fg)
		}
	}
	check(theme.DarkTheme(), theme.ColorNamePrimary, theme.ColorNameSuccess)
	fyne.CurrentApp().Settings().SetTheme(theme.LightTheme())
	c.Refresh()
	// The light theme's green has a contrast of about 1.5:1 on white.
	check(theme.LightTheme(), theme.ColorNamePrimary, theme.ColorNameForeground)
}

func TestReadableOn(t *testing.T) {
	white, black := color.NRGBA{0xff, 0xff, 0xff, 0xff}, color.NRGBA{0, 0, 0, 0xff}
	green := color.NRGBA{0x43, 0xf4, 0x36, 0xff}
	grey := color.NRGBA{0x56, 0x56, 0x56, 0xff}
	for _, tc := range []struct {
		name   string
		bg     color.Color
		cs     []color.Color
		want   color.Color
		wantCR float64 // contrast of the first candidate, to two places
	}{
		{"black on white", white, []color.Color{black, grey}, black, 21},
		{"pale green on white falls back", white, []color.Color{green, grey}, grey, 1.48},
		{"green on dark", color.NRGBA{0x17, 0x17, 0x18, 0xff}, []color.Color{green, grey}, green, 12.14},
		{"nothing legible: the last", white, []color.Color{white, white}, white, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readableOn(tc.bg, tc.cs...); got != tc.want {
				t.Errorf("readableOn = %v, want %v", got, tc.want)
			}
			if got := math.Round(contrastRatio(tc.bg, tc.cs[0])*100) / 100; got != tc.wantCR {
				t.Errorf("contrast = %v, want %v", got, tc.wantCR)
			}
		})
	}
}

// TestActivityChartMinSize keeps the chart readable in a small window: two pixels an hour, room for
// the longest title, and everything inside the chart at exactly its minimum.
func TestActivityChartMinSize(t *testing.T) {
	for _, a := range []Activity{{}, chartSample(), chartSpike()} {
		c, _ := showChart(t, theme.LightTheme(), a, fyne.Size{})
		r := test.TempWidgetRenderer(t, c).(*chartRenderer)
		min := c.MinSize()
		if min.Width < ActivityHours*chartMinHourWidth || min.Height < 2*chartMinPlotHeight {
			t.Errorf("minimum size %v is too small for 168 hours in two panels", min)
		}
		if w := r.panels[0].bars[0].Size().Width; w < chartMinHourWidth-0.01 {
			t.Errorf("bars are %v wide at the minimum size", w)
		}
		chartInside(t, c, r)
	}
}

func TestActivityChartSetActivity(t *testing.T) {
	c, _ := showChart(t, theme.LightTheme(), Activity{}, chartSize)
	r := test.TempWidgetRenderer(t, c).(*chartRenderer)
	if !r.empty.Visible() {
		t.Fatal("an unknown week does not show the empty state")
	}
	c.SetActivity(chartSample())
	if r.empty.Visible() || chartBars(r.panels[0]) != ActivityHours {
		t.Errorf("after SetActivity: empty state %v, %d bars", r.empty.Visible(), chartBars(r.panels[0]))
	}
	if c.Activity() != chartSample() {
		t.Error("Activity does not return what was set")
	}
}

func chartTexts(r *chartRenderer) map[string]bool {
	shown := map[string]bool{}
	for _, o := range r.Objects() {
		if txt, ok := o.(*canvas.Text); ok && txt.Visible() {
			shown[txt.Text] = true
		}
	}
	return shown
}

func chartBars(p *chartPanel) int {
	n := 0
	for _, b := range p.bars {
		if b.Visible() {
			n++
		}
	}
	return n
}

// assertInside checks that no visible text, bar or line leaves the chart, and that no text is
// given less room than it needs.
func chartInside(t *testing.T, c *ActivityChart, r *chartRenderer) {
	t.Helper()
	size := c.Size()
	const slack = 0.5
	in := func(what string, p fyne.Position, s fyne.Size) {
		if p.X < -slack || p.Y < -slack || p.X+s.Width > size.Width+slack || p.Y+s.Height > size.Height+slack {
			t.Errorf("%s at %v size %v leaves the chart (%v)", what, p, s, size)
		}
	}
	for _, o := range r.Objects() {
		if !o.Visible() {
			continue
		}
		switch o := o.(type) {
		case *canvas.Text:
			need := fyne.MeasureText(o.Text, o.TextSize, o.TextStyle)
			if o.Size().Width+slack < need.Width {
				t.Errorf("%q has %v of the %v it needs", o.Text, o.Size().Width, need.Width)
			}
			in(o.Text, o.Position(), need.Max(o.Size()))
		case *canvas.Line:
			in("line", o.Position1, fyne.NewSize(0, 0))
			in("line", o.Position2, fyne.NewSize(0, 0))
		default:
			in("bar", o.Position(), o.Size())
		}
	}
}

func chartSameColour(a, b color.Color) bool {
	return color.NRGBAModel.Convert(a) == color.NRGBAModel.Convert(b)
}

package app

import (
	"image/color"
	"math"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ActivityHours is how many hourly buckets the activity chart shows: the last seven days.
const ActivityHours = 7 * 24

// Activity is what the dashboard's chart draws: how many rows were pulled from Rave and how many
// messages were sent (to Rave and SureAdhere) in each hour of the last seven days. Bucket i covers
// the hour that starts at Start + i hours, so the newest hour is bucket ActivityHours-1. Start is
// the start of an hour, in the zone whose midnights mark the days (the coordinator's local time).
// A zero Start means the counts are not known yet, and the chart says there is no activity.
//
// It is a plain value, so that the agent's snapshot can carry an identical struct and the GUI can
// convert it with Activity(x).
type Activity struct {
	Start  time.Time
	Pulled [ActivityHours]int64
	Sent   [ActivityHours]int64
}

// Empty reports whether there is nothing to draw: no start, or not one row or message all week.
func (a Activity) Empty() bool {
	return a.Start.IsZero() || (chartTotal(a.Pulled) == 0 && chartTotal(a.Sent) == 0)
}

func chartTotal(s [ActivityHours]int64) int64 {
	var n int64
	for _, v := range s {
		n += max(v, 0)
	}
	return n
}

func chartPeak(s [ActivityHours]int64) int64 {
	var m int64
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// ActivityChart draws an Activity as two bar charts over one time axis: rows pulled on top,
// messages sent below, a bar per hour. Each series has its own scale, because an hour's pull can
// bring hundreds of thousands of rows while a few dozen messages go out, and on a shared scale the
// messages would vanish. Each panel's title names its series beside a square of its colour, with
// the week's total, and so serves as the legend; the left axis gives the panel's busiest hour; lines
// mark local midnights, each labelled with its day. Any hour with activity is at least a pixel
// high, so a spike never hides the quiet hours. Colours and sizes come from the theme at every
// refresh, so light and dark both read well.
//
// Like every widget it must be created and changed on the Fyne goroutine (through the bridge).
type ActivityChart struct {
	widget.BaseWidget
	activity Activity
}

// NewActivityChart returns a chart showing a.
func NewActivityChart(a Activity) *ActivityChart {
	c := &ActivityChart{activity: a}
	c.ExtendBaseWidget(c)
	return c
}

// SetActivity replaces what the chart shows and redraws it.
func (c *ActivityChart) SetActivity(a Activity) {
	c.activity = a
	c.Refresh()
}

// Activity returns what the chart shows.
func (c *ActivityChart) Activity() Activity { return c.activity }

// CreateRenderer is part of fyne.Widget; the toolkit calls it.
func (c *ActivityChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{chart: c, empty: chartText(), hint: chartText(),
		panels: [2]*chartPanel{newChartPanel(), newChartPanel()}}
	for i := range r.days {
		r.days[i] = chartText()
	}
	for _, p := range r.panels {
		r.objects = append(r.objects, p.objects()...)
	}
	for _, d := range r.days {
		r.objects = append(r.objects, d)
	}
	r.objects = append(r.objects, r.empty, r.hint)
	r.Refresh()
	return r
}

// What the chart says, and its measures in the theme's units.
const (
	chartEmptyMessage = "No activity in the last 7 days"
	chartEmptyHint    = "Rows pulled and messages sent will show here, hour by hour."
	chartPeriod       = " in the last 7 days"
	chartDayFormat    = "Mon 2"

	chartMinPlotHeight = 36 // per panel
	chartMinHourWidth  = 2  // a bar and no gap: 336 wide for the week
	chartSwatch        = 10 // the legend's colour square
	chartLabelGap      = 4  // between the axis labels and the plot
	chartMaxDays       = 8  // at most seven midnights, plus the partial first day
)

type chartRenderer struct {
	chart       *ActivityChart
	panels      [2]*chartPanel // rows pulled, messages sent
	days        [chartMaxDays]*canvas.Text
	empty, hint *canvas.Text
	objects     []fyne.CanvasObject

	// set by Refresh
	textSize, titleSize, pad float32
	dayAt                    [chartMaxDays]int // the hour each day label starts at; -1 when unused
	tickAt                   [chartMaxDays]int // the hour of each midnight; -1 when unused
}

// chartPanel is one series: its title (the legend), axis labels, gridlines and bars.
type chartPanel struct {
	swatch           *canvas.Rectangle
	title, top, zero *canvas.Text
	none             *canvas.Text // "No …" when this series is empty and the other is not
	topLine, mid     *canvas.Line
	base             *canvas.Line // the axis
	ticks            [chartMaxDays]*canvas.Line
	bars             [ActivityHours]*canvas.Rectangle
	values           [ActivityHours]int64
	axisMax          int64 // the busiest hour, at the top gridline; 0 when the series is empty
}

func newChartPanel() *chartPanel {
	p := &chartPanel{swatch: canvas.NewRectangle(color.Transparent), title: chartText(), top: chartText(),
		zero: chartText(), none: chartText(), topLine: chartLine(), mid: chartLine(), base: chartLine()}
	p.title.TextStyle.Bold = true
	p.top.Alignment = fyne.TextAlignTrailing
	p.zero.Alignment = fyne.TextAlignTrailing
	p.none.Alignment = fyne.TextAlignCenter
	for i := range p.bars {
		p.bars[i] = canvas.NewRectangle(color.Transparent)
	}
	for i := range p.ticks {
		p.ticks[i] = chartLine()
	}
	return p
}

// objects lists the panel's primitives back to front: the lines under the bars, so that the axis
// never covers a quiet hour's one-pixel bar.
func (p *chartPanel) objects() []fyne.CanvasObject {
	o := []fyne.CanvasObject{p.topLine, p.mid, p.base}
	for _, t := range p.ticks {
		o = append(o, t)
	}
	for _, b := range p.bars {
		o = append(o, b)
	}
	return append(o, p.swatch, p.title, p.top, p.zero, p.none)
}

func chartText() *canvas.Text { return canvas.NewText("", color.Transparent) }

func chartLine() *canvas.Line { return canvas.NewLine(color.Transparent) }

// Refresh takes the chart's data and the theme's colours and sizes, decides what shows, then lays
// everything out.
func (r *chartRenderer) Refresh() {
	th := r.chart.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
	r.pad = th.Size(theme.SizeNamePadding)
	r.textSize = th.Size(theme.SizeNameCaptionText)
	r.titleSize = th.Size(theme.SizeNameText)
	fg, grid, axis := col(theme.ColorNameForeground), col(theme.ColorNameSeparator), col(theme.ColorNamePlaceHolder)
	bg := col(theme.ColorNameBackground)

	a := r.chart.activity
	empty := a.Empty()
	r.findDays(a)
	series := [2]struct {
		title, none string
		values      [ActivityHours]int64
		colour      color.Color
	}{
		{"Rows pulled", "No rows pulled", a.Pulled, readableOn(bg, col(theme.ColorNamePrimary), fg)},
		{"Messages sent", "No messages sent", a.Sent, readableOn(bg, col(theme.ColorNameSuccess), fg)},
	}
	for i, p := range r.panels {
		s := series[i]
		p.values = s.values
		p.axisMax = chartPeak(s.values)
		hasData := p.axisMax > 0 && !empty
		bottom := i == len(r.panels)-1

		p.swatch.FillColor = s.colour
		p.title.Text = s.title + ": " + chartCount(chartTotal(s.values)) + chartPeriod
		p.top.Text, p.zero.Text, p.none.Text = chartCount(p.axisMax), "0", s.none
		p.title.Color, p.title.TextSize = fg, r.titleSize
		for _, t := range []*canvas.Text{p.top, p.zero, p.none} {
			t.Color, t.TextSize = fg, r.textSize
		}
		for _, l := range []*canvas.Line{p.topLine, p.mid} {
			l.StrokeColor, l.StrokeWidth = grid, 1
		}
		p.base.StrokeColor, p.base.StrokeWidth = axis, 1
		for k, t := range p.ticks {
			t.StrokeColor, t.StrokeWidth = grid, 1
			if empty {
				t.StrokeColor = axis // short marks on the one axis
			}
			t.Hidden = r.tickAt[k] < 0 || (empty && !bottom)
		}
		for h, b := range p.bars {
			b.FillColor = s.colour
			b.Hidden = !hasData || s.values[h] <= 0
		}
		// With nothing at all to show, one axis with its days frames the message; otherwise each
		// panel shows its title, and an empty series says so in its plot.
		for _, o := range []fyne.CanvasObject{p.swatch, p.title, p.zero} {
			chartHide(o, empty)
		}
		chartHide(p.base, empty && !bottom)
		for _, o := range []fyne.CanvasObject{p.top, p.topLine, p.mid} {
			chartHide(o, !hasData)
		}
		chartHide(p.none, hasData || empty)
	}
	for i, d := range r.days {
		d.Color, d.TextSize = fg, r.textSize
		d.Hidden = r.dayAt[i] < 0
	}
	r.empty.Text, r.empty.Color, r.empty.TextSize = chartEmptyMessage, fg, r.titleSize
	r.empty.TextStyle.Bold = true
	r.hint.Text, r.hint.Color, r.hint.TextSize = chartEmptyHint, fg, r.textSize
	r.empty.Alignment, r.hint.Alignment = fyne.TextAlignCenter, fyne.TextAlignCenter
	chartHide(r.empty, !empty)
	chartHide(r.hint, !empty)

	r.Layout(r.chart.Size())
	canvas.Refresh(r.chart)
}

// findDays finds the midnights in the chart's zone and the day each one starts. The partial first
// day also gets a label, shown when it has room (see Layout).
func (r *chartRenderer) findDays(a Activity) {
	for i := range r.tickAt {
		r.tickAt[i], r.dayAt[i] = -1, -1
	}
	if a.Start.IsZero() {
		return
	}
	n := 0
	if a.Start.Hour() != 0 {
		r.dayAt[0] = 0
		r.days[0].Text = a.Start.Format(chartDayFormat)
		n = 1
	}
	for h := 0; h < ActivityHours && n < chartMaxDays; h++ {
		t := a.Start.Add(time.Duration(h) * time.Hour)
		if t.Hour() == 0 {
			r.tickAt[n], r.dayAt[n] = h, h
			r.days[n].Text = t.Format(chartDayFormat)
			n++
		}
	}
}

// Layout places the panels one above the other, the axis labels in a column on the left as wide
// as the widest of them, and the day labels along the bottom.
func (r *chartRenderer) Layout(size fyne.Size) {
	labelW := r.labelWidth()
	plotX := r.pad + labelW + chartLabelGap
	plotW := max(size.Width-plotX-r.pad, 1)
	titleH := fyne.MeasureText("Ag", r.titleSize, fyne.TextStyle{Bold: true}).Height
	textH := fyne.MeasureText("0", r.textSize, fyne.TextStyle{}).Height
	panelH := (size.Height - textH - r.pad) / 2
	plotH := max(panelH-titleH-textH/2-r.pad, 1)
	hourW := plotW / ActivityHours
	barW := hourW
	if hourW >= 3 {
		barW = hourW - 1 // a gap between neighbouring hours once there is room for one
	}
	var plotBottom float32
	for i, p := range r.panels {
		top := float32(i) * panelH
		p.swatch.Move(fyne.NewPos(plotX, top+(titleH-chartSwatch)/2))
		p.swatch.Resize(fyne.NewSquareSize(chartSwatch))
		p.title.Move(fyne.NewPos(plotX+chartSwatch+r.pad, top))
		p.title.Resize(fyne.NewSize(plotW-chartSwatch-r.pad, titleH))
		plotTop := top + titleH + textH/2 // room for the top label, centred on its gridline
		plotBottom = plotTop + plotH
		chartHLine(p.topLine, plotX, plotX+plotW, plotTop)
		chartHLine(p.mid, plotX, plotX+plotW, plotTop+plotH/2)
		chartHLine(p.base, plotX, plotX+plotW, plotBottom)
		p.top.Move(fyne.NewPos(r.pad, plotTop-textH/2))
		p.top.Resize(fyne.NewSize(labelW, textH))
		p.zero.Move(fyne.NewPos(r.pad, plotBottom-textH/2))
		p.zero.Resize(fyne.NewSize(labelW, textH))
		p.none.Move(fyne.NewPos(plotX, plotTop+(plotH-textH)/2))
		p.none.Resize(fyne.NewSize(plotW, textH))
		for h, b := range p.bars {
			var hgt float32
			if p.axisMax > 0 && p.values[h] > 0 {
				hgt = max(float32(float64(p.values[h])/float64(p.axisMax))*plotH, 1)
			}
			b.Move(fyne.NewPos(plotX+float32(h)*hourW, plotBottom-hgt))
			b.Resize(fyne.NewSize(barW, hgt))
		}
		// Midnights cross the plot; below the bottom one they reach down to the day labels. With
		// no activity they are only marks on the axis.
		tickStart, tickEnd := plotTop, plotBottom
		if i == len(r.panels)-1 {
			tickEnd += textH / 2
		}
		if r.empty.Visible() {
			tickStart = plotBottom
		}
		for k, t := range p.ticks {
			x := plotX + float32(max(r.tickAt[k], 0))*hourW
			t.Position1, t.Position2 = fyne.NewPos(x, tickStart), fyne.NewPos(x, tickEnd)
		}
	}
	// Each day's label sits right of its midnight, and shows only when it fits before the next.
	for i, d := range r.days {
		start := r.dayAt[i]
		if start < 0 {
			continue
		}
		next := ActivityHours
		if i+1 < chartMaxDays && r.dayAt[i+1] >= 0 {
			next = r.dayAt[i+1]
		}
		w := fyne.MeasureText(d.Text, r.textSize, fyne.TextStyle{}).Width
		d.Hidden = w+r.pad > float32(next-start)*hourW
		d.Move(fyne.NewPos(plotX+float32(start)*hourW+r.pad/2, plotBottom+r.pad/2))
		d.Resize(fyne.NewSize(w, textH))
	}
	// The empty state's message and hint, centred above the one axis.
	emptyH := fyne.MeasureText(chartEmptyMessage, r.titleSize, fyne.TextStyle{Bold: true}).Height
	y := (plotBottom - emptyH - textH - r.pad) / 2
	r.empty.Move(fyne.NewPos(plotX, y))
	r.empty.Resize(fyne.NewSize(plotW, emptyH))
	r.hint.Move(fyne.NewPos(plotX, y+emptyH+r.pad))
	r.hint.Resize(fyne.NewSize(plotW, textH))
}

// labelWidth is the width of the left axis column: its widest label.
func (r *chartRenderer) labelWidth() float32 {
	w := fyne.MeasureText("0", r.textSize, fyne.TextStyle{}).Width
	for _, p := range r.panels {
		if !p.top.Hidden {
			w = max(w, fyne.MeasureText(p.top.Text, r.textSize, fyne.TextStyle{}).Width)
		}
	}
	return w
}

// MinSize fits two panels of readable height, two pixels an hour, and the longest title or the
// empty state's hint, whichever is wider.
func (r *chartRenderer) MinSize() fyne.Size {
	titleH := fyne.MeasureText("Ag", r.titleSize, fyne.TextStyle{Bold: true}).Height
	textH := fyne.MeasureText("0", r.textSize, fyne.TextStyle{}).Height
	plotX := r.pad + r.labelWidth() + chartLabelGap
	plotW := float32(ActivityHours * chartMinHourWidth)
	for _, p := range r.panels {
		plotW = max(plotW, chartSwatch+r.pad+fyne.MeasureText(p.title.Text, r.titleSize, fyne.TextStyle{Bold: true}).Width)
	}
	plotW = max(plotW, fyne.MeasureText(chartEmptyHint, r.textSize, fyne.TextStyle{}).Width)
	panelH := titleH + textH/2 + chartMinPlotHeight + r.pad
	return fyne.NewSize(plotX+plotW+r.pad, 2*panelH+textH+r.pad)
}

// Objects is part of fyne.WidgetRenderer: every primitive, hidden ones included.
func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

// Destroy is part of fyne.WidgetRenderer; the chart holds nothing to release.
func (r *chartRenderer) Destroy() {}

// readableOn returns the first of cs that stands out from bg by at least the 3:1 contrast WCAG asks
// of graphics, or the last of them when none does: the default light theme's green, for one, is
// too pale on white, and a coordinator may pick a pale primary colour.
func readableOn(bg color.Color, cs ...color.Color) color.Color {
	for _, c := range cs {
		if contrastRatio(bg, c) >= 3 {
			return c
		}
	}
	return cs[len(cs)-1]
}

// contrastRatio is WCAG 2's contrast ratio of two colours, from 1 to 21.
func contrastRatio(a, b color.Color) float64 {
	la, lb := relativeLuminance(a), relativeLuminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// relativeLuminance is WCAG 2's relative luminance of an sRGB colour (its opacity ignored).
func relativeLuminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 0xff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

func chartHide(o fyne.CanvasObject, hidden bool) {
	if hidden {
		o.Hide()
	} else {
		o.Show()
	}
}

func chartHLine(l *canvas.Line, x0, x1, y float32) {
	l.Position1, l.Position2 = fyne.NewPos(x0, y), fyne.NewPos(x1, y)
}

// chartCount formats a count with thousands separators.
func chartCount(n int64) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

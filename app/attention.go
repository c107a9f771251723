package app

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/trialsync/trialsync/sync/agent"
)

// attention lists what needs a person, most serious first, one short sentence each; empty when
// nothing does. The tray icon and its menu show it, so that a coordinator sees it with the window
// closed or behind others.
func attention(s snapshot) []string {
	var out []string
	if s.Audit.Problem != "" {
		out = append(out, "The audit trail failed verification.")
	}
	t := s.Figures.Totals
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			out = append(out, one)
		case n > 1:
			out = append(out, fmt.Sprintf(many, n))
		}
	}
	add(t.Urgent, "1 urgent delivery failure.", "%d urgent delivery failures.")
	add(t.Dead, "1 message could not be delivered.", "%d messages could not be delivered.")
	add(t.Conflicts, "1 checklist conflict to decide.", "%d checklist conflicts to decide.")
	add(t.Quarantined, "1 fragment from Rave to review.", "%d fragments from Rave to review.")
	for _, st := range s.Services {
		if st.Stopped {
			out = append(out, st.Name+" has stopped.")
		}
	}
	for _, r := range s.Remotes {
		switch r.Status {
		case agent.RemoteOffline:
			out = append(out, r.Title+" cannot be reached.")
		case agent.RemotePaused:
			out = append(out, r.Title+" is paused after repeated failures.")
		}
	}
	return out
}

// tray is the system tray (status area) icon where the platform has one: the app's icon, with a red
// dot while something needs attention, and a menu that says what and opens the window.
type tray struct {
	app          desktop.App
	normal, warn fyne.Resource
	shown        string // the attention on show, to skip redrawing the same
}

// newTray sets up the tray icon for u, or returns nil when the app has no tray (fyne's test driver,
// mobile).
func newTray(u *UI) *tray {
	d, ok := u.app.(desktop.App)
	if !ok {
		return nil
	}
	t := &tray{app: d, normal: u.app.Icon()}
	if t.normal != nil {
		t.warn = withDot(t.normal)
	}
	t.update(u, nil)
	d.SetSystemTrayWindow(u.win)
	return t
}

// update shows what needs attention (nil: nothing) in the icon and the menu. Call it on the Fyne
// goroutine.
func (t *tray) update(u *UI, need []string) {
	key := strings.Join(need, "\n")
	if t.shown == key && t.shown != "" {
		return
	}
	t.shown = key
	items := []*fyne.MenuItem{fyne.NewMenuItem("Open trialsync", func() { u.win.Show(); u.win.RequestFocus() })}
	if len(need) == 0 {
		items = append(items, disabledItem("Nothing needs your attention."))
	}
	for _, n := range need {
		items = append(items, disabledItem(n))
	}
	t.app.SetSystemTrayMenu(fyne.NewMenu("trialsync", items...))
	icon := t.normal
	if len(need) > 0 && t.warn != nil {
		icon = t.warn
	}
	if icon != nil {
		t.app.SetSystemTrayIcon(icon)
	}
}

func disabledItem(label string) *fyne.MenuItem {
	it := fyne.NewMenuItem(label, nil)
	it.Disabled = true
	return it
}

// attentionRed is the tray dot: the same red as the alarm banner.
var attentionRed = bannerRed

// withDot returns icon with a red dot in its top right corner (icon itself when it is not a PNG).
func withDot(icon fyne.Resource) fyne.Resource {
	src, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		return icon
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	r := b.Dx() * 11 / 64 // a dot about a third of the icon across
	cx, cy := b.Max.X-r-b.Dx()/32, b.Min.Y+r+b.Dy()/32
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := cy - r - 2; y <= cy+r+2; y++ {
		for x := cx - r - 2; x <= cx+r+2; x++ {
			d2 := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			switch {
			case d2 <= r*r:
				img.Set(x, y, attentionRed)
			case d2 <= (r+2)*(r+2):
				img.Set(x, y, white) // a ring, so that the dot reads on a red icon too
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return icon
	}
	return fyne.NewStaticResource("trialsync-attention.png", out.Bytes())
}

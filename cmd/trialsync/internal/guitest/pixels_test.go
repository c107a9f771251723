package guitest

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
)

var blue = color.RGBA{0x29, 0x6f, 0xf6, 0xff}

// paint fills r with c, leaving a white "label" in the middle of buttons as text does.
func paint(img *image.RGBA, r image.Rectangle, c color.RGBA, label bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	if label {
		in := r.Inset(r.Dy() / 3)
		for y := in.Min.Y; y < in.Max.Y; y += 2 {
			for x := in.Min.X; x < in.Max.X; x += 2 {
				img.SetRGBA(x, y, color.RGBA{0xff, 0xff, 0xff, 0xff})
			}
		}
	}
}

// TestShapes: a window with a selected navigation entry, a toolbar button, a smaller button lower
// down, and the blue areas a dashboard chart would paint (a tall bar, a long thin line, a wide band):
// only the navigation entry and the buttons are recognised, the toolbar's first.
func TestShapes(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1120, 720))
	paint(img, img.Bounds(), color.RGBA{0xfa, 0xfa, 0xfa, 0xff}, false)
	nav := image.Rect(10, 120, 170, 156)
	action := image.Rect(180, 60, 300, 96) // in the left quarter, as on a real screen
	lower := image.Rect(300, 600, 380, 630)
	paint(img, nav, blue, true)
	paint(img, action, blue, true)
	paint(img, lower, blue, true)
	paint(img, image.Rect(500, 200, 540, 500), blue, false)  // a chart's bar
	paint(img, image.Rect(300, 520, 1100, 524), blue, false) // a chart's line
	paint(img, image.Rect(600, 100, 1100, 160), blue, false) // a band wider than any button

	if got, ok := SelectedNav(img); !ok || got != nav {
		t.Errorf("selected navigation %v %v, want %v", got, ok, nav)
	}
	if got := Buttons(img); fmt.Sprint(got) != fmt.Sprint([]image.Rectangle{action, lower}) {
		t.Errorf("buttons %v, want %v and %v", got, action, lower)
	}
	if got, ok := ActionButton(img); !ok || got != action {
		t.Errorf("action button %v %v, want %v", got, ok, action)
	}
	if n := CountNear(img, Colour{0x29, 0x6f, 0xf6}); n == 0 {
		t.Error("no pixel near the blue painted")
	}
	if !SameRow(nav, nav.Add(image.Pt(2, 1))) || SameRow(nav, nav.Add(image.Pt(0, 40))) {
		t.Error("SameRow")
	}
	if Center(nav) != image.Pt(90, 138) {
		t.Errorf("center %v", Center(nav))
	}
}

func TestDecodePPM(t *testing.T) {
	img, err := DecodePPM([]byte("P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06"))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b := rgb(img, 1, 0); r != 4 || g != 5 || b != 6 {
		t.Errorf("pixel (1,0) = %d %d %d", r, g, b)
	}
	for _, bad := range []struct{ in, want string }{
		{"P3\n1 1\n255\n", "want P6"},
		{"P6\n1 1\n65535\n\x00\x00\x00\x00\x00\x00", "want P6 with 8-bit samples"},
		{"P6\n2 2\n255\n\x00\x00\x00", "want 12"},
		{"P6\n", "PPM header"},
	} {
		if _, err := DecodePPM([]byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("DecodePPM(%q): %v, want %q", bad.in, err, bad.want)
		}
	}
}

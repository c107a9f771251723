package guitest

import (
	"bytes"
	"fmt"
	"image"
	"slices"
)

// Colour is an RGB colour with 8-bit samples.
type Colour [3]int

// DecodePPM reads a binary PPM (P6) with 8-bit samples.
func DecodePPM(b []byte) (*image.RGBA, error) {
	r := bytes.NewReader(b)
	var magic string
	var w, h, maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil {
		return nil, fmt.Errorf("PPM header: %w", err)
	}
	if magic != "P6" || maxval != 255 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("PPM header %s %dx%d max %d: want P6 with 8-bit samples", magic, w, h, maxval)
	}
	px := b[len(b)-r.Len()+1:] // one whitespace byte ends the header
	if len(px) != w*h*3 {
		return nil, fmt.Errorf("PPM of %dx%d has %d bytes of pixels, want %d", w, h, len(px), w*h*3)
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(px); i, j = i+3, j+4 {
		m.Pix[j], m.Pix[j+1], m.Pix[j+2], m.Pix[j+3] = px[i], px[i+1], px[i+2], 0xff
	}
	return m, nil
}

// SamePixels reports whether two screenshots are identical.
func SamePixels(a, b *image.RGBA) bool { return a.Bounds() == b.Bounds() && bytes.Equal(a.Pix, b.Pix) }

// rgb is the colour at (x, y), straight from the bytes (image.At and its colour conversion, once per
// pixel, make the -race build of a test several times slower).
func rgb(img *image.RGBA, x, y int) (int, int, int) {
	i := img.PixOffset(x, y)
	return int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
}

// Near reports whether (r, g, b) is within a small distance of c.
func Near(r, g, b int, c Colour) bool {
	return abs(r-c[0]) <= 8 && abs(g-c[1]) <= 8 && abs(b-c[2]) <= 8
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// CountNear counts the pixels of img within a small distance of c.
func CountNear(img *image.RGBA, c Colour) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			if r, g, b := rgb(img, x, y); Near(r, g, b, c) {
				n++
			}
		}
	}
	return n
}

// isPrimary matches the default theme's primary blue (#296ff6, light and dark variants alike) and
// its hover shades.
func isPrimary(r, g, b int) bool { return b > 200 && r < 110 && g > 80 && g < 170 }

// blob is a connected area of one colour class: its bounding box and how many pixels it has.
type blob struct {
	box    image.Rectangle
	pixels int
}

// blueBlobs are the connected areas of primary blue larger than a button's icon, left to right.
func blueBlobs(img *image.RGBA) []blob {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	seen := make([]bool, w*h)
	var out []blob
	var stack []image.Point
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if seen[y*w+x] {
				continue
			}
			seen[y*w+x] = true
			if r, g, b := rgb(img, bd.Min.X+x, bd.Min.Y+y); !isPrimary(r, g, b) {
				continue
			}
			box, n := image.Rect(x, y, x+1, y+1), 0
			stack = append(stack[:0], image.Pt(x, y))
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				n++
				box = box.Union(image.Rect(p.X, p.Y, p.X+1, p.Y+1))
				for _, d := range []image.Point{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					q := p.Add(d)
					if q.X < 0 || q.Y < 0 || q.X >= w || q.Y >= h || seen[q.Y*w+q.X] {
						continue
					}
					if r, g, b := rgb(img, bd.Min.X+q.X, bd.Min.Y+q.Y); isPrimary(r, g, b) {
						seen[q.Y*w+q.X] = true
						stack = append(stack, q)
					}
				}
			}
			if n > 600 {
				out = append(out, blob{box, n})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b blob) int { return a.box.Min.X - b.box.Min.X })
	return out
}

// SelectedNav is the navigation entry drawn as selected: the leftmost button-shaped blue area, in
// the window's left quarter.
func SelectedNav(img *image.RGBA) (image.Rectangle, bool) {
	for _, b := range blueBlobs(img) {
		if b.box.Min.X < img.Bounds().Dx()/4 && buttonShaped(b) {
			return b.box, true
		}
	}
	return image.Rectangle{}, false
}

// buttonShaped reports whether a blue area looks like a filled button: a text line's height, no wider
// than a toolbar, and mostly filled (a chart's line or a tall bar is not).
func buttonShaped(b blob) bool {
	w, h := b.box.Dx(), b.box.Dy()
	return h >= 20 && h <= 64 && w >= 40 && w <= 400 && b.pixels*10 >= w*h*6
}

// Buttons are the enabled blue (high-importance) buttons right of the selected navigation entry, top
// to bottom.
func Buttons(img *image.RGBA) []image.Rectangle {
	nav, ok := SelectedNav(img)
	if !ok {
		return nil
	}
	var out []image.Rectangle
	for _, b := range blueBlobs(img) {
		if b.box.Min.X >= nav.Max.X && buttonShaped(b) {
			out = append(out, b.box)
		}
	}
	slices.SortStableFunc(out, func(a, b image.Rectangle) int { return a.Min.Y - b.Min.Y })
	return out
}

// ActionButton is a screen's topmost blue button (Pull now, Verify), if the screen shows one enabled.
func ActionButton(img *image.RGBA) (image.Rectangle, bool) {
	if b := Buttons(img); len(b) > 0 {
		return b[0], true
	}
	return image.Rectangle{}, false
}

// SameRow reports whether two navigation entries are the same one (a hovered button may differ by an
// edge pixel).
func SameRow(a, b image.Rectangle) bool {
	return abs(a.Min.Y-b.Min.Y) <= 3 && abs(a.Max.Y-b.Max.Y) <= 3
}

// Center is the middle of r.
func Center(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}

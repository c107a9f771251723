//go:build ignore

// gen_icon draws assets/icon.png: three linked blocks of a hash chain under a check mark, on a rounded
// blue square. Run `go generate ./assets` after changing it; the PNG is committed.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 256

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	top := color.NRGBA{0x29, 0x6f, 0xf6, 0xff}
	bottom := color.NRGBA{0x12, 0x3f, 0x9c, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	green := color.NRGBA{0x5d, 0xe0, 0x7a, 0xff}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			a := coverage(func(px, py float64) bool { return inRoundedRect(px, py, 8, 8, 248, 248, 48) }, x, y)
			if a == 0 {
				continue
			}
			t := float64(y) / size
			c := color.NRGBA{mix(top.R, bottom.R, t), mix(top.G, bottom.G, t), mix(top.B, bottom.B, t), 0xff}
			blend(img, x, y, c, a)
		}
	}
	// The chain: three rounded blocks joined by bars.
	blocks := [][4]float64{{28, 150, 84, 206}, {100, 150, 156, 206}, {172, 150, 228, 206}}
	for _, b := range blocks {
		b := b
		paint(img, white, func(px, py float64) bool {
			return inRoundedRect(px, py, b[0], b[1], b[2], b[3], 10) &&
				!inRoundedRect(px, py, b[0]+10, b[1]+10, b[2]-10, b[3]-10, 4)
		})
	}
	paint(img, white, func(px, py float64) bool {
		return (px >= 80 && px <= 104 || px >= 152 && px <= 176) && py >= 172 && py <= 184
	})
	// The check mark above the chain.
	paint(img, green, func(px, py float64) bool {
		return nearSegment(px, py, 80, 88, 112, 120, 13) || nearSegment(px, py, 112, 120, 178, 50, 13)
	})
	f, err := os.Create("icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func paint(img *image.NRGBA, c color.NRGBA, in func(x, y float64) bool) {
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if a := coverage(in, x, y); a > 0 {
				blend(img, x, y, c, a)
			}
		}
	}
}

// coverage samples a pixel 4x4 times for smooth edges.
func coverage(in func(x, y float64) bool, x, y int) float64 {
	n := 0
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if in(float64(x)+(float64(i)+0.5)/4, float64(y)+(float64(j)+0.5)/4) {
				n++
			}
		}
	}
	return float64(n) / 16
}

func blend(img *image.NRGBA, x, y int, c color.NRGBA, a float64) {
	old := img.NRGBAAt(x, y)
	oa := float64(old.A) / 255
	na := a + oa*(1-a)
	ch := func(n, o uint8) uint8 {
		return uint8(math.Round((float64(n)*a + float64(o)*oa*(1-a)) / na))
	}
	img.SetNRGBA(x, y, color.NRGBA{ch(c.R, old.R), ch(c.G, old.G), ch(c.B, old.B), uint8(math.Round(na * 255))})
}

func mix(a, b uint8, t float64) uint8 { return uint8(math.Round(float64(a)*(1-t) + float64(b)*t)) }

func inRoundedRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

func nearSegment(x, y, x0, y0, x1, y1, w float64) bool {
	dx, dy := x1-x0, y1-y0
	t := math.Max(0, math.Min(1, ((x-x0)*dx+(y-y0)*dy)/(dx*dx+dy*dy)))
	px, py := x0+t*dx-x, y0+t*dy-y
	return px*px+py*py <= w*w
}

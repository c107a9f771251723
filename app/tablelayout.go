package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// tableLayout lays its objects out as a table of cols columns, row after row, each column as wide as
// its widest cell and each row as tall as its tallest: a grid that, unlike fyne's GridLayout, does
// not make every column as wide as the widest of all. Extra width is left empty on the right.
type tableLayout struct{ cols int }

func (t tableLayout) sizes(objects []fyne.CanvasObject) (widths, heights []float32) {
	widths = make([]float32, t.cols)
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		c, r := i%t.cols, i/t.cols
		widths[c] = max(widths[c], m.Width)
		for len(heights) <= r {
			heights = append(heights, 0)
		}
		heights[r] = max(heights[r], m.Height)
	}
	return widths, heights
}

// MinSize is part of fyne.Layout.
func (t tableLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	widths, heights := t.sizes(objects)
	pad := theme.Padding()
	var w, h float32
	for _, x := range widths {
		w += x
	}
	for _, y := range heights {
		h += y
	}
	return fyne.NewSize(w+pad*float32(max(len(widths)-1, 0)), h+pad*float32(max(len(heights)-1, 0)))
}

// Layout is part of fyne.Layout.
func (t tableLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	widths, heights := t.sizes(objects)
	pad := theme.Padding()
	y := float32(0)
	for r, h := range heights {
		x := float32(0)
		for c, w := range widths {
			i := r*t.cols + c
			if i >= len(objects) {
				break
			}
			objects[i].Move(fyne.NewPos(x, y))
			objects[i].Resize(fyne.NewSize(w, h))
			x += w + pad
		}
		y += h + pad
	}
}

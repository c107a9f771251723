// Package guitest drives trialsync's real window under X for tests, as a coordinator would: it
// starts the binary, finds its window with xdotool, types and clicks, and reads screenshots
// (ImageMagick's import, as binary PPM).
//
// Screens are recognised by what they paint, in places that do not move when a screen gains content:
// the navigation entry of the screen on show is the blue area (the theme's primary colour) in the
// navigation column at the window's left; a screen's blue buttons are button-shaped blue areas right of
// it, and a screen's action button is the topmost of them. Large or oddly shaped blue areas (a chart,
// a progress bar) are not buttons.
package guitest

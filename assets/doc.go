// Package assets holds the files trialsync ships inside its binary, so that the GUI needs nothing
// beside the executable: today the application icon, drawn by gen_icon.go and committed as icon.png.
package assets

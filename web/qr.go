package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSVG draws a QR code of text (a web address) as inline SVG: one path of
// dark modules on a white square with its quiet zone, crisp at any size
// and in print, with no image file and no script. label is its accessible
// name (the address itself, for those who cannot scan). Error correction
// is level M: a printed notice on a village board may get dirty or torn.
func qrSVG(text, label string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	bits := q.Bitmap()
	n := len(bits)
	var d strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			// One rectangle per run of dark modules in a row.
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			d.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(run) + "v1h-" + strconv.Itoa(run) + "z")
			x += run - 1
		}
	}
	size := strconv.Itoa(n)
	svg := `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + size + ` ` + size + `" role="img" aria-label="` +
		template.HTMLEscapeString(label) + `" shape-rendering="crispEdges"><rect width="` + size + `" height="` + size +
		`" fill="#fff"/><path fill="#000" d="` + d.String() + `"/></svg>`
	return template.HTML(svg), nil
}

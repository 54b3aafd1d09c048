package views

import (
	"fmt"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRCode is a QR code as SVG geometry: Size modules square (quiet zone
// included) and one path drawing the dark modules.
type QRCode struct {
	Size int
	Path string
}

// NewQRCode encodes text (a URL) at medium error correction.
func NewQRCode(text string) (QRCode, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return QRCode{}, fmt.Errorf("views: qr code: %w", err)
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	var b strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			n := strconv.Itoa(run)
			fmt.Fprintf(&b, "M%d %dh%sv1h-%sz", x, y, n, n)
			x += run
		}
	}
	return QRCode{Size: len(bm), Path: b.String()}, nil
}

// ViewBox is the SVG viewBox attribute of the code.
func (q QRCode) ViewBox() string {
	s := strconv.Itoa(q.Size)
	return "0 0 " + s + " " + s
}

package web

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestBarChart: a chart is an image with its title and description, bars
// as long as their values (the longest row the longest bar), every label
// escaped, the rows with nothing left out, and nothing at all without
// rows.
func TestBarChart(t *testing.T) {
	c := barChart{ID: "c1", Title: "件数", Desc: "说明", Labels: []string{"甲", "<script>乙", "丙", "一个名字特别特别长的社会组织服务中心"},
		Series: []chartSeries{{"收到", []int64{10, 5, 0, 1}}, {"结案", []int64{2, 0, 0, 0}}},
		Format: func(v int64) string { return strconv.FormatInt(v, 10) }}
	svg := string(c.SVG())
	if !strings.HasPrefix(svg, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 440 `) ||
		!strings.Contains(svg, `role="img" aria-labelledby="c1-t c1-d"`) || !strings.Contains(svg, `<title id="c1-t">件数</title><desc id="c1-d">说明</desc>`) {
		t.Fatalf("not an accessible image: %s", svg[:200])
	}
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;乙") {
		t.Error("a label is not escaped")
	}
	if strings.Contains(svg, ">丙<") {
		t.Error("a row of zeros is drawn")
	}
	if !strings.Contains(svg, `lengthAdjust="spacingAndGlyphs">一个名字特别特别长的社会组织服…</text>`) {
		t.Error("a long label is not squeezed and cut")
	}
	widths := regexp.MustCompile(`<rect class="s1" x="112" y="\d+" width="([0-9.]+)"`).FindAllStringSubmatch(svg, -1)
	if len(widths) != 3 || widths[0][1] != "232.0" || widths[1][1] != "116.0" || widths[2][1] != "23.2" {
		t.Errorf("bar widths %v, want 232, 116 and 23.2 (10, 5 and 1 of 10)", widths)
	}
	if got := (barChart{ID: "c2", Labels: []string{"甲"}, Series: []chartSeries{{"收到", []int64{0}}}}).SVG(); got != "" {
		t.Errorf("a chart of zeros draws %q", got)
	}
}

// TestQRSVG: the SVG's modules are the QR code's, one for one, so that a
// phone reads the need's address from the printed notice.
func TestQRSVG(t *testing.T) {
	url := "https://jiujinan.example.cn/needs/01kbx5w1xk7r0v4mmc1v0hd0qz"
	svg, err := qrSVG(url, url)
	if err != nil {
		t.Fatal(err)
	}
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	n := len(want)
	if !strings.Contains(string(svg), `viewBox="0 0 `+strconv.Itoa(n)+` `+strconv.Itoa(n)+`"`) || !strings.Contains(string(svg), `aria-label="`+url+`"`) {
		t.Fatalf("svg %s", svg[:160])
	}
	got := make([][]bool, n)
	for i := range got {
		got[i] = make([]bool, n)
	}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(string(svg), -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		run, _ := strconv.Atoi(m[3])
		for i := 0; i < run; i++ {
			if got[y][x+i] {
				t.Fatalf("module %d,%d drawn twice", x+i, y)
			}
			got[y][x+i] = true
		}
	}
	dark := 0
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("module %d,%d is %v, the code's %v", x, y, got[y][x], want[y][x])
			}
			if want[y][x] {
				dark++
			}
		}
	}
	if dark < n*n/4 {
		t.Errorf("only %d dark modules of %d", dark, n*n)
	}
}

// Package paymentgen writes deterministic, realistic statutory payment
// files for tests, demos and benchmarks: valid resident ID numbers for real
// county codes (the demo counties first), monthly 低保 and 特困 over many
// months, one-off 临时救助, medical bills and the other programmes, and a
// share of malformed rows of the kinds real exports have.
//
// It imports marketplace and the standard library (and x/text for GBK).
package paymentgen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Options shape a generated file.
type Options struct {
	Rows int64
	Seed uint64
	// BadShare is the share of malformed rows, 0 to 1.
	BadShare float64
	// Encoding is "utf8" (default) or "gbk".
	Encoding string
	// Start is the first month paid; default 2025-01.
	Start time.Time
}

// Header is the header line the generator writes.
var Header = []string{"身份证号", "姓名", "救助类别", "发放金额", "救助期间", "行政区划代码"}

// DemoCounties are the counties of the demo organizations; a third of the
// people live there.
var DemoCounties = []string{"371725", "430524", "610524"}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	given    = []string{"秀英", "桂兰", "建国", "志强", "玉兰", "德华", "明", "丽", "军", "芳", "伟", "敏", "静", "海燕", "春梅", "子涵", "浩然", "欣怡", "宇轩", "金凤"}
)

// Write writes opt.Rows data rows after the header to w. The same options
// give the same bytes.
func Write(w io.Writer, opt Options) error {
	div, err := kernel.LoadDivisions()
	if err != nil {
		return err
	}
	var counties []string
	for _, p := range div.Provinces() {
		for _, c := range div.Children(p) {
			if div.Level(c) == kernel.LevelCounty {
				counties = append(counties, c)
			}
			for _, cc := range div.Children(c) {
				if div.Level(cc) == kernel.LevelCounty {
					counties = append(counties, cc)
				}
			}
		}
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var out io.Writer = bw
	var tw *transform.Writer
	switch opt.Encoding {
	case "", "utf8", "utf-8":
	case "gbk", "gb18030":
		tw = transform.NewWriter(bw, simplifiedchinese.GBK.NewEncoder())
		out = tw
	default:
		return fmt.Errorf("paymentgen: unknown encoding %q (want utf8 or gbk)", opt.Encoding)
	}
	cw := csv.NewWriter(out)
	if err := cw.Write(Header); err != nil {
		return err
	}
	g := &gen{rnd: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)), counties: counties, opt: opt}
	rec := make([]string, len(Header))
	var n int64
	for n < opt.Rows {
		for _, p := range g.person() {
			if n >= opt.Rows {
				break
			}
			copy(rec, p)
			if opt.BadShare > 0 && g.rnd.Float64() < opt.BadShare {
				g.spoil(rec)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			n++
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

type gen struct {
	rnd      *rand.Rand
	counties []string
	opt      Options
	rows     [][]string
}

func (g *gen) idNumber(region string) string {
	birth := time.Date(1935, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rnd.IntN(365*88))
	b := []byte(region + birth.Format("20060102") + fmt.Sprintf("%03d", g.rnd.IntN(1000)))
	b = append(b, kernel.IDCheckChar(string(b)))
	if b[17] == 'X' && g.rnd.IntN(4) == 0 {
		b[17] = 'x' // some exports write a lowercase x
	}
	return string(b)
}

func (g *gen) yuan(fen int64) string {
	y, f := fen/100, fen%100
	switch g.rnd.IntN(6) {
	case 0:
		if y >= 1000 {
			return strconv.FormatInt(y/1000, 10) + "," + fmt.Sprintf("%03d", y%1000) + "." + fmt.Sprintf("%02d", f)
		}
	case 1:
		if f%10 == 0 {
			return strconv.FormatInt(y, 10) + "." + strconv.FormatInt(f/10, 10) + "元"
		}
	case 2:
		if f == 0 {
			return strconv.FormatInt(y, 10)
		}
	}
	return strconv.FormatInt(y, 10) + "." + fmt.Sprintf("%02d", f)
}

func period(from, to time.Time) string {
	return from.Format(time.DateOnly) + "至" + to.Format(time.DateOnly)
}

// person returns the rows of one person's payments.
func (g *gen) person() [][]string {
	region := DemoCounties[g.rnd.IntN(len(DemoCounties))]
	if g.rnd.IntN(3) != 0 {
		region = g.counties[g.rnd.IntN(len(g.counties))]
	}
	id := g.idNumber(region)
	name := surnames[g.rnd.IntN(len(surnames))] + given[g.rnd.IntN(len(given))]
	g.rows = g.rows[:0]
	add := func(prog string, fen int64, from, to time.Time) {
		g.rows = append(g.rows, []string{id, name, prog, g.yuan(fen), period(from, to), region})
	}
	start := g.opt.Start.AddDate(0, g.rnd.IntN(12), 0)
	monthly := func(names []string, baseFen int64) {
		months := 6 + g.rnd.IntN(19)
		prog := names[g.rnd.IntN(len(names))]
		for m := 0; m < months; m++ {
			from := start.AddDate(0, m, 0)
			add(prog, baseFen, from, from.AddDate(0, 1, -1))
		}
	}
	day := func() time.Time { return g.opt.Start.AddDate(0, 0, g.rnd.IntN(720)) }
	switch k := g.rnd.IntN(100); {
	case k < 55: // 低保, often with a medical bill or temporary relief
		monthly([]string{"低保金", "最低生活保障金"}, int64(300+g.rnd.IntN(900))*100+int64(g.rnd.IntN(2))*50)
		if g.rnd.IntN(3) == 0 {
			d := day()
			add("医疗救助", int64(500+g.rnd.IntN(80000))*100+int64(g.rnd.IntN(100)), d, d)
		}
	case k < 65: // 特困
		monthly([]string{"特困供养金", "特困人员救助供养金"}, int64(600+g.rnd.IntN(1200))*100)
	case k < 85: // 临时救助, one-off
		d := day()
		add("临时救助", int64(500+g.rnd.IntN(4500))*100, d, d)
	case k < 95: // medical bills
		for i := 0; i <= g.rnd.IntN(3); i++ {
			d := day()
			add("医疗救助", int64(200+g.rnd.IntN(60000))*100+int64(g.rnd.IntN(100)), d, d)
		}
	default: // the rarer programmes
		names := []string{"教育救助", "住房救助", "就业救助", "受灾人员救助"}
		d := day()
		add(names[g.rnd.IntN(len(names))], int64(1000+g.rnd.IntN(20000))*100, d, d)
	}
	return g.rows
}

// spoil makes rec malformed in one of the ways real exports are.
func (g *gen) spoil(rec []string) {
	switch g.rnd.IntN(8) {
	case 0: // wrong check character
		b := []byte(rec[0])
		if b[17] == '0' {
			b[17] = '1'
		} else {
			b[17] = '0'
		}
		rec[0] = string(b)
	case 1:
		rec[3] = "-" + rec[3]
	case 2:
		rec[3] = "12.345"
	case 3: // no programme (a programme name it does not know is recorded, not bad)
		rec[2] = ""
	case 4:
		rec[4] = "2025-13-01至2025-13-31"
	case 5:
		rec[5] = "990101"
	case 6:
		rec[0] = rec[0][:15] // an old 15-digit number
	case 7:
		rec[3] = ""
	}
}

package anonymize

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// corpusFiles are the corpus: generated stories and hand-written ones.
var corpusFiles = []string{"testdata/stories.txt", "testdata/stories_hand.txt"}

// corpusStory is one annotated story of testdata/stories*.txt:
//
//	# 12 medical              a comment line starts a story
//	band: 60_plus             the need's age band
//	names: 赵桂芝 王建国        names entered for the household
//	story: ……                 the text as the worker wrote it
//	- name 王秀兰              what the scrub must remove, with its kind
//	+ 脑梗                     what it must keep
type corpusStory struct {
	id      string
	band    kernel.AgeBand
	names   []string
	story   string
	removes [][2]string // kind, text
	keeps   []string
}

func loadCorpus(tb testing.TB, paths ...string) []corpusStory {
	tb.Helper()
	if len(paths) == 0 {
		paths = corpusFiles
	}
	var out []corpusStory
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		var cur *corpusStory
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "# "):
				out = append(out, corpusStory{id: path + ":" + strings.TrimPrefix(line, "# ")})
				cur = &out[len(out)-1]
			case cur == nil || line == "":
			case strings.HasPrefix(line, "band: "):
				cur.band = kernel.AgeBand(strings.TrimPrefix(line, "band: "))
			case strings.HasPrefix(line, "names: "):
				cur.names = strings.Fields(strings.TrimPrefix(line, "names: "))
			case strings.HasPrefix(line, "story: "):
				cur.story = strings.TrimPrefix(line, "story: ")
			case strings.HasPrefix(line, "- "):
				kind, text, ok := strings.Cut(strings.TrimPrefix(line, "- "), " ")
				if !ok {
					tb.Fatalf("%s: bad line %q", cur.id, line)
				}
				cur.removes = append(cur.removes, [2]string{kind, text})
			case strings.HasPrefix(line, "+ "):
				cur.keeps = append(cur.keeps, strings.TrimPrefix(line, "+ "))
			default:
				tb.Fatalf("%s: bad line %q", cur.id, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	out = slices.DeleteFunc(out, func(c corpusStory) bool { return c.story == "" })
	return out
}

func isSep(r rune) bool { return IsNumberSeparator(r) || IsNameSeparator(r) }

// leaked reports whether anything of an identifier is left in out: its
// text with separators and full-width forms ignored, or a group of three
// or more of its digits standing as a whole number in out, or of two beside
// a placeholder (the tail of a card).
func leaked(out, id string) bool {
	for _, b := range []kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus} {
		out = strings.ReplaceAll(out, ageBandWords(b), ScrubPlaceholder) // 14–17岁 is no leak of 14岁
	}
	if strings.Contains(normalizedForCheck(out, isSep), normalizedForCheck(id, isSep)) {
		return true
	}
	runs := func(s string) []string {
		return strings.FieldsFunc(normalizedForCheck(s, func(rune) bool { return false }), func(r rune) bool { return r < '0' || r > '9' })
	}
	outRuns := runs(out)
	for _, g := range runs(id) {
		switch {
		case len(g) >= 3 && slices.Contains(outRuns, g):
			return true
		case len(g) == 2 && (strings.Contains(out, g+ScrubPlaceholder) || strings.Contains(out, ScrubPlaceholder+g)):
			return true // two digits are also amounts elsewhere: only beside a placeholder
		}
	}
	return false
}

// corpusScrub is how the needs service scrubs a story for publication.
func corpusScrub(c corpusStory) string {
	return ScrubStory(c.story, ScrubOptions{Names: c.names, AgeBand: c.band})
}

// TestScrubCorpus is issue 16's check: on every story of the corpus, no
// identifier of any kind is left, and 95 % of the words that identify no
// one are kept.
func TestScrubCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 200 {
		t.Fatalf("corpus has %d stories, want at least 200", len(corpus))
	}
	total, leaks := map[string]int{}, map[string]int{}
	kept, keeps := 0, 0
	for _, c := range corpus {
		out := corpusScrub(c)
		for _, rm := range c.removes {
			total[rm[0]]++
			if leaked(out, rm[1]) {
				leaks[rm[0]]++
				t.Errorf("%s: %s %q left in %q", c.id, rm[0], rm[1], out)
			}
		}
		for _, k := range c.keeps {
			keeps++
			if strings.Contains(out, k) {
				kept++
			} else {
				t.Logf("%s: lost %q: %q", c.id, k, out)
			}
		}
	}
	kinds := make([]string, 0, len(total))
	for k := range total {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "%d stories\n", len(corpus))
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-14s removed %4d / %4d\n", k, total[k]-leaks[k], total[k])
	}
	utility := float64(kept) / float64(max(keeps, 1))
	fmt.Fprintf(&b, "  kept words     %4d / %4d (%.1f %%)\n", kept, keeps, 100*utility)
	t.Log("\n" + b.String())
	if utility < 0.95 {
		t.Errorf("kept %.1f %% of the non-identifying words, want at least 95 %%", 100*utility)
	}
}

// BenchmarkScrubCorpus is the scrub's cost per story of the corpus.
func BenchmarkScrubCorpus(b *testing.B) {
	corpus := loadCorpus(b)
	corpusScrub(corpus[0]) // the division names load once per process
	runes := 0
	for _, c := range corpus {
		runes += len([]rune(c.story))
	}
	b.ReportAllocs()
	// Wall time on a shared machine measures the other tenants too; the
	// thread's own CPU time is reported beside it (see BenchmarkScrub).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for b.Loop() {
		for _, c := range corpus {
			corpusScrub(c)
		}
	}
	if cpu0 >= 0 {
		b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N*len(corpus)), "cpu-ns/story")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(corpus)), "ns/story")
	b.ReportMetric(float64(runes)/float64(len(corpus)), "runes/story")
}

// TestScrubStoryTwice: public text is scrubbed again when a need's region
// is coarsened (hidePlaces) or re-derived; a second scrub must change
// nothing (60岁以上 is no age to write again).
func TestScrubStoryTwice(t *testing.T) {
	for _, c := range loadCorpus(t) {
		o := ScrubOptions{Names: c.names, AgeBand: c.band}
		once := ScrubStory(c.story, o)
		if twice := ScrubStory(once, o); twice != once {
			t.Errorf("%s: second scrub changed\n%q\ninto\n%q", c.id, once, twice)
		}
	}
}

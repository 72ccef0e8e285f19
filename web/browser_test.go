package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's Chromium through chromedp against a real
// server over real SQLite on httptest. They run unless
// JIUJINAN_BROWSER_TESTS=0 is set; without a Chromium they fail and say how to
// install one, so that CI never passes by skipping them silently.
//
// JIUJINAN_BROWSER_TRACE=1 logs how long each step took.
//
// JIUJINAN_SCREENSHOTS=1 rewrites docs/screenshots/*.png from the pages the
// tests visit.

// chromiumPath finds the browser, or fails the test with what to do.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("JIUJINAN_BROWSER_TESTS") == "0" {
		t.Skip("JIUJINAN_BROWSER_TESTS=0: browser tests skipped")
	}
	if p := os.Getenv("JIUJINAN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("browser tests need Chromium: run `apt-get install -y chromium` (or set JIUJINAN_CHROMIUM to its path); " +
		"set JIUJINAN_BROWSER_TESTS=0 to skip them deliberately")
	return ""
}

// site is a served test environment and a running Chromium.
type site struct {
	*testEnv
	URL     string
	browser context.Context
}

// chrome is the one Chromium of the test process, shared by the browser
// tests (each tab gets its own browser context, so cookies are not shared);
// TestMain stops it.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func sharedChrome(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	chrome.once.Do(func() {
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("force-color-profile", "srgb"),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
			chromedp.WindowSize(1280, 900),
		)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		chrome.ctx, chrome.cancel = bctx, func() { cancelBrowser(); cancelAlloc() }
		// The first Run starts the browser; it must not carry a timeout.
		if err := chromedp.Do(bctx); err != nil {
			chrome.err = fmt.Errorf("start Chromium (%s): %w", path, err)
		}
	})
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
	return chrome.ctx
}

// stopChrome ends the shared browser, if one was started.
func stopChrome() {
	if chrome.cancel != nil {
		chrome.cancel()
	}
}

// newSite serves env over HTTP for the shared Chromium; the server stops
// when the test ends.
func newSite(t *testing.T, env *testEnv) *site {
	t.Helper()
	bctx := sharedChrome(t)
	// The browser judges cookie expiry by the real clock, so the server's
	// clock starts at the real time (the tests still move it forward).
	now := time.Now().UTC().Truncate(time.Second)
	env.now.Store(&now)
	ts := httptest.NewServer(env.srv.Echo)
	t.Cleanup(ts.Close)
	return &site{testEnv: env, URL: ts.URL, browser: bctx}
}

// tab is one browser window with its own cookies (a fresh browser context),
// like one person on their own device.
type tab struct {
	t   *testing.T
	s   *site
	ctx context.Context
}

// tab opens a window with its own cookie jar.
func (s *site) tab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return &tab{t: t, s: s, ctx: ctx}
}

// do runs steps with a deadline so that a missing element fails the test
// instead of hanging it.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if os.Getenv("JIUJINAN_BROWSER_TRACE") != "" {
		start := time.Now()
		defer func() { b.t.Logf("step %v", time.Since(start)) }()
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("browser at %s: %v", loc, err)
	}
}

// run returns the value of one action, within a deadline.
func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	if os.Getenv("JIUJINAN_BROWSER_TRACE") != "" {
		start := time.Now()
		defer func() { b.t.Logf("run %v", time.Since(start)) }()
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("browser at %s: %v", loc, err)
	}
	return v
}

// open navigates to a path of the site and waits for the page.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.s.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
	// A Chinese page shows no English, as the browser renders it (with
	// what its scripts added).
	if evalIn[bool](b, `document.documentElement.lang.indexOf("zh")===0`) {
		text := evalIn[string](b, `document.body.innerText`)
		if words := untranslatedWords(html.EscapeString(text)); len(words) > 0 {
			b.t.Errorf("the Chinese page %s shows English in the browser: %s", path, strings.Join(words, " "))
		}
	}
}

// text is the visible text of the first element matching css.
func (b *tab) text(css string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}

// click clicks the first element matching css.
func (b *tab) click(css string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// fill types v into the field matching css, replacing what was there.
func (b *tab) fill(css, v string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(css)))
	sel, _ := json.Marshal(css)
	evalIn[bool](b, `(function(){var e=document.querySelector(`+string(sel)+`);e.value="";return true})()`)
	b.do(chromedp.SendKeys(chromedp.CSS(css), v))
}

// waitText waits until the element matching css shows want.
func (b *tab) waitText(css, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 300*time.Millisecond)
		got, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		cancel()
		if strings.Contains(got, want) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s shows %q, want %q", css, got, want)
	return ""
}

// eval evaluates JavaScript in the page (tests only; the pages themselves run
// no inline script).
func evalIn[T any](b *tab, js string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](js))
}

// viewport sets the window size (a phone is 375×812).
func (b *tab) viewport(w, h int64, mobile bool) {
	b.t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if mobile {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
	}
	b.do(chromedp.EmulateViewport(w, h, opts...))
}

// login signs in through the form.
func (b *tab) login(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.fill("#email", email)
	b.fill("#password", password)
	b.click(`main form button[type="submit"]`)
	b.waitJS(`document.querySelector('form[action="/logout"]') !== null`)
}

// screenshot saves the page as docs/screenshots/name.png when
// JIUJINAN_SCREENSHOTS=1.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("JIUJINAN_SCREENSHOTS") != "1" {
		return
	}
	png := run(b, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitJS waits until the JavaScript expression is true in the page, across
// navigations.
func (b *tab) waitJS(js string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 300*time.Millisecond)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("at %s: %s never became true", loc, js)
}

// settle leaves the focused field (which fires its change event) and waits
// until htmx has no request in flight, so that a click does not race a swap.
func (b *tab) settle() {
	b.t.Helper()
	evalIn[bool](b, `(function(){if (document.activeElement) document.activeElement.blur(); return true})()`)
	time.Sleep(100 * time.Millisecond)
	b.waitJS(`document.querySelector(".htmx-request") === null`)
}

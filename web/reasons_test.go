package web

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// verbRe finds the fmt verbs of a format (not %%).
var verbRe = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)

// sampleArgs are values for format's verbs: a number for %d, text for the
// others.
func sampleArgs(format string) []any {
	var args []any
	for _, v := range verbRe.FindAllString(strings.ReplaceAll(format, "%%", ""), -1) {
		if strings.HasSuffix(v, "d") {
			args = append(args, 7)
		} else {
			args = append(args, "甲")
		}
	}
	return args
}

// Every validation message the code can give has a zh-CN translation that
// takes the same values, and the catalogue holds nothing the code no longer
// says: a new kernel.ValidationError message without one fails here, not
// on a page as English.
func TestEveryValidationMessageIsTranslated(t *testing.T) {
	texts, problems := validationTexts(t)
	for _, p := range problems {
		t.Error(p)
	}
	if len(texts) < 150 {
		t.Fatalf("found only %d validation messages in the code: the scan is broken", len(texts))
	}
	zh, err := zhReasons()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range texts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tr, ok := zh[k]
		if !ok {
			t.Errorf("no zh-CN translation in i18n/reasons.zh.toml for %q (used at %s)", k, strings.Join(texts[k], ", "))
			continue
		}
		args := sampleArgs(k)
		got := fmt.Sprintf(tr, args...)
		if strings.Contains(got, "%!") {
			t.Errorf("the translation of %q does not take its %d values: %q", k, len(args), got)
		}
		if k != "%s" && !containsHan(tr) {
			t.Errorf("the translation of %q is not Chinese: %q", k, tr)
		}
	}
	for k := range zh {
		if _, ok := texts[k]; !ok {
			t.Errorf("i18n/reasons.zh.toml translates %q, which the code no longer says", k)
		}
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// An ID number typed wrong on the worker's form is named beside its field
// in Chinese, with every other mistake of the same submit (an amount that
// is not a number, a negative one, the phone, a date that does not exist),
// not one round at a time, and no English.
func TestTheNeedFormSaysEveryMistakeAtOnceInChinese(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, worker := env.user(kernel.RoleSocialWorker, nil)
		w := newBrowser(env)
		w.login(worker)
		v := needFormValues()
		id := v.Get("id_number")
		v.Set("id_number", id[:17]+string("0123456789X"[(strings.IndexByte("0123456789X", id[17])+1)%11]))
		v.Set("verified_cost", "一万")
		v.Set("statutory_relief", "-5")
		v.Set("phone", "12345")
		v.Set("cost_from", "2026-13-01")
		r := w.form("/worker/needs", v)
		if r.Code != http.StatusBadRequest {
			t.Fatalf("status %d", r.Code)
		}
		body := r.Body.String()
		beside := map[string]string{"id_number": "校验码不对", "phone": "须为中国大陆手机号码", "verified_cost": "请填写以元计的金额",
			"statutory_relief": "请填写以元计的金额", "cost_from": "须为日期"}
		for field, want := range beside {
			// The message follows its own input, before the next label.
			i := strings.Index(body, `id="`+field+`"`)
			if i < 0 {
				t.Fatalf("no input %s", field)
			}
			next := strings.Index(body[i:], "<label")
			if next < 0 {
				next = len(body) - i
			}
			if !strings.Contains(body[i:i+next], want) {
				t.Errorf("beside %s the form does not say %q: %s", field, want, visibleText(body[i:i+next]))
			}
		}
		text := visibleText(body)
		for _, english := range []string{"check character", "must ", "is required", "mainland", "amount", "invalid"} {
			if strings.Contains(text, english) {
				t.Errorf("the form shows English %q", english)
			}
		}
	})
}

var (
	scriptRe = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>`)
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// visibleText is what a reader sees of an HTML page: its text without tags,
// scripts and styles, entities decoded.
func visibleText(body string) string {
	s := scriptRe.ReplaceAllString(body, " ")
	s = tagRe.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

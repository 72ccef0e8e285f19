package xlsxsheet

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// tokens renders a part's tokens as the scanner reads them.
func tokens(r io.Reader) (string, error) {
	sc := newScanner(r)
	var b strings.Builder
	for {
		err := sc.next()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch sc.kind {
		case tokStart:
			fmt.Fprintf(&b, "<%s", sc.name)
			for _, a := range sc.attrs {
				fmt.Fprintf(&b, " %s=%q", a.name, sc.value(a))
			}
			b.WriteString(">")
			if sc.selfClose {
				fmt.Fprintf(&b, "</%s>", sc.name)
			}
		case tokEnd:
			fmt.Fprintf(&b, "</%s>", sc.name)
		case tokText:
			fmt.Fprintf(&b, "%q", sc.text)
		}
	}
}

// want renders the same with encoding/xml, texts merged as the scanner
// does not (CDATA beside text is two tokens in both: merged here).
func want(s string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var b strings.Builder
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			fmt.Fprintf(&b, "<%s", tok.Name.Local)
			for _, a := range tok.Attr {
				fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
			}
			b.WriteString(">")
		case xml.EndElement:
			fmt.Fprintf(&b, "</%s>", tok.Name.Local)
		case xml.CharData:
			fmt.Fprintf(&b, "%q", []byte(tok))
		}
	}
}

func TestTheScannerReadsLikeEncodingXML(t *testing.T) {
	for _, doc := range []string{
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" + `<a:b xmlns:a="u" x='1' y = "2>3" z="&lt;&#20013;&#x6587;&amp;&quot;&apos;"><c/><c r="A1" t="s" ><v>12</v></c></a:b>`,
		"<t xml:space=\"preserve\">  行\r\n二\r三 &gt; </t>",
		`<t><![CDATA[<not a tag> & ]]></t><!-- <c>comment</c> --><t>x</t>`,
		`<row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("长", 70000) + `</t></is></c></row>`,
	} {
		w, werr := want(doc)
		for name, r := range map[string]io.Reader{"whole": strings.NewReader(doc), "byte by byte": iotest.OneByteReader(strings.NewReader(doc))} {
			got, err := tokens(r)
			if err != nil || werr != nil || got != w {
				t.Errorf("%s %.80q:\n%.300s %v\nencoding/xml\n%.300s %v", name, doc, got, err, w, werr)
			}
		}
	}
}

func TestTheScannerRefusesWhatItDoesNotRead(t *testing.T) {
	for _, doc := range []string{
		`<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`,
		`<a>&e;</a>`,
		`<a>&#0;</a>`,
		`<a b=c></a>`,
		`<a b="c></a>`,
		"<a>\xff</a>",
		`<a><!-- unterminated`,
	} {
		if got, err := tokens(strings.NewReader(doc)); err == nil {
			t.Errorf("%q: %s, no error", doc, got)
		}
	}
}

// FuzzScanner: where both read a document, the scanner's tokens are
// encoding/xml's.
func FuzzScanner(f *testing.F) {
	f.Add(`<?xml version="1.0"?><a:b x='1' y = "2>3" z="&lt;&#20013;"><c/><t>a&amp;b</t></a:b>`)
	f.Add("<t xml:space=\"preserve\">  行\r\n二\r三 &gt; </t><![CDATA[x]]><!-- c -->")
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	f.Fuzz(func(t *testing.T, doc string) {
		w, werr := want(doc)
		got, err := tokens(strings.NewReader(doc))
		if err == nil && werr == nil && got != w {
			t.Errorf("%q:\n%s\nencoding/xml\n%s", doc, got, w)
		}
	})
}

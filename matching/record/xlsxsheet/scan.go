package xlsxsheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// A minimal XML tokenizer for the parts of a workbook. encoding/xml costs
// about a microsecond and several allocations per token, most of the
// import's time on a sheet; the parts of an .xlsx use a small subset of
// XML (no DTD, no custom entities), which this reads without allocating
// per token. Names are local names (the prefix cut off).

type tokKind int

const (
	tokStart tokKind = iota + 1 // <name attr="v"> or <name/> (then selfClose)
	tokEnd                      // </name>
	tokText                     // character data, entities decoded
)

// maxToken bounds one tag or one run of text held in memory (Excel's
// longest cell text is 32,767 characters).
const maxToken = 16 << 20

// attr is an attribute of the last start tag: its value is raw as it
// stands in the part, or, if it needed decoding, scratch[start:end]
// (scratch may move while it grows).
type attr struct {
	name, raw  []byte
	start, end int
	decoded    bool
}

type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool

	kind      tokKind
	name      []byte // local name of a start or end tag
	selfClose bool
	attrs     []attr // of a start tag; values decoded
	text      []byte // of a text token: a view of buf, or of textBuf
	textBuf   []byte // decoded text
	scratch   []byte // decoded attribute values
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10)}
}

var errUnexpectedEOF = errors.New("xml: unexpected end of part")

// more reads more of the part, keeping buf[pos:end]; the views of the
// last token become invalid.
func (s *scanner) more() error {
	if s.eof {
		return errUnexpectedEOF
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxToken {
			return fmt.Errorf("xml: a tag or text longer than %d MiB", maxToken>>20)
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if errors.Is(err, io.EOF) {
		s.eof = true
	} else if err != nil {
		return err
	}
	return nil
}

// find returns the offset from pos of delim at or after offset from, reading
// more as needed.
func (s *scanner) find(from int, delim string) (int, error) {
	for {
		var i int
		if len(delim) == 1 {
			i = bytes.IndexByte(s.buf[s.pos+from:s.end], delim[0])
		} else {
			i = bytes.Index(s.buf[s.pos+from:s.end], []byte(delim))
		}
		if i >= 0 {
			return from + i, nil
		}
		if s.eof {
			return 0, errUnexpectedEOF
		}
		if err := s.more(); err != nil {
			return 0, err
		}
	}
}

// next reads the next token; io.EOF at the end of the part.
func (s *scanner) next() error {
	for {
		if s.pos == s.end {
			if s.eof {
				return io.EOF
			}
			if err := s.more(); err != nil {
				return err
			}
			continue
		}
		if s.buf[s.pos] != '<' {
			return s.scanText()
		}
		if s.end-s.pos < 9 && !s.eof { // room for "<![CDATA["
			if err := s.more(); err != nil {
				return err
			}
			continue
		}
		rest := s.buf[s.pos+1 : s.end]
		switch {
		case len(rest) > 0 && rest[0] == '/':
			i, err := s.find(2, ">")
			if err != nil {
				return err
			}
			s.kind, s.name = tokEnd, localName(trimRight(s.buf[s.pos+2:s.pos+i]))
			s.pos += i + 1
			return nil
		case len(rest) > 0 && rest[0] == '?':
			i, err := s.find(2, "?>")
			if err != nil {
				return err
			}
			s.pos += i + 2
		case bytes.HasPrefix(rest, []byte("!--")):
			i, err := s.find(4, "-->")
			if err != nil {
				return err
			}
			s.pos += i + 3
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			i, err := s.find(9, "]]>")
			if err != nil {
				return err
			}
			s.textBuf = normalizeNewlines(s.textBuf[:0], s.buf[s.pos+9:s.pos+i])
			s.kind, s.text = tokText, s.textBuf
			s.pos += i + 3
			return nil
		case len(rest) > 0 && rest[0] == '!':
			// A DTD could declare entities; no part of a workbook has one.
			return errors.New("xml: a document type declaration")
		default:
			return s.scanStart()
		}
	}
}

func (s *scanner) scanText() error {
	i, err := s.find(0, "<")
	if errors.Is(err, errUnexpectedEOF) {
		i, err = s.end-s.pos, nil // text after the root: whitespace
	}
	if err != nil {
		return err
	}
	if raw := s.buf[s.pos : s.pos+i]; plain(raw) {
		s.text = raw
	} else {
		if s.textBuf, err = unescape(s.textBuf[:0], raw); err != nil {
			return err
		}
		s.text = s.textBuf
	}
	s.kind = tokText
	s.pos += i
	return nil
}

// scanStart reads a start tag; a '>' inside a quoted value does not end it.
func (s *scanner) scanStart() error {
	i := 1
	for {
		buf := s.buf[s.pos:s.end]
		for i < len(buf) {
			c := buf[i]
			if c == '>' {
				goto found
			}
			if c == '"' || c == '\'' {
				// Skip the value whole; if its end is not read yet, read more
				// and look again from its quote.
				k := bytes.IndexByte(buf[i+1:], c)
				if k < 0 {
					break
				}
				i += k + 2
				continue
			}
			i++
		}
		if err := s.more(); err != nil {
			return err
		}
	}
found:
	tag := s.buf[s.pos+1 : s.pos+i]
	s.pos += i + 1
	s.kind, s.selfClose = tokStart, false
	if n := len(tag); n > 0 && tag[n-1] == '/' {
		s.selfClose, tag = true, tag[:n-1]
	}
	j := 0
	for j < len(tag) && !isSpace(tag[j]) {
		j++
	}
	if j == 0 {
		return errors.New("xml: a tag without a name")
	}
	s.name = localName(tag[:j])
	s.attrs, s.scratch = s.attrs[:0], s.scratch[:0]
	rest := tag[j:]
	for {
		rest = trimLeft(rest)
		if len(rest) == 0 {
			return nil
		}
		eq := bytes.IndexByte(rest, '=')
		if eq <= 0 {
			return fmt.Errorf("xml: attribute without value in <%s>", s.name)
		}
		name := localName(trimRight(rest[:eq]))
		rest = trimLeft(rest[eq+1:])
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return fmt.Errorf("xml: unquoted attribute in <%s>", s.name)
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return fmt.Errorf("xml: unterminated attribute in <%s>", s.name)
		}
		raw := rest[1 : 1+end]
		rest = rest[end+2:]
		if plain(raw) {
			s.attrs = append(s.attrs, attr{name: name, raw: raw})
			continue
		}
		start := len(s.scratch)
		var err error
		if s.scratch, err = unescape(s.scratch, raw); err != nil {
			return err
		}
		s.attrs = append(s.attrs, attr{name: name, start: start, end: len(s.scratch), decoded: true})
	}
}

// attr returns the value of the attribute with the local name, after the
// start tag was read, and whether it is there.
func (s *scanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return s.value(a), true
		}
	}
	return nil, false
}

func (s *scanner) value(a attr) []byte {
	if a.decoded {
		return s.scratch[a.start:a.end]
	}
	return a.raw
}

// The cutset functions of package bytes build a set on each call: too
// slow for every tag of a sheet.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// localName cuts a prefix off as encoding/xml does: only a colon with a
// name on both sides is one.
func localName(b []byte) []byte {
	for i, c := range b {
		if c == ':' {
			if i == 0 || i == len(b)-1 {
				return b
			}
			return b[i+1:]
		}
	}
	return b
}

// plain tells text that needs no decoding: ASCII without references or
// carriage returns, the most of a sheet.
func plain(b []byte) bool {
	for _, c := range b {
		if c == '&' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}

// normalizeNewlines appends src to dst with \r\n and \r as \n, as XML
// parsers must.
func normalizeNewlines(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, '\r')
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(append(dst, src[:i]...), '\n')
		src = src[i+1:]
		if len(src) > 0 && src[0] == '\n' {
			src = src[1:]
		}
	}
}

// unescape appends src to dst with the predefined and numeric character
// references decoded; another entity is an error, as in encoding/xml.
func unescape(dst, src []byte) ([]byte, error) {
	if !utf8.Valid(src) {
		return dst, errors.New("xml: text is not UTF-8")
	}
	for {
		i := bytes.IndexByte(src, '&')
		if i < 0 {
			return normalizeNewlines(dst, src), nil
		}
		dst = normalizeNewlines(dst, src[:i])
		src = src[i+1:]
		semi := bytes.IndexByte(src, ';')
		if semi <= 0 || semi > 10 {
			return dst, errors.New("xml: an unterminated character reference")
		}
		ref := src[:semi]
		src = src[semi+1:]
		switch string(ref) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if ref[0] != '#' {
				return dst, fmt.Errorf("xml: an unknown entity &%s;", ref)
			}
			var n uint64
			var err error
			if len(ref) > 1 && ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || !isXMLChar(rune(n)) {
				return dst, fmt.Errorf("xml: an invalid character reference &%s;", ref)
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
	}
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

package output

import (
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// needsQuote says whether b must be quoted in text output: empty, or any
// byte that is not a plain printable ASCII character other than space,
// quote and backslash.
func needsQuote(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=' {
			return true
		}
	}
	return false
}

// needsArgQuote is needsQuote for one argument inside an already quoted
// args value, where '=' is harmless.
func needsArgQuote(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// appendEscaped writes b so that no byte of it can end a line, move the
// cursor or start a terminal escape sequence: C0 controls, DEL, C1 controls
// (as runes U+0080..U+009F and as the lone bytes 0x80..0x9f), invalid UTF-8
// and non-printable runes are written as \xNN, \uNNNN or \n-style escapes;
// backslash and double quote are escaped.  Printable UTF-8 is kept as is.
func appendEscaped(dst, b []byte) []byte {
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '\\' || c == '"':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case !unicode.IsPrint(r) || (r >= 0x80 && r <= 0x9f):
			dst = appendUEscape(dst, r)
		default:
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

func appendUEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		dst = append(dst, '\\', 'U')
		for s := 28; s >= 0; s -= 4 {
			dst = append(dst, hexDigits[(r>>uint(s))&0xf])
		}
		return dst
	}
	dst = append(dst, '\\', 'u')
	for s := 12; s >= 0; s -= 4 {
		dst = append(dst, hexDigits[(r>>uint(s))&0xf])
	}
	return dst
}

// appendValue writes a text-mode value: bare when safe, else quoted and
// escaped.
func appendValue(dst, b []byte) []byte {
	if !needsQuote(b) {
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, b)
	return append(dst, '"')
}

package chat

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// cleanText is what a message's text is stored as: Unicode NFC, line
// breaks as \n, and without the characters that make text show something
// other than what it says: control characters (but \n and \t) and the
// bidirectional embeddings, overrides and isolates (U+202A-U+202E,
// U+2066-U+2069), with which a visitor could make an operator read a
// reversed link or name. The marks U+200E and U+200F stay: they only
// nudge the direction of neutral characters, which right-to-left text
// needs.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r), isBidiControl(r), r == '\ufeff':
			return -1
		}
		return r
	}, s)
	return norm.NFC.String(s)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

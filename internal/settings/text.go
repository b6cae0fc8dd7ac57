package settings

import (
	"fmt"
	"strings"
	"unicode"

	"parley/internal/apperr"
)

// invalid is the error every parser returns: an apperr Invalid whose
// message is written for the person who typed the value, so a handler may
// pass it through, and the write path files it under the dotted key.
func invalid(format string, args ...any) error {
	return apperr.New(apperr.Invalid, format, args...)
}

// messageOf is the user-facing message of a parser error.
func messageOf(err error) string {
	return apperr.Public(err).Message
}

// maxReported bounds how many problems of one value are listed in its
// message: a pasted text with hundreds of bad lines needs the first few,
// not a wall of text.
const maxReported = 5

// joinProblems renders the problems found in one value.
func joinProblems(problems []string) string {
	if len(problems) <= maxReported {
		return strings.Join(problems, "; ")
	}
	return strings.Join(problems[:maxReported], "; ") +
		fmt.Sprintf("; and %d more", len(problems)-maxReported)
}

// hasControl reports a control character other than those allowed.
func hasControl(s string, allowed string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return true
		}
	}
	return false
}

// quote shows a user's value in a message, shortened so that a message
// never repeats a huge input.
func quote(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// isLetterOrDigit accepts the letters, digits and combining marks of any
// script, for internationalised host names.
func isLetterOrDigit(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

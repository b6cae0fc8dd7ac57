package settings

import (
	"strings"
	"time"

	// Lambda's provided.al2023 image has no zoneinfo: embed the database so
	// that every IANA zone loads wherever the binary runs.
	_ "time/tzdata"
)

// maxZoneName bounds a zone name; the longest IANA name is about 30.
const maxZoneName = 64

// ParseTimezone parses company.timezone: an IANA zone name such as
// Europe/Moscow or UTC. Refused: "", "Local" (the server's zone, not the
// account's), and names that exist only in some systems' zoneinfo
// directories (posix/…, right/…, posixrules, localtime), so that a value
// accepted on a developer's machine also loads on Lambda. Errors are apperr
// Invalid.
func ParseTimezone(name string) (*time.Location, error) {
	bad := invalid("%s is not a time zone: choose a region and city, e.g. Europe/Moscow", quote(name))
	if name == "" || name == "Local" || len(name) > maxZoneName ||
		strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/") ||
		name == "posixrules" || name == "localtime" {
		return nil, bad
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIIAlnum(c) && !strings.ContainsRune("/_+-", rune(c)) {
			return nil, bad
		}
	}
	if name[0] == '/' || strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

package httpapi

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// PackCursor makes the opaque before= value of a page boundary from its
// keys; the last may contain ':', the others may not.
func PackCursor(keys ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(keys, ":")))
}

// UnpackCursor reads the n keys PackCursor packed, and refuses anything
// else.
func UnpackCursor(s string, n int) ([]string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	keys := strings.SplitN(string(b), ":", n)
	return keys, len(keys) == n
}

// FormatMicros writes a database time in microseconds, PostgreSQL's
// precision, so that it round-trips exactly.
func FormatMicros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// ParseMicros reads what FormatMicros wrote.
func ParseMicros(s string) (time.Time, bool) {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.UnixMicro(us).UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		// No database time is outside these years.
		return time.Time{}, false
	}
	return t, true
}

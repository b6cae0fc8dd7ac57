package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of samples by the
// nearest-rank method: the smallest sample with at least p% of the samples
// at or below it. Unlike interpolation it always returns a latency that was
// observed, and p99 of fewer than 100 samples is the maximum. 0 for none.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Mean returns the arithmetic mean of samples, 0 for none.
func Mean(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return sum / time.Duration(len(samples))
}

// Printer writes figures as "name: value unit" lines.
type Printer struct {
	W io.Writer
}

// Figure writes one line, value formatted by FormatValue.
func (p Printer) Figure(name string, value float64, unit string) {
	fmt.Fprintf(p.W, "%s: %s %s\n", name, FormatValue(value), unit)
}

// Ms writes a duration in milliseconds.
func (p Printer) Ms(name string, d time.Duration) {
	p.Figure(name, float64(d)/float64(time.Millisecond), "ms")
}

// FormatValue prints integers exactly and other values to at most three
// significant digits, without an exponent or trailing zeros.
func FormatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v == 0 {
		return "0"
	}
	digits := 3 - int(math.Floor(math.Log10(math.Abs(v)))) - 1
	digits = max(digits, 0)
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

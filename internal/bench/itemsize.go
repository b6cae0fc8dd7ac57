package bench

import (
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemSize is an item's size by DynamoDB's rules ("Item sizes and
// formats" in the DynamoDB developer guide): each attribute's name in
// UTF-8 bytes plus its value: a string's UTF-8 bytes, a binary's bytes, a
// number's significant digits in pairs plus 1 (numberSize), 1 byte for a boolean
// or null, 3 bytes for a list or map plus 1 per element plus the
// elements (and a map's keys), and the elements of a set.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is a number's stored size: its significant digits in pairs
// aligned on the decimal point (base 100), plus 1 byte. The developer
// guide's "1 byte per two significant digits" is this, approximately;
// DynamoDB Local counts the exact form (12345.678 is 01 23 45 . 67 80: 6
// bytes, not 5).
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	mantissa, expStr, _ := strings.Cut(strings.ToLower(s), "e")
	exp, _ := strconv.Atoi(expStr)
	intPart, frac, _ := strings.Cut(mantissa, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac) // the power of ten of the last digit
	for strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		exp++
	}
	if digits == "" {
		return 1
	}
	high := exp + len(digits) - 1
	return floorDiv(high, 2) - floorDiv(exp, 2) + 1 + 1
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// writeUnits is what a standard write of an item of size bytes costs: one
// unit per KB or part of one, at least one.
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/1024))
}

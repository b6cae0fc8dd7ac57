// Package stats is the statistics of SPEC §4.4–§4.8: what each chat adds
// to its day's counters, the first-response histogram, and the reports
// read back from the days (GET /v1/stats, the daily report).
//
// Counting is by contribution: a chat, as it stands, contributes a set of
// counters to the day it started (Contribution). A change of the chat adds
// the difference between its new and its old contribution (ChatDelta), so
// the counters always equal the sum of the chats' current contributions,
// whatever order the changes arrive in; the store applies each stream
// record's delta at most once (a marker per record written in the same
// transaction), which makes the counting idempotent under replay.
package stats

import (
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"parley/internal/chat"
	"parley/internal/settings"
)

// Dimensions a day's counters are broken down by. Total is the account as
// a whole.
const (
	Total      = "total"
	Operator   = "operator"
	Department = "department"
	Category   = "category"
	Language   = "language"
	Channel    = "channel"
)

// Dimensions lists the breakdowns, Total first.
var Dimensions = []string{Total, Operator, Department, Category, Language, Channel}

// Metrics a dimension value counts.
const (
	Chats            = "chats"     // chats started (offline requests apart)
	Offline          = "offline"   // offline requests
	Answered         = "answered"  // an operator answered
	Missed           = "missed"    // left unanswered after refusalTimeout
	Refusals         = "refusals"  // left unanswered within it
	BusyFirst        = "busyFirst" // busy messages of the first-response timeout
	BusyAnswer       = "busyAnswer"
	VisitorMessages  = "visitorMessages"
	OperatorMessages = "operatorMessages"
	FirstCount       = "frtCount" // chats with a first response, and
	FirstSum         = "frtSum"   // the sum of their first-response seconds
	Closed           = "closed"   // chats closed for good, and
	DurationSum      = "durSum"   // the sum of their durations in seconds
	OnlineSeconds    = "onlineSec"
	ratingPrefix     = "rating."
	bucketPrefix     = "frt."
)

// ChannelWeb is the widget's channel value in the counters ("web" since
// before messengers were channels, so stored days keep adding up); a
// messenger's chat counts under its own (chat.ChannelTelegram, chat.ChannelVK).
const ChannelWeb = "web"

// channelOf is the chat's channel value in the counters.
func channelOf(c chat.Chat) string {
	if c.Channel == "" || c.Channel == chat.ChannelWidget {
		return ChannelWeb
	}
	return c.Channel
}

// Key names one counter: a dimension, its value, a metric. The store keeps
// each key as one attribute of the day's item.
type Key struct{ Dim, Value, Metric string }

// String is the attribute name: "dim=value|metric" (Total has no value).
// Metrics never hold "|", so the last one splits.
func (k Key) String() string { return k.Dim + "=" + k.Value + "|" + k.Metric }

// ParseKey reads an attribute name back; ok is false for any other
// attribute of the item.
func ParseKey(s string) (Key, bool) {
	i := strings.LastIndexByte(s, '|')
	if i < 0 {
		return Key{}, false
	}
	dim, value, ok := strings.Cut(s[:i], "=")
	if !ok {
		return Key{}, false
	}
	return Key{Dim: dim, Value: value, Metric: s[i+1:]}, true
}

// Counters are counts by key.
type Counters map[Key]int64

// Add adds o into c.
func (c Counters) Add(o Counters, sign int64) {
	for k, v := range o {
		c[k] += sign * v
		if c[k] == 0 {
			delete(c, k)
		}
	}
}

// DayDelta is what one change adds to one day of an account.
type DayDelta struct {
	Day    string // YYYY-MM-DD in the account's zone
	Counts Counters
}

// Bounds are the upper bounds, in seconds, of the first-response
// histogram's buckets; a last bucket holds everything longer. The same
// bounds every day, so days merge by adding buckets.
var Bounds = []int64{5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800}

// Bucket is the histogram bucket of a first response of secs seconds.
func Bucket(secs int64) int {
	return sort.Search(len(Bounds), func(i int) bool { return secs <= Bounds[i] })
}

func bucketMetric(i int) string { return bucketPrefix + strconv.Itoa(i) }

// BucketOf reads a bucket metric back.
func BucketOf(metric string) (int, bool) {
	s, ok := strings.CutPrefix(metric, bucketPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && i <= len(Bounds)
}

// RatingOf reads a rating metric back.
func RatingOf(metric string) (chat.Rating, bool) {
	s, ok := strings.CutPrefix(metric, ratingPrefix)
	return chat.Rating(s), ok
}

// DayOfChat is the day a chat counts on: the one it stored at start, or,
// for a chat stored before days were, its start in the default zone.
func DayOfChat(c chat.Chat) string {
	if c.Day != "" {
		return c.Day
	}
	loc, _ := time.LoadLocation(settings.DefaultTimezone)
	return chat.DayOf(c.StartedAt, loc)
}

func secs(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d.Round(time.Second) / time.Second)
}

// Contribution is what a chat, as it stands, adds to its day: every metric
// it has, under each dimension value it has.
func Contribution(c chat.Chat) Counters {
	m := map[string]int64{}
	if c.Offline {
		m[Offline] = 1
	} else {
		m[Chats] = 1
	}
	switch c.Outcome {
	case chat.Answered:
		m[Answered] = 1
	case chat.Missed:
		m[Missed] = 1
	case chat.Refusal:
		m[Refusals] = 1
	}
	if !c.BusyFirstAt.IsZero() {
		m[BusyFirst] = 1
	}
	if !c.BusyAnswerAt.IsZero() {
		m[BusyAnswer] = 1
	}
	if c.Rating != "" {
		m[ratingPrefix+string(c.Rating)] = 1
	}
	m[VisitorMessages], m[OperatorMessages] = c.VisitorMessages, c.OperatorMessages
	if !c.Offline && !c.AnsweredAt.IsZero() {
		s := secs(c.AnsweredAt.Sub(c.StartedAt))
		m[FirstCount], m[FirstSum], m[bucketMetric(Bucket(s))] = 1, s, 1
	}
	if c.Status == chat.Closed && !c.Offline && !c.ClosedAt.IsZero() {
		m[Closed], m[DurationSum] = 1, secs(c.ClosedAt.Sub(c.StartedAt))
	}
	values := map[string]string{Total: "", Operator: c.OperatorID, Department: c.DepartmentID, Category: c.Category,
		Language: c.Language, Channel: channelOf(c)}
	out := Counters{}
	for dim, v := range values {
		if v == "" && dim != Total {
			continue
		}
		for metric, n := range m {
			if n != 0 {
				out[Key{dim, v, metric}] = n
			}
		}
	}
	return out
}

// ChatDelta is what a chat's change from before (nil: it is new) to after
// adds: after's contribution less before's, on each one's day. Empty when
// nothing counted changed (a read mark, a page), so most changes cost no
// write.
func ChatDelta(before *chat.Chat, after chat.Chat) []DayDelta {
	days := map[string]Counters{}
	add := func(c chat.Chat, sign int64) {
		d := DayOfChat(c)
		if days[d] == nil {
			days[d] = Counters{}
		}
		days[d].Add(Contribution(c), sign)
	}
	add(after, 1)
	if before != nil {
		add(*before, -1)
	}
	var out []DayDelta
	for _, d := range sortedKeys(days) {
		if len(days[d]) > 0 {
			out = append(out, DayDelta{Day: d, Counts: days[d]})
		}
	}
	return out
}

// Online is an operator's online time from from to to, split across the
// days of loc it spans.
func Online(personID string, from, to time.Time, loc *time.Location) []DayDelta {
	var out []DayDelta
	for from.Before(to) {
		y, mo, d := from.In(loc).Date()
		next := time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		end := next
		if to.Before(end) {
			end = to
		}
		if s := secs(end.Sub(from)); s > 0 {
			out = append(out, DayDelta{Day: chat.DayOf(from, loc), Counts: Counters{
				{Total, "", OnlineSeconds}: s, {Operator, personID, OnlineSeconds}: s}})
		}
		from = end
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

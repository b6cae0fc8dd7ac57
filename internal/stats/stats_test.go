package stats

import (
	"testing"
	"time"

	"parley/internal/chat"
)

// A chat's life, change by change: the deltas add up to its final
// contribution, on the day it started, whatever the order they are added.
func TestDeltasTelescope(t *testing.T) {
	start := time.Date(2030, 1, 1, 20, 59, 0, 0, time.UTC)
	c0 := chat.Chat{AccountID: "a", ID: "c", Status: chat.Waiting, Language: "ru", Day: "2030-01-01", StartedAt: start, VisitorMessages: 1}
	c1 := c0
	c1.Status, c1.OperatorID, c1.AnsweredAt, c1.Outcome, c1.OperatorMessages = chat.Active, "op", start.Add(25*time.Second), chat.Answered, 1
	c2 := c1
	c2.Category, c2.Rating = "Sales", chat.Good
	c3 := c2
	c3.Category, c3.Status, c3.ClosedAt = "Support", chat.Closed, start.Add(10*time.Minute)
	var deltas []DayDelta
	prev := (*chat.Chat)(nil)
	for _, c := range []chat.Chat{c0, c1, c2, c3} {
		deltas = append(deltas, ChatDelta(prev, c)...)
		prev = &c
	}
	got := Counters{}
	for i := len(deltas) - 1; i >= 0; i-- { // backwards: ADD commutes
		if deltas[i].Day != "2030-01-01" {
			t.Fatalf("delta on %s, want the start day", deltas[i].Day)
		}
		got.Add(deltas[i].Counts, 1)
	}
	want := Contribution(c3)
	if len(got) != len(want) {
		t.Fatalf("got %d counters, want %d: %v", len(got), len(want), got)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v = %d, want %d", k, got[k], n)
		}
	}
	if got[Key{Category, "Sales", Chats}] != 0 || got[Key{Category, "Support", Chats}] != 1 || got[Key{Operator, "op", Answered}] != 1 {
		t.Errorf("the category move or the operator's answer is wrong: %v", got)
	}
	if got[Key{Total, "", bucketMetric(Bucket(25))}] != 1 || got[Key{Total, "", DurationSum}] != 600 {
		t.Errorf("histogram or duration: %v", got)
	}
	if d := ChatDelta(&c3, c3); len(d) != 0 {
		t.Errorf("an unchanged chat adds %v", d)
	}
}

// Chats count under their channel: the widget's as web, a messenger's
// under its own name, and never under another's.
func TestContributionByChannel(t *testing.T) {
	start := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	for channel, want := range map[string]string{"": ChannelWeb, chat.ChannelWidget: ChannelWeb, chat.ChannelTelegram: "telegram", chat.ChannelVK: "vk"} {
		c := chat.Chat{AccountID: "a", ID: "c", Status: chat.Waiting, Day: "2030-01-01", StartedAt: start, VisitorMessages: 1, Channel: channel}
		got := Contribution(c)
		if got[Key{Channel, want, Chats}] != 1 {
			t.Errorf("a chat on channel %q: %v, want one chat under %s", channel, got, want)
		}
		for k := range got {
			if k.Dim == Channel && k.Value != want {
				t.Errorf("a chat on channel %q counts under %s", channel, k.Value)
			}
		}
	}
}

func TestQuantileAndBuild(t *testing.T) {
	days := []Day{
		{Date: "2030-01-01", Counts: Counters{{Total, "", FirstCount}: 2, {Total, "", FirstSum}: 20, {Total, "", bucketMetric(1)}: 2, {Total, "", Chats}: 2}},
		{Date: "2030-01-03", Counts: Counters{{Total, "", FirstCount}: 2, {Total, "", FirstSum}: 200, {Total, "", bucketMetric(7)}: 2, {Total, "", Chats}: 3,
			{Operator, "op", Chats}: 1}},
	}
	from, to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 3, 0, 0, 0, 0, time.UTC)
	rows, tot := Build(days, from, to, ByDay, Key{Dim: Total})
	if len(rows) != 3 || rows[1].Chats != 0 || tot.Chats != 5 {
		t.Fatalf("rows %+v totals %+v", rows, tot)
	}
	// Merged: 2 in (5,10], 2 in (60,90]: median at the top of the first
	// bucket, p90 inside the second.
	if *tot.FirstResponse.Median != 10 || *tot.FirstResponse.P90 != 84 || *tot.FirstResponse.Avg != 55 {
		t.Errorf("median %v p90 %v avg %v", *tot.FirstResponse.Median, *tot.FirstResponse.P90, *tot.FirstResponse.Avg)
	}
	if rows, _ := Build(days, from, to, ByWeek, Key{Dim: Total}); len(rows) != 1 || rows[0].Key != "2029-12-31" || rows[0].Chats != 5 {
		t.Errorf("weeks: %+v", rows)
	}
	if rows, tot := Build(days, from, to, ByDay, Key{Operator, "op", ""}); tot.Chats != 1 || rows[2].Chats != 1 {
		t.Errorf("an operator's own row: %+v", tot)
	}
}

func TestOnlineSplitsAtLocalMidnight(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	from := time.Date(2030, 1, 2, 7, 30, 0, 0, time.UTC) // 23:30 on the 1st in LA
	d := Online("op", from, from.Add(time.Hour), la)
	if len(d) != 2 || d[0].Day != "2030-01-01" || d[0].Counts[Key{Operator, "op", OnlineSeconds}] != 1800 || d[1].Day != "2030-01-02" {
		t.Errorf("split: %+v", d)
	}
}

func TestQueryParse(t *testing.T) {
	today := time.Date(2030, 1, 31, 12, 0, 0, 0, time.UTC)
	if f, to, g, err := (Query{}).parse(today); err != nil || f.Format(time.DateOnly) != "2030-01-02" || to.Format(time.DateOnly) != "2030-01-31" || g != ByDay {
		t.Errorf("defaults: %v %v %v %v", f, to, g, err)
	}
	for _, q := range []Query{{From: "2030-13-01"}, {GroupBy: "year"}, {From: "2030-01-05", To: "2030-01-04"}, {From: "2028-01-01", To: "2030-01-01"}} {
		if _, _, _, err := q.parse(today); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
}

func TestKeyRoundTrip(t *testing.T) {
	k := Key{Category, "A=B | C", Chats}
	if got, ok := ParseKey(k.String()); !ok || got != k {
		t.Errorf("%q -> %+v", k.String(), got)
	}
	if _, ok := ParseKey("pk"); ok {
		t.Error("pk parsed as a counter")
	}
}

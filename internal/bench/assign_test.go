package bench

import (
	"testing"

	"parley/internal/chat"
)

func queued(ids ...string) []chat.Queued {
	out := make([]chat.Queued, len(ids))
	for i, id := range ids {
		out[i] = chat.Queued{ChatID: id, Seq: int64(i + 1)}
	}
	return out
}

// TestCountViolations builds each breach by hand on a world of two
// operators with a limit of 2 and chats c1…c6.
func TestCountViolations(t *testing.T) {
	started := []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	arrivals := []string{"c5", "c6"}
	good := func() AssignState {
		return AssignState{
			Count: map[string]int64{"a": 2, "b": 2},
			Held:  map[string][]string{"a": {"c1", "c2"}, "b": {"c3", "c4"}},
			Queue: queued("c5", "c6"),
		}
	}
	cases := []struct {
		name   string
		edit   func(s *AssignState)
		closed map[string]bool
		want   Violations
	}{
		{"none", func(*AssignState) {}, nil, Violations{}},
		{"over the limit", func(s *AssignState) {
			s.Held["a"], s.Count["a"], s.Queue = []string{"c1", "c2", "c5"}, 3, queued("c6")
		}, nil, Violations{OverLimit: 1}},
		{"count off", func(s *AssignState) { s.Count["b"] = 1 }, nil, Violations{CountMismatch: 1}},
		{"a count without an operator's chats", func(s *AssignState) { s.Count["z"] = 1 }, nil, Violations{CountMismatch: 1}},
		{"held twice", func(s *AssignState) { s.Held["b"], s.Count["b"] = []string{"c3", "c1"}, 2 }, nil,
			Violations{HeldTwice: 1, Lost: 1}}, // c4 is nowhere
		{"held and queued", func(s *AssignState) { s.Queue = []chat.Queued{{ChatID: "c5", Seq: 1}, {ChatID: "c1", Seq: 2}} }, nil,
			Violations{HeldTwice: 1, OutOfOrder: 1, Lost: 1}},
		{"lost", func(s *AssignState) { s.Queue = s.Queue[1:] }, nil, Violations{Lost: 1}}, // c5 gone; c6 is still the latest
		{"queue numbers out of order", func(s *AssignState) { s.Queue[1].Seq = 1 }, nil, Violations{OutOfOrder: 1}},
		{"served out of arrival order", func(s *AssignState) {
			// c6 was assigned before c5, which waited: b closed c4 and got c6.
			s.Held["b"], s.Queue = []string{"c3", "c6"}, []chat.Queued{{ChatID: "c5", Seq: 1}}
		}, map[string]bool{"c4": true}, Violations{OutOfOrder: 1}},
		{"idle beside the queue", func(s *AssignState) { s.Held["b"], s.Count["b"] = []string{"c3"}, 1 },
			map[string]bool{"c4": true}, Violations{Idle: 1}},
		{"closed and assigned again", func(s *AssignState) {}, map[string]bool{"c2": true}, Violations{Reassigned: 1}},
		{"drained in order", func(s *AssignState) {
			s.Held["a"], s.Queue = []string{"c1", "c5"}, queued("c6")
			s.Queue[0].Seq = 2
		}, map[string]bool{"c2": true}, Violations{}},
		{"empty at the end", func(s *AssignState) {
			s.Held, s.Count, s.Queue = map[string][]string{"a": nil, "b": nil}, map[string]int64{"a": 0, "b": 0}, nil
		}, map[string]bool{"c1": true, "c2": true, "c3": true, "c4": true, "c5": true, "c6": true}, Violations{}},
	}
	for _, c := range cases {
		s := good()
		c.edit(&s)
		closed := c.closed
		if closed == nil {
			closed = map[string]bool{}
		}
		if got := CountViolations(s, 2, started, closed, arrivals); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	if v := (Violations{1, 2, 3, 4, 5, 6, 7}); v.Total() != 28 || v.Add(v).Total() != 56 {
		t.Errorf("Total %d, Add %+v", v.Total(), v.Add(v))
	}
}

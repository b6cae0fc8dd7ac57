package chat_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/internal/auth"
	"parley/internal/chat"
	"parley/internal/settings"
)

// TestSees: who sees which open chat (SPEC §4.2, §4.3, §2.7).
func TestSees(t *testing.T) {
	op := chat.Party{AccountID: "a", ID: "op", Kind: chat.FromOperator, Role: auth.Operator}
	admin := chat.Party{AccountID: "a", ID: "adm", Kind: chat.FromOperator, Role: auth.Administrator}
	speaksEN := chat.Operator{ID: "op", Languages: []string{"en"}, Departments: []string{"sales"}}
	var multi, hide settings.Document
	multi.Features.Multilingual = true
	hide.Features.HideOthersChats = true
	for _, tc := range []struct {
		name string
		doc  settings.Document
		p    chat.Party
		c    chat.Chat
		want bool
	}{
		{"waiting, no department", settings.Document{}, op, chat.Chat{Status: chat.Waiting, Language: "ru"}, true},
		{"waiting in a language they do not speak", multi, op, chat.Chat{Status: chat.Waiting, Language: "ru"}, false},
		{"waiting in their language", multi, op, chat.Chat{Status: chat.Waiting, Language: "en"}, true},
		{"queued for their department", settings.Document{}, op, chat.Chat{Status: chat.Waiting, DepartmentID: "sales", QueueSeq: 3}, true},
		{"waiting for another department", settings.Document{}, op, chat.Chat{Status: chat.Waiting, DepartmentID: "billing"}, false},
		{"another's chat", settings.Document{}, op, chat.Chat{Status: chat.Active, OperatorID: "x", DepartmentID: "billing"}, true},
		{"another's chat, hidden", hide, op, chat.Chat{Status: chat.Active, OperatorID: "x"}, false},
		{"another's chat in another language", multi, op, chat.Chat{Status: chat.Active, OperatorID: "x", Language: "ru"}, false},
		{"their own chat, whatever its language", multi, op, chat.Chat{Status: chat.Active, OperatorID: "op", Language: "ru"}, true},
		{"a manager, hidden and in another language", hide, admin, chat.Chat{Status: chat.Active, OperatorID: "x", Language: "ru"}, true},
		{"a manager, another department", settings.Document{}, admin, chat.Chat{Status: chat.Waiting, DepartmentID: "billing"}, true},
	} {
		if got := chat.Sees(tc.doc, tc.p, speaksEN, tc.c); got != tc.want {
			t.Errorf("%s: Sees = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// refusingStore answers every assignment with err, so the test can see that
// ObserveAssignments reports exactly the assignments the wrapped
// store committed, never a refused one.
type refusingStore struct {
	chat.RoutingStore
	err error
}

func (s refusingStore) AutoAssign(context.Context, chat.Chat, string, int, time.Time) error {
	return s.err
}
func (s refusingStore) AssignQueued(context.Context, chat.Queued, string, int, time.Time) error {
	return s.err
}

func TestObserveAssignments(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, 2}, {chat.ErrFull, 0}, {errors.New("boom"), 0}} {
		var got []chat.Assignment
		s := chat.ObserveAssignments(refusingStore{err: tc.err}, func(_ context.Context, a chat.Assignment) { got = append(got, a) })
		_ = s.AutoAssign(t.Context(), chat.Chat{AccountID: "a", ID: "c1"}, "op", 5, time.Now())
		_ = s.AssignQueued(t.Context(), chat.Queued{AccountID: "a", ChatID: "c2", Seq: 7}, "op", 5, time.Now())
		if len(got) != tc.want {
			t.Fatalf("store error %v: observed %v", tc.err, got)
		}
		if tc.want == 2 && (got[0] != chat.Assignment{AccountID: "a", ChatID: "c1", OperatorID: "op"} || got[1] != chat.Assignment{AccountID: "a", ChatID: "c2", OperatorID: "op", FromQueue: true}) {
			t.Fatalf("observed %+v", got)
		}
	}
}

package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/dynamo"
	"parley/internal/lambdas"
	"parley/internal/routes"
	"parley/internal/settings"
)

type allDepartments struct{}

func (allDepartments) DepartmentExists(context.Context, string, string) (bool, error) {
	return true, nil
}

// TestHistoryAppliesTheReadRule: the history lists only the chats an
// operator could open one by one: in multilingual mode those in a
// language they speak (English here, not Russian), and of a department's chats only their
// department's; a supervisor sees every one.
func TestHistoryAppliesTheReadRule(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	acc := "acc-" + fmt.Sprint(time.Now().UnixNano())
	doc, err := settings.NewAccountDocument("en", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc.Features.Multilingual = true
	raw, _ := json.Marshal(doc)
	if _, err := s.SaveSettings(ctx, dynamo.SettingsRecord{AccountID: acc, Doc: string(raw), UpdatedAt: time.Now()}, 0); err != nil {
		t.Fatal(err)
	}
	svc := lambdas.ChatService(s, time.Now)
	svc.Departments = allDepartments{}
	svc.Profiles = func(_ context.Context, _, id string) (chat.Operator, error) {
		return chat.Operator{ID: id, Languages: []string{"en"}, Departments: []string{"sales"}}, nil
	}
	ids := map[string]string{}
	for name, in := range map[string]chat.StartInput{
		"en":         {Language: "en"},
		"ru":         {Language: "ru"},
		"en-sales":   {Language: "en", DepartmentID: "sales"},
		"en-billing": {Language: "en", DepartmentID: "billing"},
		"ru-sales":   {Language: "ru", DepartmentID: "sales"},
	} {
		c, _, _, err := svc.Start(ctx, visitorParty(acc, "v-"+name), in)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.ID] = name
	}
	list := func(p chat.Party) []string {
		page, err := svc.History(ctx, p, chat.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range page.Chats {
			names = append(names, ids[c.ID])
		}
		slices.Sort(names)
		return names
	}
	if got, want := list(operatorParty(acc, "op1")), []string{"en", "en-sales"}; !slices.Equal(got, want) {
		t.Fatalf("an English-speaking sales operator's history: %v, want %v", got, want)
	}
	if got := list(chat.Party{AccountID: acc, Kind: chat.FromOperator, ID: "sup", Role: routes.Supervisor}); len(got) != len(ids) {
		t.Fatalf("a supervisor's history: %v, want all %d", got, len(ids))
	}
	// What the history lists, a single read opens, and what it leaves
	// out, a single read refuses.
	for id, name := range ids {
		_, err := svc.Chat(ctx, operatorParty(acc, "op1"), id)
		if listed := name == "en" || name == "en-sales"; listed != (err == nil) {
			t.Errorf("chat %s: listed %v, single read %v", name, listed, err)
		}
	}
}

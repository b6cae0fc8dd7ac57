package chat_test

import (
	"testing"
	"time"

	"parley/internal/chat"
	"parley/internal/settings"
)

func TestPriorityPage(t *testing.T) {
	pages := []string{"https://shop.example/pricing", "https://shop.example/sale/"}
	for page, want := range map[string]bool{
		"https://shop.example/pricing":          true,
		"https://shop.example/pricing/plans":    true,
		"https://shop.example/pricing?plan=pro": true,
		"https://shop.example/pricingx":         false,
		"https://shop.example/sale/shoes":       true,
		"https://shop.example/about":            false,
		"https://other.example/pricing":         false,
	} {
		if got := chat.PriorityPage(pages, page); got != want {
			t.Errorf("PriorityPage(%q) = %v, want %v", page, got, want)
		}
	}
}

func TestCheckCategory(t *testing.T) {
	tree, err := settings.ParseCategories("Sales\n Upgrade\n Refund\nSupport")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"sales": "Sales", " Sales / refund ": "Sales / Refund", "Support": "Support", "": ""} {
		if got, err := chat.CheckCategory(tree, in); err != nil || got != want {
			t.Errorf("CheckCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Billing", "Support / Upgrade", "Sales / "} {
		if _, err := chat.CheckCategory(tree, in); err == nil {
			t.Errorf("CheckCategory(%q) accepted a category not in the tree", in)
		}
	}
}

func TestButton(t *testing.T) {
	two := 2
	for _, tc := range []struct {
		misc                settings.Misc
		draw                int
		online              bool
		waiting, unanswered int64
		want                string
	}{
		{settings.Misc{ButtonProbability: 100}, 99, true, 0, 0, chat.ButtonOnline},
		{settings.Misc{ButtonProbability: 100}, 0, false, 0, 0, chat.ButtonOffline},
		{settings.Misc{ButtonProbability: 30}, 30, true, 0, 0, chat.ButtonHidden},
		{settings.Misc{ButtonProbability: 0}, 0, true, 0, 0, chat.ButtonHidden},
		{settings.Misc{ButtonProbability: 100, OnlineQueueLimit: &two}, 5, true, 1, 0, chat.ButtonOnline},
		{settings.Misc{ButtonProbability: 100, OnlineQueueLimit: &two}, 5, true, 2, 0, chat.ButtonOffline},
		// A full offline queue hides the offline button, never the online one.
		{settings.Misc{ButtonProbability: 100, OfflineQueueLimit: &two}, 5, false, 0, 1, chat.ButtonOffline},
		{settings.Misc{ButtonProbability: 100, OfflineQueueLimit: &two}, 5, false, 0, 2, chat.ButtonHidden},
		{settings.Misc{ButtonProbability: 100, OfflineQueueLimit: &two}, 5, true, 0, 2, chat.ButtonOnline},
		{settings.Misc{ButtonProbability: 100, OnlineQueueLimit: &two, OfflineQueueLimit: &two}, 5, true, 2, 2, chat.ButtonHidden},
		{settings.Misc{ButtonProbability: 100}, 5, false, 0, 1000, chat.ButtonOffline},
	} {
		if got := chat.Button(tc.misc, tc.draw, tc.online, tc.waiting, tc.unanswered); got != tc.want {
			t.Errorf("Button(%+v, draw %d, online %v, waiting %d, unanswered %d) = %s, want %s", tc.misc, tc.draw, tc.online, tc.waiting, tc.unanswered, got, tc.want)
		}
	}
}

func TestIDs(t *testing.T) {
	a := chat.NewID(time.UnixMilli(1000))
	b := chat.NewID(time.UnixMilli(2000))
	if !chat.ValidID(a) || !chat.ValidID(b) || a >= b || chat.ValidID("../x") {
		t.Fatalf("ids %q %q: want valid and ordered by time", a, b)
	}
}

func TestCheckText(t *testing.T) {
	if _, err := chat.CheckText("  "); err == nil {
		t.Error("blank text accepted")
	}
	if _, err := chat.CheckText(string(make([]byte, chat.MaxTextBytes+1))); err == nil {
		t.Error("oversized text accepted")
	}
	if got, err := chat.CheckText(" hi "); err != nil || got != "hi" {
		t.Errorf("CheckText: %q %v", got, err)
	}
}

func TestOnSite(t *testing.T) {
	for _, tc := range []struct {
		url   string
		sites []string
		want  bool
	}{
		{"https://acme.example/checkout", []string{"https://acme.example/pricing"}, true},
		{"https://shop.acme.example/cart", []string{"", "https://www.acme.example"}, true},
		{"https://ACME.example/x", []string{"https://acme.example"}, true},
		{"https://evil.example/acme.example", []string{"https://acme.example/pricing", "https://acme.example"}, false},
		{"https://notacme.example/", []string{"https://acme.example"}, false},
		{"https://acme.example.evil.example/", []string{"https://acme.example"}, false},
		{"https://acme.example/", []string{"", ""}, false},
		{"not a url", []string{"https://acme.example"}, false},
	} {
		if got := chat.OnSite(tc.url, tc.sites...); got != tc.want {
			t.Errorf("OnSite(%q, %q) = %v, want %v", tc.url, tc.sites, got, tc.want)
		}
	}
}

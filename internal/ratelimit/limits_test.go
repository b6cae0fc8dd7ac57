package ratelimit_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"parley/internal/ratelimit"
)

// TestREADMEMatchesDefaults: the README's limits table says what
// ratelimit.Defaults keeps, row by row.
func TestREADMEMatchesDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if strings.HasPrefix(line, "| ") && len(cells) == 3 {
			rows[cells[0]] = cells[1]
		}
	}
	d := ratelimit.Defaults()
	labels := map[string]ratelimit.Rule{
		"transcripts per chat": d.TranscriptsPerChat,
		"transcripts per recipient address (every account: one sending identity)": d.TranscriptsPerRecipient,
		"transcripts per source address":                                          d.TranscriptsPerAddress,
		"transcripts per account":                                                 d.TranscriptsPerAccount,
		"offline requests (`leaveMessage`) per source address":                    d.OfflinePerAddress,
		"chat starts per source address":                                          d.ChatStartsPerAddress,
		"a visitor's messages":                                                    d.MessagesPerVisitor,
		"invitation mails (invitations and resends) per account":                  d.InvitationsPerAccount,
		"invitation mails per invited person":                                     d.InvitationsPerPerson,
		"set-password link attempts per source address":                           d.PasswordLinksPerAddress,
		"messenger webhook calls (Telegram, VK) per source address":               d.ChannelCallsPerAddress,
		"messenger messages accepted per account (after the secret matched)":      d.ChannelMessagesPerAccount,
	}
	if len(labels) != len(d.Rules()) {
		t.Fatalf("%d rules in Defaults, %d checked here: add the new one to the README and to this test", len(d.Rules()), len(labels))
	}
	for label, r := range labels {
		want := fmt.Sprintf("%d %s", r.Limit, ratelimit.Per(r.Window))
		if got, ok := rows[label]; !ok || got != want {
			t.Errorf("README row %q says %q, the code %q", label, got, want)
		}
	}
	label := "messages in one chat (visitors; the operator may still answer)"
	if got := rows[label]; got != fmt.Sprint(d.MessagesPerChat) {
		t.Errorf("README row %q says %q, the code %d", label, got, d.MessagesPerChat)
	}
}

// TestAddressRulesOff: the local stack's limits keep every rule but the
// per-address ones.
func TestAddressRulesOff(t *testing.T) {
	d, off := ratelimit.Defaults(), ratelimit.Defaults().WithoutAddressRules()
	for i, r := range off.Rules() {
		perAddress := strings.HasSuffix(r.Name, "#ip")
		if perAddress && r.Limit != 0 {
			t.Errorf("%s still limits: %d", r.Name, r.Limit)
		}
		if !perAddress && r.Limit != d.Rules()[i].Limit {
			t.Errorf("%s changed: %d", r.Name, r.Limit)
		}
	}
}

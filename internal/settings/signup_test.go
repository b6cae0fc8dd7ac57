package settings_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"parley/internal/settings"
)

func TestSignUpDocument(t *testing.T) {
	d, err := settings.SignUpDocument("en", "Acme Ltd", "boss@acme.example", repeatReader(0x01))
	if err != nil {
		t.Fatal(err)
	}
	want, err := settings.NewAccountDocument("en", repeatReader(0x01))
	if err != nil {
		t.Fatal(err)
	}
	want.Company.Name = "Acme Ltd"
	first := []string{"boss@acme.example"}
	want.Emails = settings.Emails{LeftMessages: first, NegativeReviews: first, DailyReports: first}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The lists are the document's own: a write to one leaves the others.
	d.Emails.LeftMessages[0] = "x@y.example"
	if d.Emails.NegativeReviews[0] != "boss@acme.example" || d.Emails.DailyReports[0] != "boss@acme.example" {
		t.Error("the notification lists share one array")
	}
	// What the sign-up wrote passes the section's own rules: the first
	// save of another company key does not fail on the name.
	if _, _, err := d.Patch(settings.SectionCompany, []byte(`{"website":"https://acme.example"}`), settings.WriteContext{}); err != nil {
		t.Errorf("a company write after sign-up: %v", err)
	}
	if _, _, err := d.Patch(settings.SectionEmails, []byte(`{"dailyReports":["a@acme.example"]}`), settings.WriteContext{}); err != nil {
		t.Errorf("an e-mails write after sign-up: %v", err)
	}
	if _, err := settings.SignUpDocument("en", "Acme", "a@b.example", failingReader{}); err == nil {
		t.Error("a broken random source was ignored")
	}
}

package mail_test

import (
	"strings"
	"testing"

	"parley/internal/mail"
)

func TestSign(t *testing.T) {
	got := mail.Signer{CompanyName: "Acme", Website: "https://acme.example", Language: "en"}.Sign("Hello\n")
	want := "Hello\n\n--\nRegards, Acme\nhttps://acme.example\nPowered by Parley\n"
	if got != want {
		t.Fatalf("Sign =\n%q\nwant\n%q", got, want)
	}
	ru := mail.Signer{CompanyName: "Acme", Language: "ru"}.Sign("Привет")
	if !strings.Contains(ru, "С уважением, Acme\nPowered by Parley") {
		t.Fatalf("Russian signature missing: %q", ru)
	}
}

package settings

import "io"

// SignUpDocument is the settings document of an account just signed up:
// NewAccountDocument with the company name typed at sign-up as
// company.name, so the Company page opens filled in and every mail and
// invitation is signed with one name, and with the first administrator's
// address on every notification list (emails.*), so offline messages,
// negative ratings and daily reports reach someone from the first minute.
// The sign-up has already checked both (a name of 1 to 200 characters, a
// lower-cased e-mail address).
func SignUpDocument(lang, companyName, adminEmail string, rand io.Reader) (Document, error) {
	d, err := NewAccountDocument(lang, rand)
	if err != nil {
		return Document{}, err
	}
	d.Company.Name = companyName
	d.Emails = Emails{
		LeftMessages:    []string{adminEmail},
		NegativeReviews: []string{adminEmail},
		DailyReports:    []string{adminEmail},
	}
	return d, nil
}

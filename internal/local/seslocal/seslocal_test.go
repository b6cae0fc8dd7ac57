package seslocal_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"parley/internal/local/localaws"
	"parley/internal/local/seslocal"
	"parley/internal/testkit/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Mail sent with the SES v2 SDK shows up in Store as sent, and Clear
// removes it. It runs an emulator of its own: under make test the shared
// one holds every package's mail, and Clear would wipe mail that another
// package's test is about to look for.
func TestStore(t *testing.T) {
	ctx := context.Background()
	testenv.SES(t) // skips, or fails in CI, where the emulator cannot run
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	own, err := seslocal.Start(ctx, seslocal.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	endpoint := own.Endpoint()
	ses := localaws.NewSESClient(endpoint)
	_, err = ses.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("Parley <noreply@parley.test>"),
		ReplyToAddresses: []string{"help@parley.test"},
		Destination: &types.Destination{
			ToAddresses: []string{"ops@store.test"},
			CcAddresses: []string{"boss@store.test"},
		},
		ConfigurationSetName: aws.String("parley"),
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Chat waiting")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("A visitor is waiting.")},
				Html: &types.Content{Data: aws.String("<p>A visitor is waiting.</p>")},
			},
			Headers: []types.MessageHeader{{Name: aws.String("X-Parley"), Value: aws.String("1")}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mails, err := seslocal.Store(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var got []seslocal.Mail
	for _, m := range mails {
		if cmp.Equal(m.To(), []string{"ops@store.test"}) {
			got = append(got, m)
		}
	}
	want := seslocal.Mail{
		From:    "Parley <noreply@parley.test>",
		ReplyTo: []string{"help@parley.test"},
		Subject: "Chat waiting",
		Headers: []seslocal.Header{{Name: "X-Parley", Value: "1"}},
	}
	want.Destination.To = []string{"ops@store.test"}
	want.Destination.CC = []string{"boss@store.test"}
	want.Destination.BCC = []string{}
	want.Body.Text = "A visitor is waiting."
	want.Body.HTML = "<p>A visitor is waiting.</p>"
	want.Attachments = []seslocal.Attachment{}
	if len(got) != 1 {
		t.Fatalf("got %d mails to ops@store.test, want 1: %+v", len(got), mails)
	}
	if got[0].MessageID == "" || got[0].Time().IsZero() {
		t.Errorf("mail without id or time: %+v", got[0])
	}
	if diff := cmp.Diff(want, got[0], cmpopts.IgnoreFields(seslocal.Mail{}, "MessageID", "At")); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}

	if err := seslocal.Clear(ctx, endpoint); err != nil {
		t.Fatal(err)
	}
	if mails, err := seslocal.Store(ctx, endpoint); err != nil || len(mails) != 0 {
		t.Errorf("after Clear: %d mails, %v", len(mails), err)
	}
}

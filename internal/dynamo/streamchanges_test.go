package dynamo

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"parley/internal/account"
	"parley/internal/auth"
	"parley/internal/change"
	"parley/internal/channel"
	"parley/internal/chat"
	"parley/internal/mail"
	"parley/internal/settings"
	"parley/internal/timers"
	"parley/internal/webhook"
)

// image is row as its writer stores it (marshal, with its keys) and as a
// stream record carries it: through the wire JSON that Lambda sends,
// decoded as aws-lambda-go decodes it.
func image(t *testing.T, row any, pk, sk string) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	item, err := marshal(row, pk, sk)
	if err != nil {
		t.Fatal(err)
	}
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		img[k] = streamValue(v)
	}
	raw, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func streamValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = streamValue(e)
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		m := make(map[string]events.DynamoDBAttributeValue, len(v.Value))
		for k, e := range v.Value {
			m[k] = streamValue(e)
		}
		return events.NewMapAttribute(m)
	}
	panic(fmt.Sprintf("attribute %T", v))
}

func settingsDoc(t *testing.T, edit func(*settings.Document)) string {
	t.Helper()
	doc := settings.Defaults("en")
	edit(&doc)
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestDecodeStreamRecord decodes a record of each kind the consumer acts
// on, and a few it ignores, into the changes they mean.
func TestDecodeStreamRecord(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	insert, modify, remove := string(events.DynamoDBOperationTypeInsert), string(events.DynamoDBOperationTypeModify), string(events.DynamoDBOperationTypeRemove)
	limit := 3
	op := account.Person{AccountID: "a1", ID: "p1", Email: "p1@example.com", Role: "operator", Languages: []string{"en"}}
	wider := op
	wider.Languages, wider.Departments, wider.ChatLimit = []string{"en", "ru"}, []string{"d1"}, &limit
	berlin := settingsDoc(t, func(d *settings.Document) { d.Company.Timezone = "Europe/Berlin" })
	utc := settingsDoc(t, func(d *settings.Document) { d.Company.Timezone = "UTC" })
	utcDoc, _ := settings.Load([]byte(utc))
	berlinDoc, _ := settings.Load([]byte(berlin))
	started := chat.Chat{AccountID: "a1", ID: "c1", VisitorID: "v1", Status: chat.Waiting, StartedAt: at}
	final := started
	final.Status, final.OperatorID, final.FinalAt = chat.Closed, "p1", at.Add(time.Hour)
	tgChat := chat.Chat{AccountID: "a1", ID: "c2", VisitorID: "tg-42", Channel: chat.ChannelTelegram}
	tgMessage := chat.Message{AccountID: "a1", ChatID: "c2", Seq: 2, From: chat.FromOperator, SenderID: "p1", Text: "hello", At: at}
	chatPKey, chatSKey := accountPK("a1"), chatSK("c1")

	for _, tc := range []struct {
		name     string
		event    string
		old, new map[string]events.DynamoDBAttributeValue
		want     []change.Change
	}{
		{"session ended", remove, image(t, sessionRow{Type: typeSession, AccountID: "a1", PersonID: "p1", ID: "s1"}, accountPK("a1"), "SESSION#p1#s1"), nil,
			[]change.Change{change.SessionEnded{AccountID: "a1", PersonID: "p1", SessionID: "s1"}}},
		{"staff connection ended", remove, image(t, connectionRow{Type: typeConnection, ID: "k1", AccountID: "a1", Kind: string(auth.Access), Subject: "p1", ConnectedAt: at}, connectionPK("k1"), "CONN"), nil,
			[]change.Change{change.StaffConnectionEnded{AccountID: "a1", PersonID: "p1", Since: at}}},
		{"visitor connection ended", remove, image(t, connectionRow{Type: typeConnection, ID: "k2", AccountID: "a1", Kind: string(auth.Visitor), Subject: "v1", ConnectedAt: at}, connectionPK("k2"), "CONN"), nil, nil},
		{"department removed", remove, image(t, departmentRow{Type: typeDepartment, AccountID: "a1", ID: "d1", Name: "Sales"}, accountPK("a1"), departmentSK("d1")), nil,
			[]change.Change{change.DepartmentRemoved{AccountID: "a1", DepartmentID: "d1"}}},
		{"person removed", remove, image(t, toPersonRow(op), accountPK("a1"), personSK("p1")), nil,
			[]change.Change{change.PersonRemoved{AccountID: "a1", PersonID: "p1"}}},
		{"chat left the queue", remove, image(t, queueRow{Type: typeQueued, AccountID: "a1", Seq: 5, ChatID: "c1"}, accountPK("a1"), "QUEUE#5"), nil,
			[]change.Change{change.QueueChanged{AccountID: "a1", Seq: 5, Left: true}}},
		{"chat joined the queue", insert, nil, image(t, queueRow{Type: typeQueued, AccountID: "a1", Seq: 9, ChatID: "c1"}, accountPK("a1"), "QUEUE#9"),
			[]change.Change{change.QueueChanged{AccountID: "a1", Seq: 9}}},
		{"account created", insert, nil, image(t, toAccountRow(account.Account{ID: "a1", Name: "Acme"}), accountPK("a1"), "ACCOUNT"),
			[]change.Change{change.ZoneChanged{AccountID: "a1"}}},
		{"settings first written", insert, nil, image(t, SettingsRecord{Type: typeSettings, AccountID: "a1", Doc: utc, Version: 1, UpdatedBy: "p0", UpdatedAt: at, Changes: `[]`}, accountPK("a1"), settingsSK),
			[]change.Change{change.SettingsAudited{Entry: settings.AuditEntry{AccountID: "a1", Version: 1, At: at, By: "p0", Changes: json.RawMessage(`[]`)}}, change.ZoneChanged{AccountID: "a1"}}},
		{"settings rewritten", modify,
			image(t, SettingsRecord{Type: typeSettings, AccountID: "a1", Doc: utc, Version: 1}, accountPK("a1"), settingsSK),
			image(t, SettingsRecord{Type: typeSettings, AccountID: "a1", Doc: berlin, Version: 2, UpdatedBy: "p0", UpdatedAt: at, Changes: `[{"key":"company.timezone"}]`}, accountPK("a1"), settingsSK),
			[]change.Change{change.SettingsAudited{Entry: settings.AuditEntry{AccountID: "a1", Version: 2, At: at, By: "p0", Changes: json.RawMessage(`[{"key":"company.timezone"}]`)}},
				change.ZoneChanged{AccountID: "a1"}, change.SettingsChanged{AccountID: "a1", Before: &utcDoc, After: berlinDoc}}},
		{"person changed", modify, image(t, toPersonRow(op), accountPK("a1"), personSK("p1")), image(t, toPersonRow(wider), accountPK("a1"), personSK("p1")),
			[]change.Change{change.PersonChanged{AccountID: "a1", PersonID: "p1", Before: change.PersonRouting{Languages: []string{"en"}},
				After: change.PersonRouting{Languages: []string{"en", "ru"}, Departments: []string{"d1"}, ChatLimit: &limit}}}},
		{"person created", insert, nil, image(t, toPersonRow(op), accountPK("a1"), personSK("p1")), nil},
		{"timer fired", insert, nil, image(t, timerRow{Type: typeTimerFired, AccountID: "a1", Subject: "c1", Kind: chat.TimerAnswer, Due: at.Unix()}, "TIMERFIRED#1", "c1"),
			[]change.Change{change.TimerFired{Timer: timers.Timer{AccountID: "a1", Subject: "c1", Kind: chat.TimerAnswer, Due: at}}}},
		{"mail queued", insert, nil, image(t, mailRow{Type: typeMail, AccountID: "a1", ID: "m1", To: []string{"x@example.com"}, Subject: "Hi", Text: "Hello", Status: mailPending, CreatedAt: at}, accountPK("a1"), "MAIL#m1"),
			[]change.Change{change.MailQueued{Message: mail.Message{AccountID: "a1", ID: "m1", To: []string{"x@example.com"}, Subject: "Hi", Text: "Hello", CreatedAt: at}, Pending: true}}},
		{"mail marked sent", modify, nil, image(t, mailRow{Type: typeMail, AccountID: "a1", ID: "m1", Status: "sent", CreatedAt: at}, accountPK("a1"), "MAIL#m1"), nil},
		{"chat started", insert, nil, image(t, toChatRow(started), chatPKey, chatSKey),
			[]change.Change{change.WebhookTrigger{Trigger: webhook.Trigger{Event: webhook.ChatStart, AccountID: "a1", Chat: started, ChatID: "c1", At: at, Source: "chat#c1#start"}},
				change.ChatChanged{After: started}}},
		{"chat closed for good", modify, image(t, toChatRow(started), chatPKey, chatSKey), image(t, toChatRow(final), chatPKey, chatSKey),
			[]change.Change{change.WebhookTrigger{Trigger: webhook.Trigger{Event: webhook.ChatClose, AccountID: "a1", Chat: final, ChatID: "c1", At: final.FinalAt, Source: "chat#c1#close"}},
				change.ChatChanged{Before: &started, After: final}}},
		{"event recorded", insert, nil, image(t, eventRow{Type: typeChatEvent, AccountID: "a1", ChatID: "c1", Kind: chat.EventBusyAnswer, At: tstr(at)}, eventsPK("a1"), "x"),
			[]change.Change{change.EventRecorded{Event: chat.Event{AccountID: "a1", ChatID: "c1", Kind: chat.EventBusyAnswer, At: at}}}},
		{"chat assigned", insert, nil, image(t, map[string]any{"type": typeEvent, "eventType": string(webhook.ChatAssign), "accountId": "a1", "chatId": "c1", "operatorId": "p1", "via": "take", "at": at}, "WH#a1", "assign#c1"),
			[]change.Change{change.WebhookTrigger{Trigger: webhook.Trigger{Event: webhook.ChatAssign, AccountID: "a1", ChatID: "c1", OperatorID: "p1", Via: "take", At: at, Source: "assign#c1"}}}},
		{"messenger update", insert, nil, image(t, inboundRow{Type: typeChannelInbound, AccountID: "a1", Channel: chat.ChannelTelegram, ExternalID: "7", VisitorID: "tg-42", Text: "hi", At: at}, accountPK("a1"), "IN#7"),
			[]change.Change{change.ChannelUpdate{Inbound: channel.Inbound{AccountID: "a1", Channel: chat.ChannelTelegram, ExternalID: "7", VisitorID: "tg-42", Text: "hi", At: at}}}},
		{"messenger chat's message", insert, nil, image(t, toMessageRow(tgChat, tgMessage), chatPK("a1", "c2"), messageSK(2)),
			[]change.Change{change.ChannelMessage{Posted: channel.Posted{AccountID: "a1", ChatID: "c2", VisitorID: "tg-42", Channel: chat.ChannelTelegram, Seq: 2, From: chat.FromOperator, Text: "hello", At: at}}}},
		{"widget chat's message", insert, nil, image(t, toMessageRow(started, chat.Message{AccountID: "a1", ChatID: "c1", Seq: 1, From: chat.FromVisitor, Text: "hi", At: at}), chatPK("a1", "c1"), messageSK(1)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := events.DynamoDBEventRecord{EventID: "e1", EventName: tc.event}
			rec.Change.OldImage, rec.Change.NewImage, rec.Change.SequenceNumber = tc.old, tc.new, "100"
			got, err := DecodeStreamRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "e1" || got.Sequence != "100" {
				t.Errorf("record %q at %q, want e1 at 100", got.ID, got.Sequence)
			}
			if diff := cmp.Diff(tc.want, got.Changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

package dynamo

import (
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/webhook"
)

// webhookTrigger decodes a stream record into the webhook event it is, if
// any (SPEC §3): a chat item inserted is a chatStart (offline requests are
// chats too; a resumed chat writes no new item), a chatAssign event item
// inserted is a chatAssign (every assignment writes one, redirects
// included), a chat item modified into closed for good (finalAt set) is a
// chatClose. ok is false for every other record.
func webhookTrigger(rec events.DynamoDBEventRecord) (t webhook.Trigger, ok bool, err error) {
	img := rec.Change.NewImage
	typ, has := img["type"]
	if img == nil || !has || typ.DataType() != events.DataTypeString {
		return t, false, nil
	}
	insert := rec.EventName == string(events.DynamoDBOperationTypeInsert)
	modify := rec.EventName == string(events.DynamoDBOperationTypeModify)
	switch typ.String() {
	case typeChat:
		if !insert && !modify {
			return t, false, nil
		}
		var r chatRow
		if err := UnmarshalStreamImage(img, &r); err != nil {
			return t, false, err
		}
		c := fromChatRow(r)
		if insert {
			return webhook.Trigger{Event: webhook.ChatStart, AccountID: c.AccountID, Chat: c, ChatID: c.ID, At: c.StartedAt,
				Source: "chat#" + c.ID + "#start"}, true, nil
		}
		// chatClose is the chat closed for good (chat/final.go): the
		// record that first holds finalAt.
		if _, had := rec.Change.OldImage["finalAt"]; c.FinalAt.IsZero() || had {
			return t, false, nil
		}
		return webhook.Trigger{Event: webhook.ChatClose, AccountID: c.AccountID, Chat: c, ChatID: c.ID, At: c.FinalAt,
			Source: "chat#" + c.ID + "#close"}, true, nil
	case typeEvent:
		if !insert {
			return t, false, nil
		}
		var r struct {
			EventType  string    `dynamodbav:"eventType"`
			AccountID  string    `dynamodbav:"accountId"`
			ChatID     string    `dynamodbav:"chatId"`
			OperatorID string    `dynamodbav:"operatorId"`
			Via        string    `dynamodbav:"via"`
			At         time.Time `dynamodbav:"at"`
			SK         string    `dynamodbav:"sk"`
		}
		if err := UnmarshalStreamImage(img, &r); err != nil {
			return t, false, err
		}
		if r.EventType != string(webhook.ChatAssign) {
			return t, false, nil
		}
		return webhook.Trigger{Event: webhook.ChatAssign, AccountID: r.AccountID, ChatID: r.ChatID, OperatorID: r.OperatorID, Via: r.Via,
			At: r.At, Source: r.SK}, true, nil
	}
	return t, false, nil
}

package dynamo

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/auth"
	"parley/internal/change"
	"parley/internal/chat"
	"parley/internal/settings"
)

// DecodeStreamRecord decodes a record of the table's stream into what it
// means (change.Record), in the order the consumer acts on it: a webhook
// event, a messenger's update or message, then the item's own change. A
// record of an item nothing reacts to has no changes; an image that does
// not decode is an error (the consumer then stops at that record).
func DecodeStreamRecord(rec events.DynamoDBEventRecord) (change.Record, error) {
	out := change.Record{ID: rec.EventID, Sequence: rec.Change.SequenceNumber, At: rec.Change.ApproximateCreationDateTime.Time}
	var err error
	if rec.EventName == string(events.DynamoDBOperationTypeRemove) {
		out.Changes, err = removedChanges(rec.Change.OldImage)
	} else {
		out.Changes, err = writtenChanges(rec)
	}
	return out, err
}

func itemType(img map[string]events.DynamoDBAttributeValue) string {
	typ, ok := img["type"]
	if !ok || typ.DataType() != events.DataTypeString {
		return ""
	}
	return typ.String()
}

// removedChanges are the removals that matter: an ended session or staff
// connection, a deleted department or person, a chat leaving the queue.
func removedChanges(old map[string]events.DynamoDBAttributeValue) ([]change.Change, error) {
	switch itemType(old) {
	case typeSession:
		var r sessionRow
		if err := UnmarshalStreamImage(old, &r); err != nil {
			return nil, err
		}
		return []change.Change{change.SessionEnded{AccountID: r.AccountID, PersonID: r.PersonID, SessionID: r.ID}}, nil
	case typeConnection:
		var r struct {
			connectionRow
			SK string `dynamodbav:"sk"`
		}
		if err := UnmarshalStreamImage(old, &r); err != nil {
			return nil, err
		}
		// Its by-id copy only, so that each connection counts once.
		if r.SK != "CONN" || r.Kind == string(auth.Visitor) || r.ConnectedAt.IsZero() {
			return nil, nil
		}
		return []change.Change{change.StaffConnectionEnded{AccountID: r.AccountID, PersonID: r.Subject, Since: r.ConnectedAt}}, nil
	case typeDepartment:
		var r departmentRow
		if err := UnmarshalStreamImage(old, &r); err != nil {
			return nil, err
		}
		return []change.Change{change.DepartmentRemoved{AccountID: r.AccountID, DepartmentID: r.ID}}, nil
	case typePerson:
		var r personRow
		if err := UnmarshalStreamImage(old, &r); err != nil {
			return nil, err
		}
		return []change.Change{change.PersonRemoved{AccountID: r.AccountID, PersonID: r.ID}}, nil
	case typeQueued:
		return queueChange(old, true)
	}
	return nil, nil
}

// writtenChanges are what an inserted or modified item means.
func writtenChanges(rec events.DynamoDBEventRecord) ([]change.Change, error) {
	img, old := rec.Change.NewImage, rec.Change.OldImage
	if img == nil {
		return nil, nil
	}
	var out []change.Change
	t, ok, err := webhookTrigger(rec)
	if err != nil {
		return nil, err
	}
	if ok {
		out = append(out, change.WebhookTrigger{Trigger: t})
	}
	in, posted, err := channelChange(rec)
	switch {
	case err != nil:
		return nil, err
	case in != nil:
		out = append(out, change.ChannelUpdate{Inbound: *in})
	case posted != nil:
		out = append(out, change.ChannelMessage{Posted: *posted})
	}
	insert := rec.EventName == string(events.DynamoDBOperationTypeInsert)
	var own []change.Change
	switch itemType(img) {
	case typeAccount:
		own, err = accountChanges(old, img)
	case typeSettings:
		own, err = settingsChanges(old, img)
	case typePerson:
		if old != nil {
			own, err = personChanges(old, img)
		}
	case typeTimerFired:
		if insert {
			var f firedTimer
			err = UnmarshalStreamImage(img, &f)
			own = []change.Change{change.TimerFired{Timer: f.timer()}}
		}
	case typeMail:
		if insert {
			var m mailRow
			err = UnmarshalStreamImage(img, &m)
			own = []change.Change{change.MailQueued{Message: m.ToMessage(), Pending: m.Status == mailPending}}
		}
	case typeChat:
		own, err = chatChanges(old, img)
	case typeChatEvent:
		if insert {
			var r eventRow
			err = UnmarshalStreamImage(img, &r)
			own = []change.Change{change.EventRecorded{Event: r.ToEvent()}}
		}
	case typeQueued:
		own, err = queueChange(img, false)
	}
	if err != nil {
		return nil, err
	}
	return append(out, own...), nil
}

func accountChanges(old, img map[string]events.DynamoDBAttributeValue) ([]change.Change, error) {
	if old != nil {
		return nil, nil
	}
	var r struct {
		ID        string `dynamodbav:"id"`
		AccountID string `dynamodbav:"accountId"`
	}
	if err := UnmarshalStreamImage(img, &r); err != nil {
		return nil, err
	}
	if r.ID == "" {
		r.ID = r.AccountID
	}
	return []change.Change{change.ZoneChanged{AccountID: r.ID}}, nil
}

// settingsChanges: the write's audit entry; the zone when it is new; and,
// for a rewrite, the documents before and after.
func settingsChanges(old, img map[string]events.DynamoDBAttributeValue) ([]change.Change, error) {
	var after SettingsRecord
	if err := UnmarshalStreamImage(img, &after); err != nil {
		return nil, err
	}
	out := []change.Change{change.SettingsAudited{Entry: settings.AuditEntry{AccountID: after.AccountID, Version: after.Version,
		At: after.UpdatedAt, By: after.UpdatedBy, Changes: json.RawMessage(after.Changes)}}}
	if old == nil {
		return append(out, change.ZoneChanged{AccountID: after.AccountID}), nil
	}
	var before SettingsRecord
	if err := UnmarshalStreamImage(old, &before); err != nil {
		return nil, err
	}
	a, errA := settings.Load([]byte(after.Doc))
	b, errB := settings.Load([]byte(before.Doc))
	if errA == nil && (errB != nil || a.Company.Timezone != b.Company.Timezone) {
		out = append(out, change.ZoneChanged{AccountID: after.AccountID})
	}
	if errA != nil {
		return nil, errA // saved only after the same parse succeeded
	}
	c := change.SettingsChanged{AccountID: after.AccountID, After: a}
	if errB == nil {
		c.Before = &b
	}
	return append(out, c), nil
}

func personChanges(old, img map[string]events.DynamoDBAttributeValue) ([]change.Change, error) {
	var before, after personRow
	if err := UnmarshalStreamImage(old, &before); err != nil {
		return nil, err
	}
	if err := UnmarshalStreamImage(img, &after); err != nil {
		return nil, err
	}
	routing := func(r personRow) change.PersonRouting {
		return change.PersonRouting{Languages: r.Languages, Departments: r.Departments, ChatLimit: r.ChatLimit}
	}
	return []change.Change{change.PersonChanged{AccountID: after.AccountID, PersonID: after.ID, Before: routing(before), After: routing(after)}}, nil
}

func chatChanges(old, img map[string]events.DynamoDBAttributeValue) ([]change.Change, error) {
	after, err := chatFromImage(img)
	if err != nil {
		return nil, err
	}
	c := change.ChatChanged{After: after}
	if old != nil {
		before, err := chatFromImage(old)
		if err != nil {
			return nil, err
		}
		c.Before = &before
	}
	return []change.Change{c}, nil
}

func queueChange(img map[string]events.DynamoDBAttributeValue, left bool) ([]change.Change, error) {
	var q queueRow
	if err := UnmarshalStreamImage(img, &q); err != nil {
		return nil, err
	}
	if q.AccountID == "" {
		return nil, nil
	}
	return []change.Change{change.QueueChanged{AccountID: q.AccountID, Seq: q.Seq, Left: left}}, nil
}

// chatFromImage decodes a chat item's stream image.
func chatFromImage(img map[string]events.DynamoDBAttributeValue) (chat.Chat, error) {
	var r chatRow
	if err := UnmarshalStreamImage(img, &r); err != nil {
		return chat.Chat{}, err
	}
	return fromChatRow(r), nil
}

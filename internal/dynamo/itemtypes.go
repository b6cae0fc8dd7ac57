package dynamo

// The item types (the type attribute) that the stream's decoder
// (streamchanges.go) tells apart, shared by the writers of those items so
// that neither side spells one of them on its own.
const (
	typeAccount    = "account"
	typeSettings   = "settings"
	typePerson     = "person"
	typeDepartment = "department"
	typeSession    = "session"
	typeConnection = "connection"
	typeTimerFired = "timerFired"
	typeMail       = "mail"
	typeChat       = "chat"
	typeMessage    = "message"
	typeChatEvent  = "chatEvent"
	typeEvent      = "event" // a webhook event (chatAssign)
	typeQueued     = "queued"
)

// mailPending is a queued mail's status until it is sent.
const mailPending = "pending"

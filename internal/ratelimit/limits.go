package ratelimit

import "time"

const day = 24 * time.Hour

// Limits are every limit Parley keeps on what an outsider or a new account
// can trigger. Defaults is the one table of their values: the README's
// limits table is checked against it. Per-address rules count by the
// caller's source address as API Gateway reports it.
type Limits struct {
	// Transcripts a visitor mails (sendTranscript): per chat, per
	// recipient address (across every account, since all share one
	// sending identity), per source address, per account.
	TranscriptsPerChat      Rule
	TranscriptsPerRecipient Rule
	TranscriptsPerAddress   Rule
	TranscriptsPerAccount   Rule
	// Offline requests (leaveMessage) and chat starts per source address.
	OfflinePerAddress    Rule
	ChatStartsPerAddress Rule
	// A visitor's messages per minute; MessagesPerChat caps the messages
	// of one chat (its sequence number, which every append is
	// conditional on, so the cap costs no extra request).
	MessagesPerVisitor Rule
	MessagesPerChat    int
	// Invitation mails (invitations and resends) per account and per
	// invited person.
	InvitationsPerAccount Rule
	InvitationsPerPerson  Rule
	// Attempts to use a set-password link (POST /v1/auth/password) per
	// source address.
	PasswordLinksPerAddress Rule
	// Messenger webhook calls (Telegram, VK) per source address, whatever
	// they prove; and the messages accepted from one account's
	// messengers, counted only once the secret matched, so nobody else
	// can use up an account's share.
	ChannelCallsPerAddress    Rule
	ChannelMessagesPerAccount Rule
}

// Defaults are the limits in AWS.
func Defaults() Limits {
	return Limits{
		TranscriptsPerChat:        Rule{Name: "transcript#chat", Limit: 3, Window: day, What: "transcripts of this chat"},
		TranscriptsPerRecipient:   Rule{Name: "transcript#to", Limit: 5, Window: day, What: "transcripts to this address"},
		TranscriptsPerAddress:     Rule{Name: "transcript#ip", Limit: 10, Window: time.Hour, What: "transcripts from your address"},
		TranscriptsPerAccount:     Rule{Name: "transcript#account", Limit: 500, Window: day, What: "transcripts from this site"},
		OfflinePerAddress:         Rule{Name: "offline#ip", Limit: 5, Window: time.Hour, What: "messages left from your address"},
		ChatStartsPerAddress:      Rule{Name: "start#ip", Limit: 30, Window: time.Hour, What: "chats started from your address"},
		MessagesPerVisitor:        Rule{Name: "message#visitor", Limit: 30, Window: time.Minute, What: "messages"},
		MessagesPerChat:           2000,
		InvitationsPerAccount:     Rule{Name: "invite#account", Limit: 50, Window: day, What: "invitations from this account"},
		InvitationsPerPerson:      Rule{Name: "invite#person", Limit: 3, Window: day, What: "invitations to this person"},
		PasswordLinksPerAddress:   Rule{Name: "setpassword#ip", Limit: 20, Window: 15 * time.Minute, What: "attempts to set a password"},
		ChannelCallsPerAddress:    Rule{Name: "channel#ip", Limit: 600, Window: time.Minute, What: "messenger calls from your address"},
		ChannelMessagesPerAccount: Rule{Name: "channel#account", Limit: 1200, Window: time.Minute, What: "messenger messages for this account"},
	}
}

// WithoutAddressRules is l with the per-source-address rules off: the
// local stack's clients all come from the loopback address.
func (l Limits) WithoutAddressRules() Limits {
	for _, r := range []*Rule{&l.TranscriptsPerAddress, &l.OfflinePerAddress, &l.ChatStartsPerAddress, &l.PasswordLinksPerAddress, &l.ChannelCallsPerAddress} {
		r.Limit = 0
	}
	return l
}

// Rules lists l's rules, for the documentation check.
func (l Limits) Rules() []Rule {
	return []Rule{l.TranscriptsPerChat, l.TranscriptsPerRecipient, l.TranscriptsPerAddress, l.TranscriptsPerAccount,
		l.OfflinePerAddress, l.ChatStartsPerAddress, l.MessagesPerVisitor, l.InvitationsPerAccount, l.InvitationsPerPerson, l.PasswordLinksPerAddress,
		l.ChannelCallsPerAddress, l.ChannelMessagesPerAccount}
}

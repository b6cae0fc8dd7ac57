package settings

import "strings"

// Telegram bot tokens are "<bot id>:<35 characters>"; bot ids are a few
// digits up to a dozen, bounded here well above what Telegram issues.
const (
	telegramSecretLen = 35
	maxTelegramBotID  = 20
)

// ParseTelegramBotToken parses integration.telegram.botToken: the bot's
// numeric id, a colon and 35 characters of [A-Za-z0-9_-], as BotFather
// gives it. Surrounding spaces (a paste) are trimmed. Errors are apperr
// Invalid and never repeat the token, which is a secret.
func ParseTelegramBotToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	id, secret, ok := strings.Cut(s, ":")
	bad := invalid("a bot token looks like 123456789:AAE… (the bot's number, a colon and 35 letters, digits, _ or -), as BotFather gives it")
	if !ok || id == "" || len(id) > maxTelegramBotID || len(secret) != telegramSecretLen {
		return "", bad
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return "", bad
		}
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !isASCIIAlnum(c) && c != '_' && c != '-' {
			return "", bad
		}
	}
	return s, nil
}

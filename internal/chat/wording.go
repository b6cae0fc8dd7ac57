package chat

import (
	"parley/internal/mail"
	"parley/internal/settings"
)

// The words of the mails and system messages this package writes, per
// account language, with the signature and Reply-To every such mail carries.

// texts are the words of the mails and system messages, per account
// language (SPEC §4.10: every mail is in the account's language).
var texts = map[string]map[string]string{
	"en": {
		"ratingSubject":          "Negative rating: %s",
		"ratingBody":             "A visitor rated chat %s as %q.\nOperator: %s\n\nTranscript:\n\n%s",
		"offlineSubject":         "Offline message from %s",
		"offlineBody":            "A visitor left a message while no operator was online.\n\nName: %s\nContact: %s\nPage: %s\n\n%s",
		"transcriptSubject":      "Your chat transcript",
		"transcriptCut":          "[The first %d messages do not fit in a mail: the whole conversation is in the history of the Parley console.]\n",
		"transcriptBody":         "Here is the transcript of your chat of %s.\n\n%s",
		"visitor":                "Visitor",
		"operator":               "Operator",
		"system":                 "System",
		"busySubject":            "A visitor waited too long for an answer",
		"busyBody":               "The visitor of chat %s waited too long for an answer (%s): %d s. They were sent the busy message.\nOperator: %s\n\nThe transcript is attached.",
		"busy.busyFirstResponse": "first response", "busy.busyAnswer": "answer", "nobody": "none yet",
		"rating.excellent": "excellent", "rating.good": "good", "rating.satisfactory": "satisfactory", "rating.poor": "poor", "rating.bad": "bad",
	},
	"ru": {
		"ratingSubject":          "Отрицательная оценка: %s",
		"ratingBody":             "Посетитель оценил чат %s: %q.\nОператор: %s\n\nПереписка:\n\n%s",
		"offlineSubject":         "Сообщение от %s",
		"offlineBody":            "Посетитель оставил сообщение, когда операторов не было в сети.\n\nИмя: %s\nКонтакт: %s\nСтраница: %s\n\n%s",
		"transcriptSubject":      "Ваша переписка",
		"transcriptCut":          "[Первые сообщения (%d) не помещаются в письмо: вся переписка есть в истории консоли Parley.]\n",
		"transcriptBody":         "Переписка вашего чата от %s.\n\n%s",
		"visitor":                "Посетитель",
		"operator":               "Оператор",
		"system":                 "Система",
		"busySubject":            "Посетитель слишком долго ждал ответа",
		"busyBody":               "Посетитель чата %s слишком долго ждал ответа (%s): %d с. Ему отправлено сообщение о занятости операторов.\nОператор: %s\n\nПереписка во вложении.",
		"busy.busyFirstResponse": "первый ответ", "busy.busyAnswer": "ответ оператора", "nobody": "ещё не назначен",
		"rating.excellent": "отлично", "rating.good": "хорошо", "rating.satisfactory": "удовлетворительно", "rating.poor": "плохо", "rating.bad": "очень плохо",
	},
}

func text(doc settings.Document, key string) string {
	if t, ok := texts[doc.Company.Language][key]; ok {
		return t
	}
	return texts["en"][key]
}

func signer(doc settings.Document) mail.Signer {
	return mail.Signer{CompanyName: doc.Company.Name, Website: doc.Company.Website, Language: doc.Company.Language}
}

// replyTo is the Reply-To of every mail sent on the account's behalf: the
// first emails.leftMessages address (SPEC §2.2).
func replyTo(doc settings.Document) []string {
	if len(doc.Emails.LeftMessages) == 0 {
		return nil
	}
	return doc.Emails.LeftMessages[:1]
}

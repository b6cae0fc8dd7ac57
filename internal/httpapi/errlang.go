package httpapi

import (
	"regexp"
	"strconv"
	"strings"

	"parley/internal/apperr"
)

// Error messages speak the caller's language, not the account's: the
// console sends its interface language (the signed-in person's) as
// Accept-Language, and the domain packages word their messages in English
// only, so the adapter puts a refusal into Russian when the caller asked
// for it. A message the catalog does not know stays English: a message in
// the wrong language is better than none.

// errorLanguage is the language of the error messages for an
// Accept-Language header: "ru" when Russian is preferred to English, else
// "en". Tags are compared by their primary subtag (ru-RU is ru); q-values
// order them, and a tag with q=0 is refused, as RFC 9110 says.
func errorLanguage(header string) string {
	best, bestQ := "en", -1.0
	for i, part := range strings.Split(header, ",") {
		if i >= 32 { // a header longer than any browser sends
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if (primary != "ru" && primary != "en") || q == 0 {
			continue
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

type errRule struct {
	re *regexp.Regexp
	ru string // with $1, $2... of re's groups
}

func rules(pairs ...string) []errRule {
	out := make([]errRule, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, errRule{regexp.MustCompile("^" + pairs[i] + "$"), pairs[i+1]})
	}
	return out
}

// errorsRU puts the API's messages into Russian, the most specific first.
// Values quoted in a message ("...") are kept as the caller typed them.
var errorsRU = rules(
	// Whole-request messages.
	`Some values are not valid\.`, `Некоторые значения неверны.`,
	`the body is not valid JSON for this request: (.*)`, `тело запроса — не JSON, подходящий для этого запроса: $1`,
	`the body holds more than one JSON value`, `в теле запроса больше одного значения JSON`,
	`the body is larger than (\d+) bytes`, `тело запроса больше $1 байт`,
	`the password is too short`, `пароль слишком короткий`,
	`the e-mail is not valid`, `адрес эл. почты неверен`,
	`the department name is not valid`, `название отдела неверно`,

	// Texts and numbers (settings, templates, people).
	`is required`, `обязательно`,
	`must not be empty`, `не может быть пустым`,
	`must be a string`, `должно быть строкой`,
	`must be true or false`, `должно быть true или false`,
	`must be an array of strings`, `должно быть массивом строк`,
	`cannot hold control characters`, `не может содержать управляющие символы`,
	`must be one line, without control characters`, `должно быть одной строкой без управляющих символов`,
	`is at most (\d+) characters`, `не длиннее $1 символов`,
	`must be (\d+) to (\d+) characters`, `должно быть от $1 до $2 символов`,
	`must be at least (\d+) characters`, `должно быть не короче $1 символов`,
	`must be a whole number from (\d+) to (\d+)`, `должно быть целым числом от $1 до $2`,
	`must be a whole number from 1 to (\d+), or null for no limit`, `должно быть целым числом от 1 до $1 или null (без ограничения)`,
	`must be an integer from (\d+) to (\d+)`, `должно быть целым числом от $1 до $2`,
	`must be an integer or null`, `должно быть целым числом или null`,
	`chatLimit must be an integer or null`, `chatLimit должен быть целым числом или null`,
	`must be a positive integer`, `должно быть положительным целым числом`,
	`must be one of (.+)`, `должно быть одним из: $1`,
	`is required: one of (.+)`, `обязательно: одно из $1`,
	`must be ru or en`, `должно быть ru или en`,
	`is not a supported language`, `этот язык не поддерживается`,
	`must be basic or corporate`, `должно быть basic или corporate`,
	`must be operator, supervisor or administrator`, `должно быть operator, supervisor или administrator`,
	`the account's last administrator must stay one`, `последний администратор аккаунта должен им остаться`,
	`must name at least one language the person answers in`, `нужен хотя бы один язык, на котором сотрудник отвечает`,
	`must be department ids`, `должно быть идентификаторами отделов`,
	`unknown key`, `неизвестный ключ`,
	`the text is not valid UTF-8`, `текст — не корректный UTF-8`,
	`the list is too long: at most (\d+) characters`, `список слишком длинный: не более $1 символов`,

	// E-mail addresses.
	`must be an e-mail address like name@example\.com`, `должно быть адресом эл. почты вида name@example.com`,
	`(.+) is not an e-mail address \(expected name@example\.com\)`, `$1 — не адрес эл. почты (ожидается name@example.com)`,
	`an address is empty`, `пустой адрес`,
	`(.+): an address cannot contain spaces; separate addresses with commas`, `$1: адрес не может содержать пробелы; разделяйте адреса запятыми`,
	`(.+): an address is at most (\d+) characters`, `$1: адрес не длиннее $2 символов`,
	`(.+): angle brackets are not allowed in an address`, `$1: угловые скобки в адресе не допускаются`,
	`(.+): write only the address, without a name or angle brackets, e\.g\. (.+)`, `$1: пишите только адрес, без имени и угловых скобок, например $2`,
	`(.+): the part before @ is not valid`, `$1: часть до @ неверна`,
	`(.+): (.+) is not a valid mail domain`, `$1: $2 — неверный почтовый домен`,
	`(.+): only ASCII addresses are supported \(write an internationalised domain in its xn-- form\)`, `$1: поддерживаются только адреса ASCII (международный домен пишите в форме xn--)`,
	`at most (\d+) addresses are allowed, got (\d+)`, `допускается не более $1 адресов, указано $2`,

	// URLs.
	`a URL is required`, `нужен URL`,
	`a URL is at most (\d+) characters`, `URL не длиннее $1 символов`,
	`(.+) is not a valid URL`, `$1 — неверный URL`,
	`(.+): a URL must start with https:// or http://`, `$1: URL должен начинаться с https:// или http://`,
	`(.+): a URL must name a host, e\.g\. https://example\.com/`, `$1: в URL должен быть хост, например https://example.com/`,
	`(.+): a URL cannot contain spaces \(write a space as %20\)`, `$1: URL не может содержать пробелы (пробел пишется как %20)`,
	`(.+): (.+) is not a valid host name`, `$1: $2 — неверное имя хоста`,
	`(.+): this URL cannot hold a user name or password`, `$1: этот URL не может содержать имя пользователя или пароль`,
	`(.+): send the password itself, or the URL exactly as read to keep the stored one`, `$1: отправьте сам пароль или URL ровно в прочитанном виде, чтобы оставить сохранённый`,
	`at most (\d+) pages are allowed, got (\d+)`, `допускается не более $1 страниц, указано $2`,
	`(.+) must be in the path or the query of the URL, not in its host`, `$1 должен быть в пути или параметрах URL, а не в хосте`,
	`the template must contain (.+) where the visitor's id goes, e\.g\. (.+)`, `шаблон должен содержать $1 на месте идентификатора посетителя, например $2`,

	// Time zone, categories, allowed addresses, integrations.
	`(.+) is not a time zone: choose a region and city, e\.g\. Europe/Moscow`, `$1 — не часовой пояс: выберите регион и город, например Europe/Moscow`,
	`at most (\d+) categories are allowed, got (\d+)`, `допускается не более $1 категорий, указано $2`,
	`needs at least one category: otherwise no chat could be closed`, `нужна хотя бы одна категория: иначе ни один чат нельзя будет закрыть`,
	`is required while a timeout is on \(set both timeouts to 0 to send none\)`, `обязательно, пока включён тайм-аут (поставьте оба тайм-аута в 0, чтобы не отправлять)`,
	`at most (\d+) addresses and ranges are allowed, got (\d+)`, `допускается не более $1 адресов и диапазонов, указано $2`,
	`(.+): (.+) is not an IPv4 address`, `$1: $2 — не адрес IPv4`,
	`(.+): only IPv4 addresses are supported`, `$1: поддерживаются только адреса IPv4`,
	`(.+): subnet masks are not supported; write a range a\.b\.c\.d-e\.f\.g\.h instead`, `$1: маски подсети не поддерживаются; укажите диапазон a.b.c.d-e.f.g.h`,
	`(.+): subnet masks are not supported; write the range (.+) instead`, `$1: маски подсети не поддерживаются; укажите диапазон $2`,
	`(.+): the range is reversed; write (.+)`, `$1: диапазон перевёрнут; пишите $2`,
	`must be one word of printable Latin characters, as the provider issued it`, `должно быть одним словом из печатных латинских символов, как его выдал сервис`,
	`must be only the account name: for https://mycompany\.(.+) write mycompany`, `только имя аккаунта: для https://mycompany.$1 пишите mycompany`,

	`is generated by the service and cannot be set: regenerate it with POST (\S+)`, `создаётся сервисом и не задаётся вручную: перевыпустите его запросом POST $1`,
	`a bot token looks like 123456789:AAE… \(the bot's number, a colon and 35 letters, digits, _ or -\), as BotFather gives it`, `токен бота выглядит как 123456789:AAE… (номер бота, двоеточие и 35 букв, цифр, _ или -), как его выдаёт BotFather`,
	`at least one address is required`, `нужен хотя бы один адрес`,
	`an address is missing \(two commas in a row, a comma at an end, or an empty item\)`, `пропущен адрес (две запятые подряд, запятая в конце или пустой элемент)`,
	`a name cannot hold control characters`, `название не может содержать управляющие символы`,
	`a name is at most (\d+) characters`, `название не длиннее $1 символов`,
	`category (.+) is already in the list`, `категория $1 уже есть в списке`,
	`sub-category (.+) comes before any category \(remove the leading space to make it a category\)`, `подкатегория $1 стоит раньше любой категории (уберите пробел в начале, чтобы сделать её категорией)`,
	`sub-category (.+) is already under the same category`, `подкатегория $1 уже есть в той же категории`,
	`chat categories are available only on the Corporate plan`, `категории чатов доступны только на тарифе «Корпоративный»`,
	`is required to connect (.+) \(clear every key to disconnect it\)`, `обязательно для подключения $1 (очистите все ключи, чтобы отключить)`,
	`it is the address of this service; copy it into the VK community settings`, `это адрес этого сервиса; скопируйте его в настройки сообщества ВКонтакте`,
	`looks like a masked value that does not match the stored secret: send the secret itself, or the value exactly as read to keep it`, `похоже на скрытое значение, не совпадающее с сохранённым секретом: отправьте сам секрет или значение ровно в прочитанном виде, чтобы оставить его`,
	`the list does not include your current address \((.+)\): saving it would lock you out of the console\. Add your address, or confirm that you want to save it anyway`, `в списке нет вашего текущего адреса ($1): сохранив его, вы потеряете доступ к консоли. Добавьте свой адрес или подтвердите, что всё равно хотите сохранить`,
	`is read-only: (.+)`, `только для чтения: $1`,
	`cannot be set here: (.+)`, `здесь не задаётся: $1`,
	`must be an object`, `должно быть объектом`,
	`the body must be a JSON object`, `тело запроса должно быть объектом JSON`,
	`the body must be a single JSON object`, `тело запроса должно быть одним объектом JSON`,
	`the request body is larger than (\d+) KB`, `тело запроса больше $1 КБ`,
	`there is no settings section (.+)`, `раздела настроек $1 нет`,
	`and (\d+) more`, `и ещё $1`,

	// Images.
	`the file is empty`, `файл пуст`,
	`the image file is damaged and cannot be shown`, `файл изображения повреждён, его нельзя показать`,
	`the image is (\d+)x(\d+) pixels; at most (\d+)x(\d+) is allowed`, `изображение $1×$2 пикселей; допускается не более $3×$4`,
	`the GIF has (\d+) frames; at most (\d+) are allowed`, `в GIF $1 кадров; допускается не более $2`,
	`the file is not an image in a supported format \((.+)\)`, `файл — не изображение в поддерживаемом формате ($1)`,
	`the file is a (.+) image but was declared as (.+)`, `файл — изображение $1, а объявлен как $2`,
	`the declared type (.+) is not an image type`, `объявленный тип $1 — не тип изображения`,

	// Templates, links, passwords, history.
	`is required: global, department or personal`, `обязательно: global, department или personal`,
	`must be global, department or personal`, `должно быть global, department или personal`,
	`is required for a department template`, `обязательно для шаблона отдела`,
	`no such department`, `такого отдела нет`,
	`only department templates have a department`, `отдел есть только у шаблонов отдела`,
	`needs level=department`, `нужен level=department`,
	`cannot be changed: create a new template at the other level and delete this one`, `нельзя изменить: создайте новый шаблон на другом уровне и удалите этот`,
	`cannot be changed: create a new template in the other department and delete this one`, `нельзя изменить: создайте новый шаблон в другом отделе и удалите этот`,
	`is invalid, used or expired`, `ссылка неверна, уже использована или устарела`,
	`is not your current password`, `это не ваш текущий пароль`,
	`must be after from`, `должно быть позже «с»`,
	`is not a cursor this API returned`, `это не курсор, выданный этим API`,
	`must be distinct values among (.+)`, `должно быть разными значениями из: $1`,
)

// localizeError puts body's message and field messages into lang.
func localizeError(b apperr.Body, lang string) apperr.Body {
	if lang != "ru" {
		return b
	}
	b.Error.Message = inRussian(b.Error.Message)
	if len(b.Error.Fields) > 0 {
		fields := make(map[string]string, len(b.Error.Fields))
		for k, v := range b.Error.Fields {
			fields[k] = inRussian(v)
		}
		b.Error.Fields = fields
	}
	return b
}

// linePrefix is the "line N: " of a message about one line of a text
// (classification.categories).
var linePrefix = regexp.MustCompile(`^line (\d+): `)

// inRussian translates a message; one made of several ("...; ..."), or
// about a line of a text, is translated part by part.
func inRussian(msg string) string {
	for _, r := range errorsRU {
		if m := r.re.FindStringSubmatchIndex(msg); m != nil {
			return string(r.re.ExpandString(nil, r.ru, msg, m))
		}
	}
	if m := linePrefix.FindStringSubmatch(msg); m != nil {
		return "строка " + m[1] + ": " + inRussian(msg[len(m[0]):])
	}
	if parts := strings.Split(msg, "; "); len(parts) > 1 {
		for i, p := range parts {
			parts[i] = inRussian(p)
		}
		return strings.Join(parts, "; ")
	}
	return msg
}

// The console's interface strings, in every language it speaks, and the
// helpers every page uses: t() for a string made in code, translate() for
// the elements of index.html that carry data-i18n (their text) or
// data-i18n-placeholder, data-i18n-aria-label, data-i18n-title (that
// attribute). A key missing in a language falls back to English, and a key
// missing everywhere shows as itself, so a gap is visible, never blank.
// Messages from the server are shown as the server words them.

const en = {
  'nav.workplace': 'Workplace',
  'nav.settings': 'Settings',
  'nav.people': 'People',
  'nav.signOut': 'Sign out',
  'who': '{email} ({role})',

  'field.email': 'E-mail',
  'field.password': 'Password',
  'login.title': 'Sign in',
  'login.submit': 'Sign in',
  'login.forgot': 'Forgot your password?',
  'login.failed': 'Sign-in failed',
  'forgot.title': 'Reset your password',
  'forgot.intro': 'We will mail a link to set a new password to this address, if it has an account.',
  'forgot.submit': 'Send the link',
  'forgot.sent': 'If this e-mail has an account, a link to set a new password is on its way. Check your mail.',
  'forgot.failed': 'The link was not sent.',
  'link.toLogin': 'Back to sign-in',
  'link.toForgot': 'Ask for a new link',
  'setPassword.title': 'Set your password',
  'setPassword.new': 'New password',
  'setPassword.repeat': 'Repeat it',
  'setPassword.submit': 'Set the password',
  'setPassword.mismatch': 'is not the same password',
  'setPassword.linkDead': 'This link no longer works.',
  'setPassword.failed': 'The password was not set.',
  'setPassword.done': 'Your password is set. Sign in with it.',

  'settings.title': 'General settings: company',
  'settings.name': 'Company name',
  'settings.timezone': 'Time zone',
  'settings.website': 'Website',
  'settings.language': 'Language',
  'settings.save': 'Save',
  'settings.saved': 'Saved.',
  'settings.notSaved': 'Not saved.',
  'settings.loadFailed': 'Could not load the settings.',
  'settings.widgetLink': 'Open the widget demo page',

  'people.title': 'People',
  'people.name': 'Name',
  'people.role': 'Role',
  'people.status': 'Status',
  'people.invite': 'Invite someone',
  'people.inviteSubmit': 'Send the invitation',
  'people.invited': 'The invitation to {email} is on its way.',
  'people.notInvited': 'Not invited.',
  'people.loadFailed': 'Could not load the people.',
  'people.roleOf': 'Role of {email}',
  'people.remove': 'Remove',
  'people.removeLabel': 'Remove {email}',
  'people.removeConfirm': 'Remove {email}? They will no longer be able to sign in.',
  'people.removed': '{email} was removed.',
  'people.notRemoved': 'not removed',
  'people.roleChanged': '{email} is now {role}.',
  'people.roleNotChanged': 'the role was not changed',

  'role.operator': 'Operator',
  'role.supervisor': 'Supervisor',
  'role.administrator': 'Administrator',
  // Lower-case role names, inside sentences.
  'roleName.operator': 'operator',
  'roleName.supervisor': 'supervisor',
  'roleName.administrator': 'administrator',
  'personStatus.active': 'active',
  'personStatus.invited': 'invited',

  'wp.title': 'Workplace',
  'wp.presence': 'My status',
  'wp.online': 'Online',
  'wp.away': 'Away',
  'wp.connecting': 'Connecting…',
  'wp.connected': 'Connected',
  'wp.reconnecting': 'Connection lost: reconnecting in {n} s…',
  'wp.noUrl': 'The chat server address is unknown: {message}',
  'wp.connectionLost': 'the connection was lost before the server answered',
  'wp.notConnected': 'not connected to the chat server; try again in a moment',
  'wp.waiting': 'Waiting',
  'wp.queued': 'Common queue',
  'wp.mine': 'My chats',
  'wp.others': 'Other operators\' chats',
  'wp.none': 'No chats',
  'wp.pick': 'Choose a chat on the left.',
  'wp.visitor': 'Visitor {id}',
  'wp.priority': 'Priority',
  'wp.queuedFlag': 'in the queue',
  'wp.unread': '{n} new',
  'wp.minutes': '{n} min',
  'wp.justNow': 'just now',
  'wp.withOperator': 'with {name}',
  'wp.typingShort': 'typing…',
  'wp.status.waiting': 'Waiting for an operator',
  'wp.status.active': 'In dialog',
  'wp.status.closed': 'Closed',
  'wp.visitorLeft': 'The visitor has left the chat',
  'wp.language': 'Language',
  'wp.department': 'Department',
  'wp.category': 'Category',
  'wp.noCategory': '— none —',
  'wp.question': 'Question',
  'wp.page': 'Page',
  'wp.crm': 'Open in the CRM',
  'wp.take': 'Take the chat',
  'wp.redirect': 'Redirect…',
  'wp.teleport': 'Teleport…',
  'wp.close': 'Close the chat',
  'wp.closeNeedsCategory': 'Choose a category to close this chat.',
  'wp.categoryToClose': 'Category of the chat',
  'wp.setAndClose': 'Set the category and close',
  'wp.cancel': 'Cancel',
  'wp.redirectTo': 'Redirect to',
  'wp.redirectSubmit': 'Redirect',
  'wp.redirectOperators': 'Operators',
  'wp.redirectDepartments': 'Departments',
  'wp.redirectLanguages': 'Languages',
  'wp.redirected': 'The chat was redirected.',
  'wp.teleportUrl': 'Send the visitor\'s browser to',
  'wp.teleportSubmit': 'Send the visitor',
  'wp.teleported': 'The visitor\'s browser is on its way to {url}.',
  'wp.reply': 'Reply',
  'wp.replyPlaceholder': 'Type your answer; Enter sends, Shift+Enter starts a new line',
  'wp.send': 'Send',
  'wp.templates': 'Templates',
  'wp.noTemplates': 'No templates in this language yet.',
  'wp.generalSection': 'General',
  'wp.suggestions': 'Suggested templates',
  'wp.saveTemplate': 'Save as template',
  'wp.templateTitle': 'Title',
  'wp.templateSection': 'Section',
  'wp.saveTemplateSubmit': 'Save the answer as my template',
  'wp.templateSaved': 'Saved as your template: {title}',
  'wp.nothingToSave': 'Type the answer to save first.',
  'wp.sending': 'sending…',
  'wp.failed': 'not sent: {message}',
  'wp.noAnswer': 'no answer from the server',
  'wp.resend': 'Resend',
  'wp.read': 'Read',
  'wp.isTyping': 'The visitor is typing…',
  'wp.staffTyping': '{name} is typing…',
  'wp.from.visitor': 'Visitor',
  'wp.from.system': 'Parley',
  'wp.from.me': 'Me',
  'wp.closed': 'The chat is closed.',
  'wp.newVisitor': 'New visitor on {url}',
  'wp.newVisitorNoPage': 'A new visitor on the site',
  'wp.newChat': 'New chat: {who}',
  'wp.dismiss': 'Dismiss',
  'wp.error': 'Error ({code}): {message}',
  'wp.takenByOther': 'Another operator has taken this chat.',
  'wp.loadFailed': 'Could not load {what}: {message}',
};

const ru = {
  'nav.workplace': 'Рабочее место',
  'nav.settings': 'Настройки',
  'nav.people': 'Сотрудники',
  'nav.signOut': 'Выйти',
  'who': '{email} ({role})',

  'field.email': 'Эл. почта',
  'field.password': 'Пароль',
  'login.title': 'Вход',
  'login.submit': 'Войти',
  'login.forgot': 'Забыли пароль?',
  'login.failed': 'Не удалось войти',
  'forgot.title': 'Сброс пароля',
  'forgot.intro': 'Мы пришлём на этот адрес ссылку для нового пароля, если с ним связана учётная запись.',
  'forgot.submit': 'Прислать ссылку',
  'forgot.sent': 'Если с этим адресом связана учётная запись, ссылка для нового пароля уже в пути. Проверьте почту.',
  'forgot.failed': 'Ссылка не отправлена.',
  'link.toLogin': 'Вернуться ко входу',
  'link.toForgot': 'Запросить новую ссылку',
  'setPassword.title': 'Задайте пароль',
  'setPassword.new': 'Новый пароль',
  'setPassword.repeat': 'Повторите его',
  'setPassword.submit': 'Задать пароль',
  'setPassword.mismatch': 'пароли не совпадают',
  'setPassword.linkDead': 'Эта ссылка больше не действует.',
  'setPassword.failed': 'Пароль не задан.',
  'setPassword.done': 'Пароль задан. Войдите с ним.',

  'settings.title': 'Общие настройки: компания',
  'settings.name': 'Название компании',
  'settings.timezone': 'Часовой пояс',
  'settings.website': 'Сайт',
  'settings.language': 'Язык',
  'settings.save': 'Сохранить',
  'settings.saved': 'Сохранено.',
  'settings.notSaved': 'Не сохранено.',
  'settings.loadFailed': 'Не удалось загрузить настройки.',
  'settings.widgetLink': 'Открыть демо-страницу виджета',

  'people.title': 'Сотрудники',
  'people.name': 'Имя',
  'people.role': 'Роль',
  'people.status': 'Состояние',
  'people.invite': 'Пригласить сотрудника',
  'people.inviteSubmit': 'Отправить приглашение',
  'people.invited': 'Приглашение для {email} отправлено.',
  'people.notInvited': 'Приглашение не отправлено.',
  'people.loadFailed': 'Не удалось загрузить список сотрудников.',
  'people.roleOf': 'Роль {email}',
  'people.remove': 'Удалить',
  'people.removeLabel': 'Удалить {email}',
  'people.removeConfirm': 'Удалить {email}? Этот сотрудник больше не сможет войти.',
  'people.removed': '{email} удалён.',
  'people.notRemoved': 'не удалён',
  'people.roleChanged': 'Роль {email}: {role}.',
  'people.roleNotChanged': 'роль не изменена',

  'role.operator': 'Оператор',
  'role.supervisor': 'Супервизор',
  'role.administrator': 'Администратор',
  'roleName.operator': 'оператор',
  'roleName.supervisor': 'супервизор',
  'roleName.administrator': 'администратор',
  'personStatus.active': 'активен',
  'personStatus.invited': 'приглашён',

  'wp.title': 'Рабочее место',
  'wp.presence': 'Мой статус',
  'wp.online': 'На связи',
  'wp.away': 'Отошёл',
  'wp.connecting': 'Подключение…',
  'wp.connected': 'Подключено',
  'wp.reconnecting': 'Связь потеряна: повторное подключение через {n} с…',
  'wp.noUrl': 'Адрес чат-сервера неизвестен: {message}',
  'wp.connectionLost': 'связь прервалась раньше, чем сервер ответил',
  'wp.notConnected': 'нет связи с чат-сервером; повторите через минуту',
  'wp.waiting': 'Ожидают',
  'wp.queued': 'Общая очередь',
  'wp.mine': 'Мои чаты',
  'wp.others': 'Чаты других операторов',
  'wp.none': 'Нет чатов',
  'wp.pick': 'Выберите чат слева.',
  'wp.visitor': 'Посетитель {id}',
  'wp.priority': 'Приоритет',
  'wp.queuedFlag': 'в очереди',
  'wp.unread': 'новых: {n}',
  'wp.minutes': '{n} мин',
  'wp.justNow': 'только что',
  'wp.withOperator': 'ведёт {name}',
  'wp.typingShort': 'печатает…',
  'wp.status.waiting': 'Ждёт оператора',
  'wp.status.active': 'Идёт диалог',
  'wp.status.closed': 'Закрыт',
  'wp.visitorLeft': 'Посетитель покинул чат',
  'wp.language': 'Язык',
  'wp.department': 'Отдел',
  'wp.category': 'Категория',
  'wp.noCategory': '— не выбрана —',
  'wp.question': 'Вопрос',
  'wp.page': 'Страница',
  'wp.crm': 'Открыть в CRM',
  'wp.take': 'Взять чат',
  'wp.redirect': 'Перенаправить…',
  'wp.teleport': 'Телепорт…',
  'wp.close': 'Закрыть чат',
  'wp.closeNeedsCategory': 'Чтобы закрыть чат, выберите категорию.',
  'wp.categoryToClose': 'Категория чата',
  'wp.setAndClose': 'Выбрать категорию и закрыть',
  'wp.cancel': 'Отмена',
  'wp.redirectTo': 'Перенаправить',
  'wp.redirectSubmit': 'Перенаправить',
  'wp.redirectOperators': 'Операторы',
  'wp.redirectDepartments': 'Отделы',
  'wp.redirectLanguages': 'Языки',
  'wp.redirected': 'Чат перенаправлен.',
  'wp.teleportUrl': 'Отправить браузер посетителя на',
  'wp.teleportSubmit': 'Отправить посетителя',
  'wp.teleported': 'Браузер посетителя переходит на {url}.',
  'wp.reply': 'Ответ',
  'wp.replyPlaceholder': 'Введите ответ; Enter — отправить, Shift+Enter — новая строка',
  'wp.send': 'Отправить',
  'wp.templates': 'Шаблоны',
  'wp.noTemplates': 'На этом языке шаблонов пока нет.',
  'wp.generalSection': 'Общие',
  'wp.suggestions': 'Подходящие шаблоны',
  'wp.saveTemplate': 'Сохранить как шаблон',
  'wp.templateTitle': 'Заголовок',
  'wp.templateSection': 'Раздел',
  'wp.saveTemplateSubmit': 'Сохранить ответ как мой шаблон',
  'wp.templateSaved': 'Сохранено как ваш шаблон: {title}',
  'wp.nothingToSave': 'Сначала введите ответ, который нужно сохранить.',
  'wp.sending': 'отправляется…',
  'wp.failed': 'не отправлено: {message}',
  'wp.noAnswer': 'сервер не ответил',
  'wp.resend': 'Отправить снова',
  'wp.read': 'Прочитано',
  'wp.isTyping': 'Посетитель печатает…',
  'wp.staffTyping': '{name} печатает…',
  'wp.from.visitor': 'Посетитель',
  'wp.from.system': 'Parley',
  'wp.from.me': 'Я',
  'wp.closed': 'Чат закрыт.',
  'wp.newVisitor': 'Новый посетитель на {url}',
  'wp.newVisitorNoPage': 'Новый посетитель на сайте',
  'wp.newChat': 'Новый чат: {who}',
  'wp.dismiss': 'Скрыть',
  'wp.error': 'Ошибка ({code}): {message}',
  'wp.takenByOther': 'Этот чат уже взял другой оператор.',
  'wp.loadFailed': 'Не удалось загрузить {what}: {message}',
};

const tables = { en, ru };

// languages are the interface languages, as the API names them.
export const languages = Object.keys(tables);

let current = 'en';

// setLanguage chooses the interface language (an unknown one is English)
// and remembers it for the sign-in page of the next visit.
export function setLanguage(lang) {
  current = tables[lang] ? lang : 'en';
  document.documentElement.lang = current;
  try { localStorage.setItem('parley.lang', current); } catch (e) { /* storage off: the next visit guesses again */ }
  return current;
}

export function language() { return current; }

// guessLanguage is the language before anyone has signed in: the last one
// this browser used, else the browser's own preference.
export function guessLanguage() {
  let saved = null;
  try { saved = localStorage.getItem('parley.lang'); } catch (e) { /* storage off */ }
  if (saved && tables[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || '']) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (tables[base]) return base;
  }
  return 'en';
}

// t returns a string of the current language with {name} placeholders
// filled from vars.
export function t(key, vars) {
  let s = tables[current][key];
  if (s === undefined) s = en[key];
  if (s === undefined) s = key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

const attributes = ['placeholder', 'aria-label', 'title'];

// translate applies the current language to root and everything in it.
export function translate(root) {
  const all = [root, ...root.querySelectorAll('*')];
  for (const el of all) {
    if (!el.dataset) continue;
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n);
    for (const a of attributes) {
      const key = el.getAttribute('data-i18n-' + a);
      if (key) el.setAttribute(a, t(key));
    }
  }
}

// The embed code page (#/embed): the script tag that puts the chat on the
// account's site, with the placement's options, ready to copy; and signed
// visitor identification (SPEC §4.11) as web/widget/widget.js documents
// it: the server-side signing, the tag and the page's call. The private key
// itself is never shown here (Settings → Integration shows it once, when
// regenerated).
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'nav.embed': 'Embed code',
    'embed.title': 'Put the chat on your site',
    'embed.intro': 'Paste this tag into every page that should offer the chat, just before </body>. The button appears where the page has <div id="parley"></div>, else in the bottom right corner.',
    'embed.language': 'Language of this placement',
    'embed.languageHint': 'Used while multilingual mode is on (Settings → Additional functions); otherwise the account\'s language is.',
    'embed.askQuestion': 'Ask the visitor\'s question before the chat starts',
    'embed.askDepartment': 'Let the visitor choose a department first',
    'embed.inviteDelay': 'Invitation to leave a message after (seconds; 0: never)',
    'embed.code': 'Embed code',
    'embed.copy': 'Copy',
    'embed.copied': 'Copied.',
    'embed.copyFailed': 'The browser did not allow copying: select the text and copy it.',
    'embed.demo': 'Try it on the demo page',
    'embed.signedTitle': 'Signed visitor identification',
    'embed.signedIntro': 'When a visitor is signed in on your site, your server can tell the chat who they are. It signs the visitor\'s fields with the account\'s private key, and the page passes the fields and the signature to the widget. An unsigned or wrongly signed identification is refused and the chat goes on anonymously.',
    'embed.keyHint': 'The private key is in Settings → Integration (shown once, when regenerated). Keep it on your server: never put it in a page.',
    'embed.serverCode': 'On your server (Node.js): the signature',
    'embed.canonical': 'What is signed: one key=value line per field, sorted by key, joined by a line break, no line break at the end; keys are a-z, 0-9 and _ starting with a letter, values in Unicode NFC without line breaks. {"name": "Ann", "id": "42"} signs "id=42\\nname=Ann".',
    'embed.tagCode': 'In the page: the fields and the signature on the tag',
    'embed.callCode': 'Or from the page\'s code, once the widget has loaded',
  },
  ru: {
    'nav.embed': 'Код установки',
    'embed.title': 'Поставьте чат на свой сайт',
    'embed.intro': 'Вставьте этот тег на каждую страницу, где нужен чат, перед </body>. Кнопка появится там, где на странице есть <div id="parley"></div>, иначе — в правом нижнем углу.',
    'embed.language': 'Язык этого размещения',
    'embed.languageHint': 'Действует, пока включён мультиязычный режим (Настройки → Дополнительные функции); иначе используется язык аккаунта.',
    'embed.askQuestion': 'Спрашивать вопрос посетителя до начала чата',
    'embed.askDepartment': 'Давать посетителю сначала выбрать отдел',
    'embed.inviteDelay': 'Приглашение оставить сообщение через (секунд; 0 — никогда)',
    'embed.code': 'Код установки',
    'embed.copy': 'Скопировать',
    'embed.copied': 'Скопировано.',
    'embed.copyFailed': 'Браузер не разрешил копирование: выделите текст и скопируйте его.',
    'embed.demo': 'Попробовать на демо-странице',
    'embed.signedTitle': 'Подписанная идентификация посетителя',
    'embed.signedIntro': 'Когда посетитель вошёл на вашем сайте, ваш сервер может сообщить чату, кто он. Сервер подписывает поля посетителя закрытым ключом аккаунта, а страница передаёт поля и подпись виджету. Неподписанная или неверно подписанная идентификация отклоняется, и чат продолжается анонимно.',
    'embed.keyHint': 'Закрытый ключ — в Настройках → Интеграция (показывается один раз, при перевыпуске). Храните его на сервере и никогда не помещайте на страницу.',
    'embed.serverCode': 'На вашем сервере (Node.js): подпись',
    'embed.canonical': 'Что подписывается: по строке key=value на поле, по алфавиту ключей, через перевод строки, без перевода строки в конце; ключи — a-z, 0-9 и _, начиная с буквы, значения в Unicode NFC без переводов строк. {"name": "Ann", "id": "42"} подписывает "id=42\\nname=Ann".',
    'embed.tagCode': 'На странице: поля и подпись в теге',
    'embed.callCode': 'Или из кода страницы, после загрузки виджета',
  },
});

// The server-side example. It is what the browser test runs, so what is
// shown here is known to sign as the API checks.
const serverCode = `const crypto = require('node:crypto');

// parleySignature signs a visitor's fields with the account's private key
// (Settings → Integration).
function parleySignature(fields, privateKey) {
  const canonical = Object.keys(fields).sort()
    .map((k) => k + '=' + String(fields[k]).normalize('NFC'))
    .join('\\n');
  return crypto.createHmac('sha256', privateKey).update(canonical, 'utf8').digest('hex');
}

const fields = { id: '42', name: 'Ann', email: 'ann@example.com' };
const signature = parleySignature(fields, process.env.PARLEY_PRIVATE_KEY);`;

// widgetURL is where this site serves the widget: beside the console.
function widgetURL() {
  const u = new URL('widget/widget.js', location.href);
  u.hash = '';
  u.search = '';
  return u.href;
}

const escapeAttr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;');

// tag is the script tag of a placement.
function tag(accountId, o, extra) {
  const lines = [`<script src="${escapeAttr(widgetURL())}" async`, `        data-account="${escapeAttr(accountId)}"`];
  if (o.language) lines.push(`        data-language="${escapeAttr(o.language)}"`);
  if (o.askQuestion) lines.push('        data-ask-question="1"');
  if (o.askDepartment) lines.push('        data-ask-department="1"');
  if (o.inviteDelay !== '' && o.inviteDelay !== '20') lines.push(`        data-invite-delay="${escapeAttr(o.inviteDelay)}"`);
  for (const l of extra || []) lines.push('        ' + l);
  lines[lines.length - 1] += '></script>';
  return lines.join('\n');
}

async function copy(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = t('embed.copied');
    status.classList.remove('error');
  } catch (e) {
    status.textContent = t('embed.copyFailed');
    status.classList.add('error');
  }
}

// block is a code block with its copy button.
function block(id, titleKey) {
  const pre = el('pre', { class: 'code', id, tabindex: '0' });
  const status = el('span', { class: 'status', role: 'status' });
  const button = el('button', { type: 'button', 'aria-label': t('embed.copy') + ': ' + t(titleKey), text: t('embed.copy'), onclick: () => copy(pre.textContent, status) });
  return { pre, node: el('div', { class: 'code-block', dataset: { block: id } },
    el('h3', { 'data-i18n': titleKey, text: t(titleKey) }), pre, el('div', { class: 'copy-line' }, button, status)) };
}

function build(root, ctx) {
  const accountId = ctx.user().accountId || '';
  const language = el('select', { name: 'language' }, el('option', { value: '', text: '—' }),
    el('option', { value: 'ru', text: 'Русский' }), el('option', { value: 'en', text: 'English' }));
  const check = (name, key) => el('label', { class: 'check' }, el('input', { type: 'checkbox', name }), ' ', el('span', { 'data-i18n': key, text: t(key) }));
  const options = el('form', { id: 'embed-options', novalidate: true },
    el('label', {}, el('span', { 'data-i18n': 'embed.language', text: t('embed.language') }), ' ', language),
    el('p', { class: 'hint', 'data-i18n': 'embed.languageHint', text: t('embed.languageHint') }),
    check('askQuestion', 'embed.askQuestion'), check('askDepartment', 'embed.askDepartment'),
    el('label', {}, el('span', { 'data-i18n': 'embed.inviteDelay', text: t('embed.inviteDelay') }), ' ',
      el('input', { name: 'inviteDelay', type: 'number', min: '0', step: '1', value: '20' })));
  const main = block('embed-code', 'embed.code');
  const server = block('embed-server', 'embed.serverCode');
  const signedTag = block('embed-signed-tag', 'embed.tagCode');
  const call = block('embed-call', 'embed.callCode');
  server.pre.textContent = serverCode;
  signedTag.pre.textContent = tag(accountId, { language: '', inviteDelay: '' }, [
    `data-visitor-fields='{"email":"ann@example.com","id":"42","name":"Ann"}'`,
    'data-visitor-signature="<signature>"']);
  call.pre.textContent = `window.Parley.identify({
  fields: { id: '42', name: 'Ann', email: 'ann@example.com' },
  signature: '<signature>',
}).then(
  (r) => { /* r.fields are on the visitor now */ },
  (err) => { /* err.message says what was refused */ },
);`;
  const render = () => {
    const f = options.elements;
    main.pre.textContent = tag(accountId, { language: f.language.value, askQuestion: f.askQuestion.checked, askDepartment: f.askDepartment.checked, inviteDelay: f.inviteDelay.value.trim() });
  };
  options.addEventListener('input', render);
  options.addEventListener('change', render);
  options.addEventListener('submit', (ev) => ev.preventDefault());
  render();
  root.append(
    el('h2', { 'data-i18n': 'embed.title', text: t('embed.title') }),
    el('p', { class: 'hint', 'data-i18n': 'embed.intro', text: t('embed.intro') }),
    options, main.node,
    el('p', {}, el('a', { href: 'widget/demo.html?account=' + encodeURIComponent(accountId), target: '_blank', rel: 'noopener', 'data-i18n': 'embed.demo', text: t('embed.demo') })),
    el('h2', { 'data-i18n': 'embed.signedTitle', text: t('embed.signedTitle') }),
    el('p', { 'data-i18n': 'embed.signedIntro', text: t('embed.signedIntro') }),
    el('p', { class: 'notice-box' }, el('span', { 'data-i18n': 'embed.keyHint', text: t('embed.keyHint') }), ' ',
      el('a', { href: ctx.href('settings/integration'), text: '→' })),
    server.node,
    el('p', { class: 'hint', 'data-i18n': 'embed.canonical', text: t('embed.canonical') }),
    signedTag.node, call.node);
  root.dataset.account = accountId;
}

registerView('embed', (root, ctx) => {
  // Another account signed in at this browser: its own code.
  if (root.firstChild && root.dataset.account !== (ctx.user().accountId || '')) root.replaceChildren();
  if (!root.firstChild) build(root, ctx);
  return null;
}, { roles: ['administrator'] });

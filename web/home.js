// The administrator's home page (#/home): a short checklist of what the
// account still lacks, each line linking to the page that sets it. Other
// pages add lines of their own with addHomeCheck (an integration that keeps
// failing, say): a check reads what it needs and returns a line, or null
// when there is nothing to say.
//
//   import { addHomeCheck } from './home.js';
//   addHomeCheck(async ({ api, settings }) => ok ? null : { key: 'my-thing', text: '…', route: 'my-page' });
//
// settings is GET /v1/settings as read for this showing (null if it
// failed), so the checks read it once between them.
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'nav.home': 'Home',
    'home.title': 'Getting started',
    'home.intro': 'What is not set up yet. Each line leads to the page that sets it.',
    'home.loading': 'Looking at the account…',
    'home.allSet': 'Everything on this list is set up.',
    'home.failed': 'Could not read {what}: {message}',
    'home.noOperator': 'Nobody but you works in the account yet: invite an operator.',
    'home.noLogo': 'No company logo: visitors see the chat without it.',
    'home.noWebsite': 'The company website is not set.',
    'home.noEmails': 'Nobody receives {list}: those mails are dropped.',
    'home.list.leftMessages': 'offline messages',
    'home.list.negativeReviews': 'negative ratings',
    'home.list.dailyReports': 'daily reports',
    'home.noWebhooks': 'No event handlers: your systems hear of no chat starting, assigned or closed.',
    'home.embed': 'Put the chat on your site: copy the embed code.',
    'home.open': 'Open',
  },
  ru: {
    'nav.home': 'Главная',
    'home.title': 'С чего начать',
    'home.intro': 'Что ещё не настроено. Каждая строка ведёт на страницу, где это задаётся.',
    'home.loading': 'Смотрим аккаунт…',
    'home.allSet': 'Всё из этого списка настроено.',
    'home.failed': 'Не удалось прочитать {what}: {message}',
    'home.noOperator': 'В аккаунте пока нет никого, кроме вас: пригласите оператора.',
    'home.noLogo': 'Нет логотипа компании: посетители видят чат без него.',
    'home.noWebsite': 'Не указан сайт компании.',
    'home.noEmails': 'Никто не получает {list}: эти письма не отправляются.',
    'home.list.leftMessages': 'офлайн-сообщения',
    'home.list.negativeReviews': 'отрицательные оценки',
    'home.list.dailyReports': 'ежедневные отчёты',
    'home.noWebhooks': 'Нет обработчиков событий: ваши системы не узнают о начале, назначении и закрытии чатов.',
    'home.embed': 'Поставьте чат на свой сайт: скопируйте код установки.',
    'home.open': 'Открыть',
  },
});

const checks = [];

// addHomeCheck adds a line to the checklist, after the ones before it.
export function addHomeCheck(check) { checks.push(check); }

// The account's own lines, in the order an administrator would do them.
addHomeCheck(async ({ api }) => {
  const r = await api('GET', '/v1/people');
  if (r.status !== 200) return null;
  return r.data.items.length > 1 ? null : { key: 'operator', text: t('home.noOperator'), route: 'people' };
});
addHomeCheck(({ settings }) => (settings && !settings.company.logoUrl ? { key: 'logo', text: t('home.noLogo'), route: 'settings/company' } : null));
addHomeCheck(({ settings }) => (settings && !settings.company.website ? { key: 'website', text: t('home.noWebsite'), route: 'settings/company' } : null));
addHomeCheck(({ settings }) => {
  if (!settings) return null;
  const empty = ['leftMessages', 'negativeReviews', 'dailyReports'].filter((k) => !(settings.emails[k] || []).length);
  return empty.length ? { key: 'emails', text: t('home.noEmails', { list: empty.map((k) => t('home.list.' + k)).join(', ') }), route: 'settings/emails' } : null;
});
addHomeCheck(({ settings }) => {
  const hooks = settings && settings.integration && settings.integration.webhooks;
  if (!hooks) return null;
  // The event handlers' addresses; the signing secret is generated, not set.
  return ['chatStart', 'chatAssign', 'chatClose'].some((k) => hooks[k]) ? null : { key: 'webhooks', text: t('home.noWebhooks'), route: 'settings/integration' };
});

let ask = 0;

async function mount(root, ctx) {
  if (!root.firstChild) {
    root.append(
      el('h2', { 'data-i18n': 'home.title', text: t('home.title') }),
      el('p', { class: 'hint', 'data-i18n': 'home.intro', text: t('home.intro') }),
      el('p', { class: 'status', id: 'home-status', role: 'status' }),
      el('ul', { id: 'home-checklist', class: 'checklist' }),
      el('p', {}, el('a', { href: ctx.href('embed'), 'data-i18n': 'home.embed', text: t('home.embed') })));
  }
  const n = ++ask;
  const list = root.querySelector('#home-checklist');
  const status = root.querySelector('#home-status');
  list.replaceChildren();
  delete list.dataset.state;
  status.classList.remove('error');
  status.textContent = t('home.loading');
  const s = await ctx.api('GET', '/v1/settings');
  if (s.signedOut || n !== ask) return null;
  const problems = [];
  if (s.status !== 200) problems.push(t('home.failed', { what: '/v1/settings', message: ctx.errorOf(s, 'HTTP ' + s.status) }));
  const input = { api: ctx.api, settings: s.status === 200 ? s.data : null };
  const lines = await Promise.all(checks.map((c) => Promise.resolve().then(() => c(input)).catch(() => null)));
  if (n !== ask) return null;
  for (const line of lines) {
    if (!line) continue;
    list.append(el('li', { dataset: { check: line.key } },
      el('span', { text: line.text }), ' ',
      line.route ? el('a', { href: ctx.href(line.route), text: t('home.open') }) : null));
  }
  status.textContent = problems.join(' ') || (list.children.length ? '' : t('home.allSet'));
  status.classList.toggle('error', problems.length > 0);
  list.dataset.state = 'loaded';
  return { translated: () => mount(root, ctx) };
}

registerView('home', mount, { roles: ['administrator'] });

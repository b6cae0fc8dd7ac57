// The audit trail (#/audit, administrators): every change of the settings,
// newest first, 50 entries a page (GET /v1/audit, "More" follows its
// next): when, who, which keys, the old and the new value. The API masks
// secrets before they reach the trail, so they show masked here too.
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings, language } from './i18n.js';

addStrings({
  en: {
    'nav.audit': 'Audit trail',
    'audit.title': 'Audit trail',
    'audit.intro': 'Every change of the settings, newest first. Secrets show masked. A change appears a few seconds after it is saved.',
    'audit.when': 'When',
    'audit.who': 'Who',
    'audit.key': 'Setting',
    'audit.old': 'Was',
    'audit.new': 'Now',
    'audit.none': 'No changes yet.',
    'audit.more': 'More',
    'audit.loading': 'Loading…',
    'audit.failed': 'Could not read the audit trail.',
    'audit.empty': '(empty)',
    'audit.removed': 'a removed person ({id})',
  },
  ru: {
    'nav.audit': 'Журнал изменений',
    'audit.title': 'Журнал изменений',
    'audit.intro': 'Все изменения настроек, новые сверху. Секреты показаны скрытыми. Изменение появляется через несколько секунд после сохранения.',
    'audit.when': 'Когда',
    'audit.who': 'Кто',
    'audit.key': 'Настройка',
    'audit.old': 'Было',
    'audit.new': 'Стало',
    'audit.none': 'Изменений пока нет.',
    'audit.more': 'Ещё',
    'audit.loading': 'Загрузка…',
    'audit.failed': 'Не удалось прочитать журнал.',
    'audit.empty': '(пусто)',
    'audit.removed': 'удалённый сотрудник ({id})',
  },
});

let state = null;

// shown is a value as a person reads it: text as it is, lists one item a
// line, nothing as "(empty)".
function shown(v) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return t('audit.empty');
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function whoOf(id) {
  const p = state.people.get(id);
  return p ? (p.name && p.name !== p.email ? p.name + ' · ' + p.email : p.email) : t('audit.removed', { id });
}

function render() {
  const body = state.root.querySelector('#audit-table tbody');
  body.replaceChildren();
  const fmt = new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'medium', timeZone: state.zone || undefined });
  for (const e of state.items) {
    e.changes.forEach((c, i) => {
      body.append(el('tr', { dataset: { version: String(e.version), key: c.key }, class: i === 0 ? 'first' : 'more' },
        el('td', { 'data-label': t('audit.when') }, el('time', { datetime: e.at, text: fmt.format(new Date(e.at)) })),
        el('td', { 'data-label': t('audit.who'), text: whoOf(e.by) }),
        el('td', { 'data-label': t('audit.key') }, el('code', { text: c.key })),
        el('td', { 'data-label': t('audit.old'), class: 'value old', text: shown(c.old) }),
        el('td', { 'data-label': t('audit.new'), class: 'value new', text: shown(c.new) })));
    });
  }
  state.root.querySelector('#audit-none').hidden = state.items.length > 0;
  state.root.querySelector('#audit-more').hidden = !state.next;
}

async function load(ctx, more) {
  const status = state.root.querySelector('#audit-status');
  const table = state.root.querySelector('#audit-table');
  table.dataset.state = 'loading';
  status.classList.remove('error');
  status.textContent = t('audit.loading');
  const n = ++state.ask;
  const q = more && state.next ? '?' + new URLSearchParams({ before: state.next }) : '';
  const r = await ctx.api('GET', '/v1/audit' + q);
  if (r.signedOut || n !== state.ask) return;
  if (r.status !== 200) {
    status.textContent = ctx.errorOf(r, t('audit.failed'));
    status.classList.add('error');
    table.dataset.state = 'error';
    return;
  }
  state.items = more ? state.items.concat(r.data.items) : r.data.items;
  state.next = r.data.next || '';
  status.textContent = '';
  render();
  table.dataset.state = 'loaded';
}

async function mount(root, ctx) {
  if (!root.firstChild) {
    const head = el('tr', {}, ...['audit.when', 'audit.who', 'audit.key', 'audit.old', 'audit.new'].map((k) => el('th', { 'data-i18n': k, text: t(k) })));
    root.append(
      el('h2', { 'data-i18n': 'audit.title', text: t('audit.title') }),
      el('p', { class: 'hint', 'data-i18n': 'audit.intro', text: t('audit.intro') }),
      el('p', { class: 'status', id: 'audit-status', role: 'status' }),
      el('table', { id: 'audit-table', class: 'stack-narrow' }, el('thead', {}, head), el('tbody')),
      el('p', { class: 'hint', id: 'audit-none', hidden: true, 'data-i18n': 'audit.none', text: t('audit.none') }),
      el('button', { type: 'button', id: 'audit-more', hidden: true, 'data-i18n': 'audit.more', text: t('audit.more'), onclick: () => load(ctx, true) }));
  }
  state = { root, items: [], next: '', people: new Map(), zone: '', ask: 0 };
  // Names instead of ids, times in the account's time zone.
  const [p, c] = await Promise.all([ctx.api('GET', '/v1/people'), ctx.api('GET', '/v1/settings/company')]);
  if (p.signedOut || c.signedOut) return null;
  if (p.status === 200) state.people = new Map(p.data.items.map((x) => [x.id, x]));
  if (c.status === 200) {
    try { new Intl.DateTimeFormat('en', { timeZone: c.data.timezone }); state.zone = c.data.timezone; } catch (e) { state.zone = ''; }
  }
  await load(ctx, false);
  return { translated: render, reset() { state = null; } };
}

registerView('audit', mount, { roles: ['administrator'] });

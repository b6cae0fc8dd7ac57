// Webhook deliveries (#/deliveries, administrators): the event handlers of
// SPEC §4.9 and what became of each delivery (GET /v1/integrations/
// deliveries): event, status, attempts, the last response code, latency,
// the next retry and the last error; "Send a test event" per handler, and
// "Redeliver" for a finished delivery. The signing secret that signs every
// delivery shows masked here, with its Regenerate action (the new secret
// shows once). The home page lists failing handlers (addHomeCheck).
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings, language } from './i18n.js';
import { addHomeCheck } from './home.js';

addStrings({
  en: {
    'nav.deliveries': 'Webhook deliveries',
    'dlv.title': 'Webhook deliveries',
    'dlv.intro': 'Parley POSTs a signed JSON event to each handler set in Settings → Integration: when a chat starts, when it is assigned (again on every redirect) and when it is closed for good. Failed deliveries are retried with back-off for about a day.',
    'dlv.secret': 'Signing secret (integration.webhooks.signingSecret)',
    'dlv.secretHint': 'Every delivery carries webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks, HMAC-SHA256); check it with this secret. Regenerating it takes effect at once, retries included.',
    'dlv.regenerate': 'Regenerate',
    'dlv.regenerateConfirm': 'Make a new signing secret? Your receivers must verify with the new one from now on.',
    'dlv.newSecret': 'The new secret, shown only now: copy it to your receivers.',
    'dlv.handlers': 'Handlers',
    'dlv.event': 'Event',
    'dlv.url': 'Address',
    'dlv.state': 'State',
    'dlv.notSet': 'not set',
    'dlv.ok': 'working',
    'dlv.failing': 'failing',
    'dlv.unknown': 'no delivery yet',
    'dlv.test': 'Send a test event',
    'dlv.testSent': 'A test {event} event is queued; it is sent within a few seconds.',
    'dlv.recent': 'Recent deliveries',
    'dlv.when': 'When',
    'dlv.status': 'Status',
    'dlv.attempts': 'Attempts',
    'dlv.code': 'Response',
    'dlv.latency': 'Latency',
    'dlv.next': 'Next retry',
    'dlv.error': 'Last error',
    'dlv.redeliver': 'Redeliver',
    'dlv.redelivered': 'Delivery {id} is queued again, under the same webhook-id.',
    'dlv.none': 'No deliveries yet.',
    'dlv.refresh': 'Refresh',
    'dlv.loading': 'Loading…',
    'dlv.failed': 'Could not read the deliveries.',
    'dlv.testMark': 'test',
    'dlv.st.pending': 'pending',
    'dlv.st.delivered': 'delivered',
    'dlv.st.failed': 'failed',
    'home.webhookFailing': 'The {event} event handler is failing: {error}',
    'home.serviceFailing': 'The {service} integration is failing: {error}',
  },
  ru: {
    'nav.deliveries': 'Доставка вебхуков',
    'dlv.title': 'Доставка вебхуков',
    'dlv.intro': 'Parley отправляет подписанное JSON-событие каждому обработчику из «Настройки → Интеграция»: когда чат начался, когда он назначен оператору (и при каждом перенаправлении) и когда он окончательно закрыт. Неудачные доставки повторяются с нарастающей паузой около суток.',
    'dlv.secret': 'Секрет подписи (integration.webhooks.signingSecret)',
    'dlv.secretHint': 'Каждая доставка несёт webhook-id, webhook-timestamp и webhook-signature (Standard Webhooks, HMAC-SHA256); проверяйте подпись этим секретом. Новый секрет действует сразу, и для повторов тоже.',
    'dlv.regenerate': 'Создать новый',
    'dlv.regenerateConfirm': 'Создать новый секрет подписи? Ваши обработчики должны будут проверять подпись новым секретом.',
    'dlv.newSecret': 'Новый секрет показан только сейчас: скопируйте его в свои обработчики.',
    'dlv.handlers': 'Обработчики',
    'dlv.event': 'Событие',
    'dlv.url': 'Адрес',
    'dlv.state': 'Состояние',
    'dlv.notSet': 'не задан',
    'dlv.ok': 'работает',
    'dlv.failing': 'ошибки',
    'dlv.unknown': 'доставок ещё не было',
    'dlv.test': 'Отправить тестовое событие',
    'dlv.testSent': 'Тестовое событие {event} поставлено в очередь; оно уйдёт в течение нескольких секунд.',
    'dlv.recent': 'Последние доставки',
    'dlv.when': 'Когда',
    'dlv.status': 'Статус',
    'dlv.attempts': 'Попыток',
    'dlv.code': 'Ответ',
    'dlv.latency': 'Задержка',
    'dlv.next': 'Следующий повтор',
    'dlv.error': 'Последняя ошибка',
    'dlv.redeliver': 'Отправить снова',
    'dlv.redelivered': 'Доставка {id} снова в очереди, с тем же webhook-id.',
    'dlv.none': 'Доставок пока нет.',
    'dlv.refresh': 'Обновить',
    'dlv.loading': 'Загрузка…',
    'dlv.failed': 'Не удалось прочитать доставки.',
    'dlv.testMark': 'тест',
    'dlv.st.pending': 'в очереди',
    'dlv.st.delivered': 'доставлено',
    'dlv.st.failed': 'не доставлено',
    'home.webhookFailing': 'Обработчик события {event} не отвечает: {error}',
    'home.serviceFailing': 'Интеграция {service} не работает: {error}',
  },
});

// The home page's line for each failing handler.
addHomeCheck(async ({ api }) => {
  const r = await api('GET', '/v1/integrations/deliveries');
  if (r.status !== 200) return null;
  const failing = r.data.integrations.filter((i) => i.failing);
  if (!failing.length) return null;
  const text = failing.map((i) => t('home.webhookFailing', { event: i.event, error: (i.last && i.last.lastError) || t('dlv.st.failed') })).join(' ');
  return { key: 'webhooks-failing', text, route: 'deliveries' };
});

// The services sending through the same engine (CRM, mailing, channels):
// a line for each one failing, with its last error (a wrong credential
// says which setting to fix).
const serviceNames = { zendesk: 'Zendesk', amocrm: 'amoCRM', zoho: 'Zoho CRM', unisender: 'Unisender', telegram: 'Telegram', vk: 'VK' };
addHomeCheck(async ({ api }) => {
  const r = await api('GET', '/v1/integrations/deliveries');
  if (r.status !== 200 || !r.data.services) return null;
  const failing = r.data.services.filter((s) => s.failing);
  if (!failing.length) return null;
  const text = failing.map((s) => t('home.serviceFailing', { service: serviceNames[s.name] || s.name, error: (s.last && s.last.lastError) || t('dlv.st.failed') })).join(' ');
  return { key: 'services-failing', text, route: 'deliveries' };
});

let state = null;

function fmtTime(s) {
  if (!s) return '';
  return new Intl.DateTimeFormat(language(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(s));
}

function setStatus(text, error) {
  const s = state.root.querySelector('#dlv-status');
  s.textContent = text || '';
  s.classList.toggle('error', !!error);
}

function render() {
  const { root, data, ctx } = state;
  const handlers = root.querySelector('#dlv-handlers tbody');
  handlers.replaceChildren();
  for (const i of data.integrations) {
    const st = !i.configured ? 'notSet' : i.failing ? 'failing' : i.last ? 'ok' : 'unknown';
    handlers.append(el('tr', { dataset: { event: i.event, state: st } },
      el('td', { 'data-label': t('dlv.event') }, el('code', { text: i.event })),
      el('td', { 'data-label': t('dlv.url'), class: 'url', text: i.target || '' }),
      el('td', { 'data-label': t('dlv.state'), class: 'state ' + st, text: t('dlv.' + st) }),
      el('td', { class: 'actions' }, i.configured
        ? el('button', { type: 'button', text: t('dlv.test'), 'aria-label': t('dlv.test') + ' ' + i.event, onclick: () => sendTest(ctx, i.event) })
        : null)));
  }
  const body = root.querySelector('#dlv-table tbody');
  body.replaceChildren();
  for (const d of data.items) {
    body.append(el('tr', { dataset: { id: d.id, event: d.event, status: d.status } },
      el('td', { 'data-label': t('dlv.when') }, el('time', { datetime: d.createdAt, text: fmtTime(d.createdAt) })),
      el('td', { 'data-label': t('dlv.event') }, el('code', { text: d.event }), d.test ? ' (' + t('dlv.testMark') + ')' : null),
      el('td', { 'data-label': t('dlv.status'), class: 'status-' + d.status, text: t('dlv.st.' + d.status) }),
      el('td', { 'data-label': t('dlv.attempts'), class: 'attempts', text: String(d.attempts) }),
      el('td', { 'data-label': t('dlv.code'), class: 'code', text: d.lastResponseCode == null ? '' : String(d.lastResponseCode) }),
      el('td', { 'data-label': t('dlv.latency'), text: d.latencyMs == null ? '' : d.latencyMs + ' ms' }),
      el('td', { 'data-label': t('dlv.next'), text: fmtTime(d.nextRetryAt) }),
      el('td', { 'data-label': t('dlv.error'), class: 'error-text', text: d.lastError || '' }),
      el('td', { class: 'actions' }, d.status !== 'pending'
        ? el('button', { type: 'button', text: t('dlv.redeliver'), 'aria-label': t('dlv.redeliver') + ' ' + d.id, onclick: () => redeliver(ctx, d.id) })
        : null)));
  }
  root.querySelector('#dlv-none').hidden = data.items.length > 0;
}

async function load(ctx) {
  const n = ++state.ask;
  const table = state.root.querySelector('#dlv-table');
  table.dataset.state = 'loading';
  const [r, s] = await Promise.all([ctx.api('GET', '/v1/integrations/deliveries'), ctx.api('GET', '/v1/settings/integration')]);
  if (r.signedOut || s.signedOut || !state || n !== state.ask) return;
  if (r.status !== 200) {
    setStatus(ctx.errorOf(r, t('dlv.failed')), true);
    table.dataset.state = 'error';
    return;
  }
  state.data = r.data;
  if (s.status === 200) state.root.querySelector('#dlv-secret').value = (s.data.webhooks && s.data.webhooks.signingSecret) || '';
  render();
  table.dataset.state = 'loaded';
  // While something is pending, look again in a few seconds.
  clearTimeout(state.timer);
  if (r.data.items.some((d) => d.status === 'pending')) state.timer = setTimeout(() => state && load(ctx), 2000);
}

async function sendTest(ctx, event) {
  const r = await ctx.api('POST', '/v1/integrations/deliveries/test', { event });
  if (r.signedOut) return;
  if (r.status !== 202) { setStatus(ctx.errorOf(r, t('dlv.failed')), true); return; }
  setStatus(t('dlv.testSent', { event }));
  await load(ctx);
}

async function redeliver(ctx, id) {
  const r = await ctx.api('POST', '/v1/integrations/deliveries/' + encodeURIComponent(id) + '/redeliver');
  if (r.signedOut) return;
  if (r.status !== 202) { setStatus(ctx.errorOf(r, t('dlv.failed')), true); return; }
  setStatus(t('dlv.redelivered', { id }));
  await load(ctx);
}

async function regenerate(ctx) {
  if (!window.confirm(t('dlv.regenerateConfirm'))) return;
  const r = await ctx.api('POST', '/v1/settings/integration/webhooks/signing-secret/regenerate');
  if (r.signedOut) return;
  if (r.status !== 200) { setStatus(ctx.errorOf(r, t('dlv.failed')), true); return; }
  // The field shows the new secret masked at once, as the API masks it, so
  // it never names the old one beside the new one while load() re-reads.
  state.ask++;
  state.root.querySelector('#dlv-secret').value = '••••' + r.data.signingSecret.slice(-4);
  const shown = state.root.querySelector('#dlv-new-secret');
  shown.hidden = false;
  shown.querySelector('code').textContent = r.data.signingSecret;
  await load(ctx);
}

function header(keys) {
  return el('thead', {}, el('tr', {}, ...keys.map((k) => (k ? el('th', { 'data-i18n': k, text: t(k) }) : el('th')))));
}

async function mount(root, ctx) {
  if (!root.firstChild) {
    root.append(
      el('h2', { 'data-i18n': 'dlv.title', text: t('dlv.title') }),
      el('p', { class: 'hint', 'data-i18n': 'dlv.intro', text: t('dlv.intro') }),
      el('p', { class: 'status', id: 'dlv-status', role: 'status' }),
      el('label', { for: 'dlv-secret', 'data-i18n': 'dlv.secret', text: t('dlv.secret') }),
      el('p', {}, el('input', { id: 'dlv-secret', readonly: true, size: 20 }), ' ',
        el('button', { type: 'button', id: 'dlv-regenerate', 'data-i18n': 'dlv.regenerate', text: t('dlv.regenerate'), onclick: () => regenerate(ctx) })),
      el('p', { class: 'hint', 'data-i18n': 'dlv.secretHint', text: t('dlv.secretHint') }),
      el('p', { id: 'dlv-new-secret', hidden: true }, el('span', { 'data-i18n': 'dlv.newSecret', text: t('dlv.newSecret') }), ' ', el('code')),
      el('h3', { 'data-i18n': 'dlv.handlers', text: t('dlv.handlers') }),
      el('table', { id: 'dlv-handlers', class: 'stack-narrow' }, header(['dlv.event', 'dlv.url', 'dlv.state', '']), el('tbody')),
      el('h3', { 'data-i18n': 'dlv.recent', text: t('dlv.recent') }),
      el('button', { type: 'button', id: 'dlv-refresh', 'data-i18n': 'dlv.refresh', text: t('dlv.refresh'), onclick: () => load(ctx) }),
      el('table', { id: 'dlv-table', class: 'stack-narrow' },
        header(['dlv.when', 'dlv.event', 'dlv.status', 'dlv.attempts', 'dlv.code', 'dlv.latency', 'dlv.next', 'dlv.error', '']), el('tbody')),
      el('p', { class: 'hint', id: 'dlv-none', hidden: true, 'data-i18n': 'dlv.none', text: t('dlv.none') }));
  }
  if (state) clearTimeout(state.timer);
  state = { root, ctx, data: { integrations: [], items: [] }, ask: 0, timer: 0 };
  root.querySelector('#dlv-new-secret').hidden = true;
  setStatus(t('dlv.loading'));
  await load(ctx);
  if (state && !root.querySelector('#dlv-status').classList.contains('error')) setStatus('');
  return {
    translated: () => state && render(),
    leave() { if (state) clearTimeout(state.timer); return true; },
    reset() { if (state) clearTimeout(state.timer); state = null; },
  };
}

registerView('deliveries', mount, { roles: ['administrator'] });

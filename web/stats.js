// The statistics page (#/stats): a date range (today, 7 days, 30 days or
// custom), charts by day (chats split into answered, missed and refusals;
// first-response time; busy messages; ratings), tables by operator and by
// category, and the same report as CSV (GET /v1/stats with Accept:
// text/csv). Days are the account's time-zone days, as the API counts
// them. Operators see their own figures only, so their page has no
// category table. The charts are uPlot, bundled in web/vendor/uplot (see
// the README); it draws on a canvas and sets styles through the DOM, which
// the console's CSP (style-src 'self') allows.
import uPlot from './vendor/uplot/uPlot.esm.js';
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'nav.stats': 'Statistics',
    'stats.title': 'Statistics',
    'stats.intro': 'Counted as chats happen, by the day each chat started in the account\'s time zone. Figures of the last minutes may take a few seconds to appear.',
    'stats.today': 'Today', 'stats.week': '7 days', 'stats.month': '30 days', 'stats.custom': 'Custom',
    'stats.from': 'From', 'stats.to': 'To', 'stats.show': 'Show', 'stats.csv': 'Download CSV',
    'stats.loading': 'Loading…', 'stats.failed': 'Could not read the statistics.',
    'stats.chats': 'Chats', 'stats.answered': 'Answered', 'stats.missed': 'Missed', 'stats.refusals': 'Refusals',
    'stats.offline': 'Offline requests', 'stats.busyFirst': 'Busy: first response', 'stats.busyAnswer': 'Busy: answer',
    'stats.frt': 'First response, s', 'stats.frtAvg': 'Average', 'stats.frtMedian': 'Median', 'stats.frtP90': 'p90',
    'stats.ratings': 'Ratings', 'stats.excellent': 'Excellent', 'stats.good': 'Good', 'stats.satisfactory': 'Satisfactory', 'stats.poor': 'Poor', 'stats.bad': 'Bad',
    'stats.chartChats': 'Chats per day', 'stats.chartFrt': 'First-response time (s)', 'stats.chartBusy': 'Busy messages', 'stats.chartRatings': 'Ratings',
    'stats.byOperator': 'By operator', 'stats.byCategory': 'By category', 'stats.name': 'Name', 'stats.none': 'Nothing in this range.',
    'stats.online': 'Online, h', 'stats.zone': 'Days in {zone}',
  },
  ru: {
    'nav.stats': 'Статистика',
    'stats.title': 'Статистика',
    'stats.intro': 'Считается по ходу чатов, по дню начала чата в часовом поясе аккаунта. Цифры последних минут появляются через несколько секунд.',
    'stats.today': 'Сегодня', 'stats.week': '7 дней', 'stats.month': '30 дней', 'stats.custom': 'Период',
    'stats.from': 'С', 'stats.to': 'По', 'stats.show': 'Показать', 'stats.csv': 'Скачать CSV',
    'stats.loading': 'Загрузка…', 'stats.failed': 'Не удалось прочитать статистику.',
    'stats.chats': 'Чаты', 'stats.answered': 'Отвечено', 'stats.missed': 'Пропущено', 'stats.refusals': 'Отказы',
    'stats.offline': 'Офлайн-сообщения', 'stats.busyFirst': 'Заняты: первый ответ', 'stats.busyAnswer': 'Заняты: ответ',
    'stats.frt': 'Первый ответ, с', 'stats.frtAvg': 'Среднее', 'stats.frtMedian': 'Медиана', 'stats.frtP90': 'p90',
    'stats.ratings': 'Оценки', 'stats.excellent': 'Отлично', 'stats.good': 'Хорошо', 'stats.satisfactory': 'Удовлетворительно', 'stats.poor': 'Плохо', 'stats.bad': 'Очень плохо',
    'stats.chartChats': 'Чаты по дням', 'stats.chartFrt': 'Время первого ответа (с)', 'stats.chartBusy': 'Сообщения «заняты»', 'stats.chartRatings': 'Оценки',
    'stats.byOperator': 'По операторам', 'stats.byCategory': 'По категориям', 'stats.name': 'Имя', 'stats.none': 'За этот период ничего нет.',
    'stats.online': 'Онлайн, ч', 'stats.zone': 'Дни по поясу {zone}',
  },
});

let state = null;

const columns = [
  ['stats.chats', (r) => r.chats], ['stats.answered', (r) => r.answered], ['stats.missed', (r) => r.missed], ['stats.refusals', (r) => r.refusals],
  ['stats.offline', (r) => r.offline], ['stats.busyFirst', (r) => r.busyFirstResponse], ['stats.busyAnswer', (r) => r.busyAnswer],
  ['stats.frtMedian', (r) => r.firstResponse.medianSec ?? '—'], ['stats.excellent', (r) => r.ratings.excellent], ['stats.bad', (r) => r.ratings.bad],
  ['stats.online', (r) => (r.onlineSec / 3600).toFixed(1)],
];

const ymd = (d) => d.toISOString().slice(0, 10);

// today is the date in the account's zone.
function today() {
  try { return new Intl.DateTimeFormat('en-CA', { timeZone: state.zone }).format(new Date()); } catch (e) { return ymd(new Date()); }
}

function range(preset) {
  const to = today();
  const days = { today: 0, week: 6, month: 29 }[preset];
  const from = new Date(to + 'T00:00:00Z');
  from.setUTCDate(from.getUTCDate() - days);
  return { from: ymd(from), to };
}

function table(id, title, rows, label) {
  const head = el('tr', {}, el('th', { text: t('stats.name') }), ...columns.map(([k]) => el('th', { text: t(k) })));
  const body = el('tbody', {}, ...rows.map((r) => el('tr', { dataset: { key: r.key } },
    el('td', { 'data-label': t('stats.name'), text: label(r.key) }),
    ...columns.map(([k, f]) => el('td', { 'data-label': t(k), text: String(f(r)) })))));
  return el('section', { class: 'stats-table' }, el('h3', { text: title }),
    rows.length ? el('table', { id, class: 'stack-narrow' }, el('thead', {}, head), body) : el('p', { class: 'hint', id: id + '-none', text: t('stats.none') }));
}

function chart(id, title, rows, series) {
  const box = el('figure', { class: 'stats-chart', id }, el('figcaption', { text: title }));
  state.charts.append(box);
  const xs = rows.map((r) => Date.parse(r.key + 'T00:00:00Z') / 1000);
  const colours = ['#2a7', '#d33', '#e90', '#36c', '#888'];
  const opts = {
    width: Math.min(560, Math.max(320, state.charts.clientWidth / 2 - 24)), height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    series: [{}, ...series.map(([k], i) => ({ label: t(k), stroke: colours[i % colours.length], width: 2, spanGaps: true }))],
    axes: [{}, {}], scales: { x: { time: true } },
  };
  state.plots.push(new uPlot(opts, [xs, ...series.map(([, f]) => rows.map(f))], box));
}

function render() {
  const r = state.report;
  if (!r) return;
  const root = state.root;
  root.querySelector('#stats-zone').textContent = t('stats.zone', { zone: r.day.timezone });
  const tot = r.day.totals;
  const totals = root.querySelector('#stats-totals');
  totals.replaceChildren(...[
    ['chats', 'stats.chats', tot.chats], ['answered', 'stats.answered', tot.answered], ['missed', 'stats.missed', tot.missed],
    ['refusals', 'stats.refusals', tot.refusals], ['offline', 'stats.offline', tot.offline], ['busyFirst', 'stats.busyFirst', tot.busyFirstResponse],
    ['busyAnswer', 'stats.busyAnswer', tot.busyAnswer], ['frtMedian', 'stats.frtMedian', tot.firstResponse.medianSec ?? '—'],
    ['excellent', 'stats.excellent', tot.ratings.excellent],
  ].map(([name, k, v]) => el('div', { class: 'stat', dataset: { stat: name } }, el('span', { class: 'stat-value', text: String(v) }), el('span', { class: 'stat-label', text: t(k) }))));
  state.plots.forEach((p) => p.destroy());
  state.plots = [];
  state.charts.replaceChildren();
  const rows = r.day.rows;
  chart('chart-chats', t('stats.chartChats'), rows, [['stats.answered', (x) => x.answered], ['stats.missed', (x) => x.missed], ['stats.refusals', (x) => x.refusals]]);
  chart('chart-frt', t('stats.chartFrt'), rows, [['stats.frtMedian', (x) => x.firstResponse.medianSec], ['stats.frtP90', (x) => x.firstResponse.p90Sec], ['stats.frtAvg', (x) => x.firstResponse.avgSec]]);
  chart('chart-busy', t('stats.chartBusy'), rows, [['stats.busyFirst', (x) => x.busyFirstResponse], ['stats.busyAnswer', (x) => x.busyAnswer]]);
  chart('chart-ratings', t('stats.chartRatings'), rows, ['excellent', 'good', 'satisfactory', 'poor', 'bad'].map((k) => ['stats.' + k, (x) => x.ratings[k]]));
  const tables = root.querySelector('#stats-tables');
  tables.replaceChildren(table('stats-operators', t('stats.byOperator'), r.operator.rows, (id) => state.people.get(id) || id));
  if (r.category) tables.append(table('stats-categories', t('stats.byCategory'), r.category.rows, (c) => c));
}

async function load(ctx) {
  const status = state.root.querySelector('#stats-status');
  const page = state.root.querySelector('#stats-page');
  page.dataset.state = 'loading';
  status.classList.remove('error');
  status.textContent = t('stats.loading');
  const n = ++state.ask;
  const q = (groupBy) => '/v1/stats?' + new URLSearchParams({ from: state.from, to: state.to, groupBy });
  const asks = [ctx.api('GET', q('day')), ctx.api('GET', q('operator'))];
  if (ctx.role() !== 'operator') asks.push(ctx.api('GET', q('category')));
  const [day, operator, category] = await Promise.all(asks);
  if (day.signedOut || n !== state.ask) return;
  const bad = [day, operator, category].find((x) => x && x.status !== 200);
  if (bad) {
    status.textContent = ctx.errorOf(bad, t('stats.failed'));
    status.classList.add('error');
    page.dataset.state = 'error';
    return;
  }
  state.report = { day: day.data, operator: operator.data, category: category && category.data };
  status.textContent = '';
  render();
  page.dataset.state = 'loaded';
}

// csv asks the API for the report as CSV and saves it. The console's API
// helper reads non-JSON answers into data.error.message, so that is where
// the CSV text is.
async function csv(ctx) {
  const r = await ctx.api('GET', '/v1/stats?' + new URLSearchParams({ from: state.from, to: state.to, groupBy: 'day' }), undefined, { accept: 'text/csv' });
  if (r.signedOut || r.status !== 200) return;
  const text = (r.data && r.data.error && r.data.error.message) || '';
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: `parley-stats-${state.from}-${state.to}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

function pick(ctx, preset) {
  state.preset = preset;
  state.root.querySelectorAll('#stats-presets button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.preset === preset)));
  const form = state.root.querySelector('#stats-custom');
  form.hidden = preset !== 'custom';
  if (preset === 'custom') return;
  Object.assign(state, range(preset));
  form.elements.from.value = state.from;
  form.elements.to.value = state.to;
  load(ctx);
}

async function mount(root, ctx) {
  if (!root.firstChild) {
    const presets = el('div', { id: 'stats-presets', class: 'presets', role: 'group' },
      ...['today', 'week', 'month', 'custom'].map((p) => el('button', { type: 'button', dataset: { preset: p }, 'data-i18n': 'stats.' + p, text: t('stats.' + p), onclick: () => pick(ctx, p) })));
    const form = el('form', { id: 'stats-custom', hidden: true },
      el('label', {}, el('span', { 'data-i18n': 'stats.from', text: t('stats.from') }), el('input', { type: 'date', name: 'from', required: true })),
      el('p', { class: 'field-error', dataset: { field: 'from' } }),
      el('label', {}, el('span', { 'data-i18n': 'stats.to', text: t('stats.to') }), el('input', { type: 'date', name: 'to', required: true })),
      el('p', { class: 'field-error', dataset: { field: 'to' } }),
      el('button', { type: 'submit', 'data-i18n': 'stats.show', text: t('stats.show') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      state.from = form.elements.from.value;
      state.to = form.elements.to.value;
      const r = await ctx.api('GET', '/v1/stats?' + new URLSearchParams({ from: state.from, to: state.to }));
      ctx.showErrors(form, ctx.fieldsOf(r));
      if (r.status === 200) load(ctx);
    });
    root.append(
      el('h2', { 'data-i18n': 'stats.title', text: t('stats.title') }),
      el('p', { class: 'hint', 'data-i18n': 'stats.intro', text: t('stats.intro') }),
      presets, form,
      el('button', { type: 'button', id: 'stats-csv', 'data-i18n': 'stats.csv', text: t('stats.csv'), onclick: () => csv(ctx) }),
      el('p', { class: 'hint', id: 'stats-zone' }),
      el('p', { class: 'status', id: 'stats-status', role: 'status' }),
      el('div', { id: 'stats-page' }, el('div', { id: 'stats-totals', class: 'stats-totals' }), el('div', { id: 'stats-charts', class: 'stats-charts' }), el('div', { id: 'stats-tables' })));
  }
  state = { root, charts: root.querySelector('#stats-charts'), plots: [], people: new Map(), zone: 'UTC', ask: 0, report: null };
  const [p, c] = await Promise.all([ctx.api('GET', '/v1/people'), ctx.api('GET', '/v1/settings/company')]);
  if (p.signedOut || c.signedOut) return null;
  if (p.status === 200) state.people = new Map(p.data.items.map((x) => [x.id, x.name || x.email]));
  if (c.status === 200 && c.data.timezone) state.zone = c.data.timezone;
  pick(ctx, 'week');
  return { translated: render, reset() { state?.plots.forEach((x) => x.destroy()); state = null; } };
}

registerView('stats', mount);

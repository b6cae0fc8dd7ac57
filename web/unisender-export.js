// The Unisender contact export (SPEC §2.8), on the integration settings
// page under the Unisender fields: "Export contacts" starts it
// (POST /v1/integrations/unisender/export), a progress bar follows it
// (GET, every second while it runs) and "Cancel" stops it (DELETE). The
// export runs on the server, a batch at a time: leaving the page does not
// stop it, and coming back shows where it is.
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';
import { addGroupExtra } from './settings.js';

addStrings({
  en: {
    'uexp.title': 'Export contacts',
    'uexp.help': 'Copies every contact in the history (identified visitors with an e-mail or phone) into the list above, in batches of up to 500. Save the API key and list name first.',
    'uexp.start': 'Export contacts',
    'uexp.cancel': 'Cancel export',
    'uexp.progress': '{done} of {total} contacts',
    'uexp.st.running': 'Exporting…',
    'uexp.st.done': 'Export finished.',
    'uexp.st.canceled': 'Export cancelled.',
    'uexp.st.failed': 'Export failed: {error}',
    'uexp.failed': 'Could not start the export.',
  },
  ru: {
    'uexp.title': 'Экспорт контактов',
    'uexp.help': 'Копирует все контакты из истории (опознанных посетителей с адресом или телефоном) в список выше, партиями до 500. Сначала сохраните API-ключ и название списка.',
    'uexp.start': 'Экспортировать контакты',
    'uexp.cancel': 'Остановить экспорт',
    'uexp.progress': '{done} из {total} контактов',
    'uexp.st.running': 'Идёт экспорт…',
    'uexp.st.done': 'Экспорт завершён.',
    'uexp.st.canceled': 'Экспорт остановлен.',
    'uexp.st.failed': 'Экспорт не удался: {error}',
    'uexp.failed': 'Не удалось начать экспорт.',
  },
});

const path = '/v1/integrations/unisender/export';

addGroupExtra('unisender', (ctx) => {
  const bar = el('progress', { class: 'export-progress', max: 100, value: 0, hidden: true });
  const text = el('p', { class: 'export-status', role: 'status' });
  const error = el('p', { class: 'field-error', role: 'alert' });
  const start = el('button', { type: 'button', class: 'export-start', text: t('uexp.start') });
  const cancel = el('button', { type: 'button', class: 'export-cancel', text: t('uexp.cancel'), hidden: true });
  const box = el('div', { class: 'unisender-export' }, el('h4', { text: t('uexp.title') }), el('p', { class: 'help', text: t('uexp.help') }),
    el('div', { class: 'with-button' }, start, cancel), bar, text, error);
  let timer = null;

  function show(x) {
    bar.hidden = false;
    bar.max = Math.max(x.total, 1);
    bar.value = x.status === 'done' ? bar.max : Math.min(x.done, bar.max);
    bar.dataset.done = String(x.done);
    bar.dataset.status = x.status;
    const line = t('uexp.progress', { done: x.done, total: x.total });
    text.textContent = (x.status === 'failed' ? t('uexp.st.failed', { error: x.error || '' }) : t('uexp.st.' + x.status)) + ' ' + line;
    const running = x.status === 'running';
    cancel.hidden = !running;
    start.hidden = running;
    clearTimeout(timer);
    if (running && box.isConnected) timer = setTimeout(poll, 1000);
  }
  async function poll() {
    const r = await ctx.send('GET', path);
    if (r.status === 200) show(r.data);
  }
  start.addEventListener('click', async () => {
    error.textContent = '';
    const r = await ctx.send('POST', path);
    if (r.signedOut) return;
    if (r.status !== 202) { error.textContent = ctx.errorOf(r, t('uexp.failed')); return; }
    show(r.data);
  });
  cancel.addEventListener('click', async () => {
    const r = await ctx.send('DELETE', path);
    if (r.status === 200) show(r.data);
    else poll();
  });
  // Where an export already is, once the page is in the document.
  setTimeout(poll, 0);
  return box;
});

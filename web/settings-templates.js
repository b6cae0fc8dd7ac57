// The templates editor (SPEC §2.4): the canned answers of one level
// (global here; a department's with departmentId) in one language at a
// time, grouped by section. Each template is created, changed and deleted
// on its own through /v1/templates; a change carries the version it was
// read at, so another person's change in between is refused (412) and
// offered for reloading, with what was typed kept in the form.
import { el } from './dom.js';
import { t, language } from './i18n.js';

const languages = ['ru', 'en'];

export function createTemplates({ root, api, errorOf, level, departmentId, editable }) {
  let lang = languages.includes(language()) ? language() : languages[0];
  let items = [];
  let editing = null; // the id being edited, or 'new' for the add form with text in it
  const langSelect = el('select', { id: 'templates-language', onchange: () => { if (!leave()) { langSelect.value = lang; return; } lang = langSelect.value; load(); } },
    ...languages.map((l) => el('option', { value: l, text: t('lang.' + l) })));
  const list = el('div', { class: 'tpl-list' });
  const status = el('p', { class: 'status', role: 'status', id: 'templates-status' });
  const addForm = form(null);
  root.append(
    el('label', { for: 'templates-language' }, el('span', { text: t('settings.templatesLanguage') })), langSelect,
    el('p', { class: 'help', text: t('settings.templatesLanguageHelp') }),
    list, editable ? el('h4', { text: t('settings.templateAdd') }) : null, editable ? addForm.el : null, status);

  function say(text, isError) { status.textContent = text; status.classList.toggle('error', !!isError); }

  // form is the editor of one template (tpl) or of a new one (null).
  function form(tpl) {
    const id = tpl ? tpl.id : 'new';
    const input = (name, props) => el(name === 'text' ? 'textarea' : 'input', Object.assign({ id: 'tpl-' + id + '-' + name, name }, props));
    const f = el('form', { class: 'template-form', novalidate: true, dataset: { template: id } });
    const fields = {
      title: input('title', { type: 'text', maxlength: 200 }),
      text: input('text', { rows: 3 }),
      section: input('section', { type: 'text', maxlength: 100 }),
    };
    for (const [k, i] of Object.entries(fields)) {
      i.value = (tpl && tpl[k]) || '';
      f.append(el('label', { for: i.id }, el('span', { text: t('settings.template.' + k) })), i,
        el('p', { class: 'field-error', dataset: { field: k } }));
    }
    const conflict = el('div', { class: 'conflict', role: 'alert', hidden: true }, el('p', { text: t('settings.templateConflict') }),
      el('button', { type: 'button', class: 'reload', text: t('settings.reload'), onclick: () => reloadOne(tpl.id, f) }));
    f.append(conflict, el('button', { type: 'submit', text: tpl ? t('settings.save') : t('settings.templateAddSubmit') }),
      tpl ? el('button', { type: 'button', class: 'cancel', text: t('settings.cancel'), onclick: () => { editing = null; render(); } }) : null);
    f.addEventListener('input', () => { if (!tpl) editing = values(f).text || values(f).title ? 'new' : null; });
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = Object.assign({ level, language: lang }, departmentId ? { departmentId } : {}, values(f));
      const r = tpl
        ? await api('PUT', '/v1/templates/' + encodeURIComponent(tpl.id), body, { 'if-match': '"v' + (f.dataset.version || tpl.version) + '"' })
        : await api('POST', '/v1/templates', body);
      if (r.signedOut) return;
      const errs = (r.data && r.data.error && r.data.error.fields) || {};
      f.querySelectorAll('.field-error').forEach((p) => { p.textContent = errs[p.dataset.field] || ''; });
      if (r.status === 412) { conflict.hidden = false; say(t('settings.notSaved'), true); return; }
      if (r.status !== 200 && r.status !== 201) { say(t('settings.notSaved') + ' ' + errorOf(r, ''), true); return; }
      editing = null;
      if (!tpl) f.reset();
      say(tpl ? t('settings.saved') : t('settings.templateAdded'));
      await load(true);
    });
    return { el: f };
  }

  function values(f) {
    return { title: f.elements.title.value, text: f.elements.text.value, section: f.elements.section.value };
  }

  // reloadOne takes the template as stored now and its version, keeping
  // the form's text, so a second save is a decision, not an accident.
  async function reloadOne(id, f) {
    const r = await api('GET', '/v1/templates/' + encodeURIComponent(id));
    if (r.signedOut) return;
    if (r.status !== 200) { say(errorOf(r, t('settings.loadFailed')), true); return; }
    f.dataset.version = r.data.version;
    const i = items.findIndex((x) => x.id === id);
    if (i >= 0) items[i] = r.data;
    f.querySelector('.conflict').hidden = true;
    say(t('settings.templateReloaded', { text: r.data.text }));
  }

  async function remove(tpl) {
    if (!window.confirm(t('settings.templateDeleteConfirm', { text: tpl.title || tpl.text }))) return;
    const r = await api('DELETE', '/v1/templates/' + encodeURIComponent(tpl.id));
    if (r.signedOut) return;
    if (r.status !== 204) { say(errorOf(r, t('settings.notSaved')), true); return; }
    say(t('settings.templateDeleted'));
    await load(true);
  }

  function render() {
    const sections = new Map();
    for (const x of items) {
      const s = x.section || '';
      if (!sections.has(s)) sections.set(s, []);
      sections.get(s).push(x);
    }
    const keys = Array.from(sections.keys()).sort((a, b) => (a === '') - (b === '') || a.localeCompare(b));
    list.replaceChildren(...(items.length ? keys.map((s) => el('section', { class: 'template-section', dataset: { section: s } },
      el('h4', { text: s || t('settings.templateNoSection') }),
      el('ul', null, ...sections.get(s).map((x) => el('li', { class: 'template', dataset: { id: x.id } },
        editing === x.id ? form(x).el : el('div', { class: 'template-row' },
          x.title ? el('strong', { text: x.title }) : null, el('span', { class: 'text', text: x.text }),
          editable ? el('button', { type: 'button', class: 'edit', text: t('settings.edit'), onclick: () => { editing = x.id; render(); } }) : null,
          editable ? el('button', { type: 'button', class: 'delete', text: t('settings.delete'), onclick: () => remove(x) }) : null))))))
      : [el('p', { class: 'hint', text: t('settings.templatesNone') })]));
  }

  async function load(keepStatus) {
    if (!keepStatus) say('');
    const q = new URLSearchParams({ level, language: lang });
    if (departmentId) q.set('departmentId', departmentId);
    const r = await api('GET', '/v1/templates?' + q);
    if (r.signedOut) return;
    if (r.status !== 200) { say(errorOf(r, t('settings.loadFailed')), true); return; }
    items = r.data.items.filter((x) => x.level === level && (!departmentId || x.departmentId === departmentId));
    render();
    root.dataset.loaded = 'true';
  }

  function leave() { return !editing || window.confirm(t('settings.unsaved')); }

  return { show: () => load(), dirty: () => !!editing };
}

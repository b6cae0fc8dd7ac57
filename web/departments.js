// The departments page (#/departments, one department at
// #/departments/<id>): administrators create, rename and delete departments
// (/v1/departments); administrators and supervisors put people in and take
// them out (PUT and DELETE .../members/{personId}; a supervisor not an
// administrator) and write the department's answer templates
// (/v1/templates at level department). Operators read. Every refusal of the
// API is shown, beside its field where it names one.
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'nav.departments': 'Departments',
    'dep.title': 'Departments',
    'dep.intro': 'Visitors may choose a department before a chat; its members answer it. Department templates are offered to its members only.',
    'dep.none': 'No departments yet.',
    'dep.members': 'Members: {n}',
    'dep.loadFailed': 'Could not read the departments.',
    'dep.newName': 'New department',
    'dep.create': 'Create the department',
    'dep.created': 'Department “{name}” created.',
    'dep.notCreated': 'The department was not created.',
    'dep.name': 'Name',
    'dep.rename': 'Rename',
    'dep.renamed': 'Renamed to “{name}”.',
    'dep.notRenamed': 'Not renamed.',
    'dep.delete': 'Delete the department',
    'dep.deleteConfirm': 'Delete the department “{name}”? Its members stay in the account; its templates are deleted.',
    'dep.deleted': 'Department “{name}” deleted.',
    'dep.notDeleted': 'Not deleted.',
    'dep.back': 'All departments',
    'dep.notFound': 'No such department.',
    'dep.membersTitle': 'Members',
    'dep.membersHint': 'Tick whoever answers this department\'s chats.',
    'dep.memberOf': '{name} is in {department}',
    'dep.added': '{name} is now in the department.',
    'dep.removed': '{name} is no longer in the department.',
    'dep.notChanged': '{name}: not changed: {message}',
    'dep.templates': 'Department templates',
    'dep.templatesNone': 'No templates in this department yet.',
    'dep.tplLanguage': 'Language',
    'dep.tplSection': 'Section',
    'dep.tplTitle': 'Title',
    'dep.tplText': 'Text',
    'dep.tplAdd': 'Add the template',
    'dep.tplSave': 'Save the template',
    'dep.tplCancel': 'Cancel',
    'dep.tplEdit': 'Edit',
    'dep.tplDelete': 'Delete',
    'dep.tplDeleteConfirm': 'Delete the template “{title}”?',
    'dep.tplSaved': 'Template “{title}” saved.',
    'dep.tplDeleted': 'Template “{title}” deleted.',
    'dep.tplNotSaved': 'Not saved: see the messages beside the fields.',
    'dep.tplStale': 'Someone changed this template since you opened it. Load their version to compare; what you typed stays in the form, and saving then replaces theirs.',
    'dep.tplReload': 'Load their version',
    'dep.tplFailed': 'Not saved.',
  },
  ru: {
    'nav.departments': 'Отделы',
    'dep.title': 'Отделы',
    'dep.intro': 'Посетитель может выбрать отдел перед чатом; отвечают сотрудники отдела. Шаблоны отдела предлагаются только его сотрудникам.',
    'dep.none': 'Отделов пока нет.',
    'dep.members': 'сотрудников: {n}',
    'dep.loadFailed': 'Не удалось прочитать отделы.',
    'dep.newName': 'Новый отдел',
    'dep.create': 'Создать отдел',
    'dep.created': 'Отдел «{name}» создан.',
    'dep.notCreated': 'Отдел не создан.',
    'dep.name': 'Название',
    'dep.rename': 'Переименовать',
    'dep.renamed': 'Переименован в «{name}».',
    'dep.notRenamed': 'Не переименован.',
    'dep.delete': 'Удалить отдел',
    'dep.deleteConfirm': 'Удалить отдел «{name}»? Сотрудники останутся в аккаунте, шаблоны отдела будут удалены.',
    'dep.deleted': 'Отдел «{name}» удалён.',
    'dep.notDeleted': 'Не удалён.',
    'dep.back': 'Все отделы',
    'dep.notFound': 'Такого отдела нет.',
    'dep.membersTitle': 'Сотрудники отдела',
    'dep.membersHint': 'Отметьте тех, кто отвечает на чаты этого отдела.',
    'dep.memberOf': '{name} в отделе {department}',
    'dep.added': '{name} теперь в отделе.',
    'dep.removed': '{name} больше не в отделе.',
    'dep.notChanged': '{name}: не изменено: {message}',
    'dep.templates': 'Шаблоны отдела',
    'dep.templatesNone': 'В этом отделе пока нет шаблонов.',
    'dep.tplLanguage': 'Язык',
    'dep.tplSection': 'Раздел',
    'dep.tplTitle': 'Заголовок',
    'dep.tplText': 'Текст',
    'dep.tplAdd': 'Добавить шаблон',
    'dep.tplSave': 'Сохранить шаблон',
    'dep.tplCancel': 'Отмена',
    'dep.tplEdit': 'Изменить',
    'dep.tplDelete': 'Удалить',
    'dep.tplDeleteConfirm': 'Удалить шаблон «{title}»?',
    'dep.tplSaved': 'Шаблон «{title}» сохранён.',
    'dep.tplDeleted': 'Шаблон «{title}» удалён.',
    'dep.tplNotSaved': 'Не сохранено: см. сообщения у полей.',
    'dep.tplStale': 'Кто-то изменил этот шаблон, пока он был открыт у вас. Загрузите их версию для сравнения; набранное вами останется в форме, и сохранение заменит их версию.',
    'dep.tplReload': 'Загрузить их версию',
    'dep.tplFailed': 'Не сохранено.',
  },
});

const manager = (ctx) => ['administrator', 'supervisor'].includes(ctx.role());

function say(p, text, isError) {
  p.textContent = text;
  p.classList.toggle('error', !!isError);
}

function labelled(key, input) {
  return el('label', {}, el('span', { 'data-i18n': key, text: t(key) }), ' ', input);
}

function fieldError(name) { return el('p', { class: 'field-error', 'data-field': name }); }

// The page's state while it is shown.
let state = null;

function build(root, ctx) {
  const status = el('p', { class: 'status', id: 'departments-status', role: 'status' });
  const list = el('ul', { id: 'departments-list', class: 'departments' });
  const create = el('form', { id: 'department-create', class: 'admin-only', novalidate: true },
    labelled('dep.newName', el('input', { name: 'name', maxlength: '100', autocomplete: 'off' })),
    fieldError('name'),
    el('button', { type: 'submit', 'data-i18n': 'dep.create', text: t('dep.create') }));
  const detail = el('article', { id: 'department-detail', hidden: true });
  root.append(
    el('h2', { 'data-i18n': 'dep.title', text: t('dep.title') }),
    el('p', { class: 'hint', 'data-i18n': 'dep.intro', text: t('dep.intro') }),
    status, list, create, detail);

  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = create.elements.name.value;
    const r = await ctx.api('POST', '/v1/departments', { name });
    if (r.signedOut) return;
    ctx.showErrors(create, ctx.fieldsOf(r));
    if (r.status === 201) {
      create.reset();
      say(status, t('dep.created', { name: r.data.name }));
      state.departments.push(r.data);
      renderList(ctx);
      return;
    }
    say(status, ctx.errorOf(r, t('dep.notCreated')), true);
  });
}

function membersOf(id) { return state.people.filter((p) => (p.departments || []).includes(id)); }

function renderList(ctx) {
  const root = state.root;
  const list = root.querySelector('#departments-list');
  list.replaceChildren();
  for (const d of state.departments) {
    list.append(el('li', { dataset: { department: d.id }, 'aria-current': String(state.open === d.id) },
      el('a', { href: ctx.href('departments/' + encodeURIComponent(d.id)), text: d.name }), ' ',
      el('span', { class: 'hint', text: t('dep.members', { n: membersOf(d.id).length }) })));
  }
  if (!state.departments.length) list.append(el('li', { class: 'empty', text: t('dep.none') }));
  list.dataset.state = 'loaded';
}

// renderDetail shows one department: its name (renamed and deleted by
// administrators), its members and its templates.
function renderDetail(ctx) {
  const detail = state.root.querySelector('#department-detail');
  const d = state.departments.find((x) => x.id === state.open);
  detail.hidden = !state.open;
  detail.replaceChildren();
  delete detail.dataset.state;
  if (!state.open) return;
  if (!d) { detail.append(el('p', { class: 'error', text: t('dep.notFound') })); return; }
  const status = el('p', { class: 'status', id: 'department-status', role: 'status' });
  detail.append(el('h3', { id: 'department-name', text: d.name }), status);

  if (ctx.isAdmin()) {
    const rename = el('form', { id: 'department-rename', class: 'inline-form', novalidate: true },
      labelled('dep.name', el('input', { name: 'name', maxlength: '100', value: d.name, autocomplete: 'off' })),
      el('button', { type: 'submit', 'data-i18n': 'dep.rename', text: t('dep.rename') }),
      fieldError('name'));
    rename.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await ctx.api('PATCH', '/v1/departments/' + encodeURIComponent(d.id), { name: rename.elements.name.value });
      if (r.signedOut) return;
      ctx.showErrors(rename, ctx.fieldsOf(r));
      if (r.status === 200) {
        d.name = r.data.name;
        renderList(ctx);
        renderDetail(ctx); // the members' labels name the department
        say(detail.querySelector('#department-status'), t('dep.renamed', { name: d.name }));
        return;
      }
      say(status, ctx.errorOf(r, t('dep.notRenamed')), true);
    });
    const remove = el('button', { type: 'button', id: 'department-delete', class: 'danger', 'data-i18n': 'dep.delete', text: t('dep.delete') });
    remove.addEventListener('click', async () => {
      if (!window.confirm(t('dep.deleteConfirm', { name: d.name }))) return;
      const r = await ctx.api('DELETE', '/v1/departments/' + encodeURIComponent(d.id));
      if (r.signedOut) return;
      if (r.status === 204) {
        state.departments = state.departments.filter((x) => x.id !== d.id);
        for (const p of state.people) p.departments = (p.departments || []).filter((x) => x !== d.id);
        say(state.root.querySelector('#departments-status'), t('dep.deleted', { name: d.name }));
        ctx.navigate('departments');
        return;
      }
      say(status, ctx.errorOf(r, t('dep.notDeleted')), true);
    });
    detail.append(rename, remove);
  }

  // Members: one box per person. A supervisor cannot move an
  // administrator (the API refuses it), so those boxes are read-only.
  const members = el('fieldset', { id: 'department-members', class: 'choices' },
    el('legend', { 'data-i18n': 'dep.membersTitle', text: t('dep.membersTitle') }),
    el('p', { class: 'hint', 'data-i18n': 'dep.membersHint', text: t('dep.membersHint') }));
  for (const p of state.people) {
    const box = el('input', { type: 'checkbox', name: 'member', value: p.id, 'aria-label': t('dep.memberOf', { name: p.name || p.email, department: d.name }) });
    box.checked = (p.departments || []).includes(d.id);
    box.disabled = !manager(ctx) || (!ctx.isAdmin() && p.role === 'administrator');
    box.addEventListener('change', async () => {
      box.disabled = true;
      const path = '/v1/departments/' + encodeURIComponent(d.id) + '/members/' + encodeURIComponent(p.id);
      const r = await ctx.api(box.checked ? 'PUT' : 'DELETE', path);
      box.disabled = false;
      if (r.signedOut) return;
      const who = p.name || p.email;
      if (r.status === 200) {
        p.departments = r.data.departments || [];
        box.checked = p.departments.includes(d.id);
        say(status, t(box.checked ? 'dep.added' : 'dep.removed', { name: who }));
        renderList(ctx);
        return;
      }
      box.checked = !box.checked;
      say(status, t('dep.notChanged', { name: who, message: ctx.errorOf(r, 'HTTP ' + r.status) }), true);
    });
    members.append(el('label', { class: 'check', dataset: { person: p.id } }, box, ' ', el('span', { text: (p.name || p.email) + (p.name && p.name !== p.email ? ' · ' + p.email : '') })));
  }
  detail.append(members);
  detail.append(el('h4', { 'data-i18n': 'dep.templates', text: t('dep.templates') }), el('ul', { id: 'department-templates', class: 'templates-list' }));
  if (manager(ctx)) detail.append(templateForm(ctx, d, status));
  loadTemplates(ctx, d);
}

async function loadTemplates(ctx, d) {
  const ul = state.root.querySelector('#department-templates');
  const q = new URLSearchParams({ level: 'department', departmentId: d.id });
  const r = await ctx.api('GET', '/v1/templates?' + q);
  if (r.signedOut || state.open !== d.id) return;
  ul.replaceChildren();
  if (r.status !== 200) { ul.append(el('li', { class: 'error', text: ctx.errorOf(r, 'HTTP ' + r.status) })); return; }
  state.templates = r.data.items;
  for (const tpl of state.templates) {
    const li = el('li', { dataset: { template: tpl.id } },
      el('div', {}, el('span', { class: 'badge lang', text: tpl.language }), ' ',
        tpl.section ? el('span', { class: 'hint', text: tpl.section + ' · ' }) : null,
        el('strong', { text: tpl.title })),
      el('p', { class: 'text', text: tpl.text }));
    if (manager(ctx)) {
      li.append(
        el('button', { type: 'button', 'aria-label': t('dep.tplEdit') + ': ' + tpl.title, text: t('dep.tplEdit'), onclick: () => editTemplate(tpl) }), ' ',
        el('button', { type: 'button', 'aria-label': t('dep.tplDelete') + ': ' + tpl.title, text: t('dep.tplDelete'), onclick: () => deleteTemplate(ctx, d, tpl) }));
    }
    ul.append(li);
  }
  if (!state.templates.length) ul.append(el('li', { class: 'empty', text: t('dep.templatesNone') }));
  state.root.querySelector('#department-detail').dataset.state = 'loaded';
}

function templateForm(ctx, d, status) {
  const lang = el('select', { name: 'language' }, el('option', { value: 'ru', text: 'Русский' }), el('option', { value: 'en', text: 'English' }));
  const submit = el('button', { type: 'submit', 'data-i18n': 'dep.tplAdd', text: t('dep.tplAdd') });
  const cancel = el('button', { type: 'button', hidden: true, 'data-i18n': 'dep.tplCancel', text: t('dep.tplCancel') });
  const form = el('form', { id: 'department-template-form', novalidate: true },
    labelled('dep.tplLanguage', lang), fieldError('language'),
    labelled('dep.tplSection', el('input', { name: 'section', maxlength: '100', autocomplete: 'off' })), fieldError('section'),
    labelled('dep.tplTitle', el('input', { name: 'title', maxlength: '200', autocomplete: 'off' })), fieldError('title'),
    labelled('dep.tplText', el('textarea', { name: 'text', rows: '4' })), fieldError('text'),
    submit, ' ', cancel);
  lang.value = ctx.user().interfaceLanguage === 'en' ? 'en' : 'ru';
  const stop = () => { form.reset(); delete form.dataset.editing; state.editing = null; submit.textContent = t('dep.tplAdd'); cancel.hidden = true; ctx.showErrors(form, {}); };
  cancel.addEventListener('click', stop);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = { level: 'department', departmentId: d.id, language: f.language.value, section: f.section.value, title: f.title.value, text: f.text.value };
    const editing = state.editing;
    const r = editing
      ? await ctx.api('PUT', '/v1/templates/' + encodeURIComponent(editing.id), body, { 'if-match': editing.etag })
      : await ctx.api('POST', '/v1/templates', body);
    if (r.signedOut) return;
    const fields = ctx.fieldsOf(r);
    ctx.showErrors(form, fields);
    if (r.status === 200 || r.status === 201) {
      say(status, t('dep.tplSaved', { title: r.data.title }));
      stop();
      loadTemplates(ctx, d);
      return;
    }
    if (r.status === 412) {
      say(status, t('dep.tplStale'), true);
      // Their version goes into the list and becomes the base of the next
      // save; the form keeps what was typed.
      status.append(' ', el('button', { type: 'button', id: 'template-reload', text: t('dep.tplReload'), onclick: async () => {
        const g = await ctx.api('GET', '/v1/templates/' + encodeURIComponent(editing.id));
        if (g.signedOut) return;
        if (g.status === 200 && state.editing === editing) editing.etag = g.etag || '"v' + g.data.version + '"';
        say(status, '');
        loadTemplates(ctx, d);
      } }));
      return;
    }
    say(status, Object.keys(fields).length ? t('dep.tplNotSaved') : ctx.errorOf(r, t('dep.tplFailed')), true);
  });
  return form;
}

function editTemplate(tpl) {
  const form = state.root.querySelector('#department-template-form');
  if (!form) return;
  const f = form.elements;
  f.language.value = tpl.language;
  f.section.value = tpl.section || '';
  f.title.value = tpl.title;
  f.text.value = tpl.text;
  state.editing = { id: tpl.id, etag: '"v' + tpl.version + '"' };
  form.dataset.editing = tpl.id;
  form.querySelector('button[type="submit"]').textContent = t('dep.tplSave');
  form.querySelector('button[type="button"]').hidden = false;
  f.title.focus();
}

async function deleteTemplate(ctx, d, tpl) {
  if (!window.confirm(t('dep.tplDeleteConfirm', { title: tpl.title }))) return;
  const r = await ctx.api('DELETE', '/v1/templates/' + encodeURIComponent(tpl.id));
  if (r.signedOut) return;
  const status = state.root.querySelector('#department-status');
  if (r.status === 204) { say(status, t('dep.tplDeleted', { title: tpl.title })); loadTemplates(ctx, d); return; }
  say(status, ctx.errorOf(r, 'HTTP ' + r.status), true);
}

async function mount(root, ctx) {
  if (!root.firstChild) build(root, ctx);
  const open = ctx.params[0] || '';
  const fresh = !state || state.root !== root;
  if (fresh) state = { root, departments: [], people: [], open: '', templates: [], editing: null };
  state.open = open;
  const status = root.querySelector('#departments-status');
  const [d, p] = await Promise.all([ctx.api('GET', '/v1/departments'), ctx.api('GET', '/v1/people')]);
  if (d.signedOut || p.signedOut) return null;
  if (d.status !== 200) { say(status, ctx.errorOf(d, t('dep.loadFailed')), true); return null; }
  if (state.open !== open) return null; // another department was opened meanwhile
  state.departments = d.data.items;
  state.people = p.status === 200 ? p.data.items : [];
  renderList(ctx);
  renderDetail(ctx);
  return {
    translated() { renderList(ctx); renderDetail(ctx); },
    reset() { state = null; },
  };
}

registerView('departments', mount);

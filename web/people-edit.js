// The People page's editor of another person: the languages they answer
// chats in, their departments and their personal chat limit
// (PATCH /v1/people/{id}). Administrators edit anyone; supervisors edit
// operators, supervisors and themselves, never an administrator (the rule
// of account.CanEdit); operators edit nobody here (their own profile is
// My profile). The role stays in the table's own menu, administrators'.
import { el } from './dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  en: {
    'people.edit': 'Edit…',
    'people.editLabel': 'Edit {email}',
    'people.editTitle': '{name}: languages, departments, chat limit',
    'people.languages': 'Answers chats in',
    'people.departments': 'Departments',
    'people.noDepartments': 'The account has no departments.',
    'people.chatLimit': 'Personal chat limit',
    'people.chatLimitHint': 'How many chats at once; empty uses the account\'s limit ({n}).',
    'people.save': 'Save',
    'people.cancel': 'Cancel',
    'people.saved': '{email}: saved.',
    'people.seeFields': 'Not saved: see the messages beside the fields.',
    'people.notSaved': 'Not saved.',
  },
  ru: {
    'people.edit': 'Изменить…',
    'people.editLabel': 'Изменить {email}',
    'people.editTitle': '{name}: языки, отделы, лимит чатов',
    'people.languages': 'Отвечает на языках',
    'people.departments': 'Отделы',
    'people.noDepartments': 'В аккаунте нет отделов.',
    'people.chatLimit': 'Личный лимит чатов',
    'people.chatLimitHint': 'Сколько чатов одновременно; пусто — лимит аккаунта ({n}).',
    'people.save': 'Сохранить',
    'people.cancel': 'Отмена',
    'people.saved': '{email}: сохранено.',
    'people.seeFields': 'Не сохранено: см. сообщения у полей.',
    'people.notSaved': 'Не сохранено.',
  },
});

// mayEdit says whether the signed-in person (role, id) may edit target's
// languages, departments and limit.
export function mayEdit(role, myId, target) {
  if (role === 'administrator') return true;
  if (role === 'supervisor') return target.role !== 'administrator' || target.id === myId;
  return false;
}

// personEditor is the form for person p; departments are the account's,
// accountLimit features.maxChatsPerOperator. onSaved gets the person as
// the API now has it; onClose closes the form.
export function personEditor({ api, errorOf, showErrors, fieldsOf }, p, departments, accountLimit, onSaved, onClose) {
  const box = (name, value, label, checked) => el('label', { class: 'check' },
    Object.assign(el('input', { type: 'checkbox', name, value }), { checked }), ' ', el('span', { text: label }));
  const status = el('p', { class: 'status', role: 'status' });
  const limit = el('input', { name: 'chatLimit', type: 'number', min: '1', max: '1000', step: '1', value: p.chatLimit == null ? '' : String(p.chatLimit) });
  const form = el('form', { class: 'person-editor', novalidate: true, dataset: { person: p.id } },
    el('h4', { text: t('people.editTitle', { name: p.name || p.email }) }),
    el('fieldset', { class: 'choices' }, el('legend', { text: t('people.languages') }),
      box('languages', 'ru', 'Русский', (p.languages || []).includes('ru')),
      box('languages', 'en', 'English', (p.languages || []).includes('en'))),
    el('p', { class: 'field-error', 'data-field': 'languages' }),
    el('fieldset', { class: 'choices' }, el('legend', { text: t('people.departments') }),
      ...departments.map((d) => box('departments', d.id, d.name, (p.departments || []).includes(d.id))),
      departments.length ? null : el('p', { class: 'hint', text: t('people.noDepartments') })),
    el('p', { class: 'field-error', 'data-field': 'departments' }),
    el('label', {}, el('span', { text: t('people.chatLimit') }), ' ', limit),
    el('p', { class: 'hint', text: t('people.chatLimitHint', { n: accountLimit == null ? '—' : accountLimit }) }),
    el('p', { class: 'field-error', 'data-field': 'chatLimit' }),
    el('button', { type: 'submit', text: t('people.save') }), ' ',
    el('button', { type: 'button', class: 'cancel', text: t('people.cancel'), onclick: onClose }),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const checked = (name) => Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (b) => b.value);
    const raw = limit.value.trim();
    // A number the API judges (a fraction, 0, 5000 are refused beside the
    // field); empty is null, the account's limit.
    const body = { languages: checked('languages'), departments: checked('departments'), chatLimit: raw === '' ? null : Number(raw) };
    status.textContent = '';
    const r = await api('PATCH', '/v1/people/' + encodeURIComponent(p.id), body);
    if (r.signedOut) return;
    const fields = fieldsOf(r);
    showErrors(form, fields);
    if (r.status === 200) { onSaved(r.data); return; }
    const beside = Object.keys(fields).some((k) => form.querySelector(`.field-error[data-field="${k}"]`));
    status.textContent = beside ? t('people.seeFields') : errorOf(r, t('people.notSaved'));
    status.classList.add('error');
  });
  return form;
}

// The sign-up page (#/signup): a company and its first administrator, by
// POST /v1/accounts. The company name typed here is the account's and the
// settings' company name; the address becomes the first administrator's
// and the start of every notification list. The API's message for each
// field is shown beside it; a refused sign-up creates nothing.
import { registerView } from './router.js';
import { el } from './dom.js';
import { t, addStrings, language } from './i18n.js';

addStrings({
  en: {
    'login.signUp': 'New to Parley? Create an account',
    'signup.title': 'Create an account',
    'signup.intro': 'Your company and you, its first administrator. You can invite operators and set everything else up afterwards.',
    'signup.company': 'Company name',
    'signup.companyHint': 'Signs the mails sent for you and heads the chat; change it later in Settings.',
    'signup.name': 'Your name',
    'signup.email': 'Your e-mail',
    'signup.emailHint': 'You sign in with it; offline messages and negative ratings go to it until you set other addresses.',
    'signup.password': 'Password',
    'signup.passwordHint': 'At least 10 characters.',
    'signup.repeat': 'Repeat the password',
    'signup.mismatch': 'The two passwords differ.',
    'signup.language': 'Language of the account',
    'signup.plan': 'Plan',
    'signup.planBasic': 'Basic',
    'signup.planCorporate': 'Corporate (chat classification)',
    'signup.submit': 'Create the account',
    'signup.creating': 'Creating the account…',
    'signup.seeFields': 'Not created: see the messages beside the fields.',
    'signup.failed': 'The account was not created.',
    'signup.toLogin': 'Already have an account? Sign in',
  },
  ru: {
    'login.signUp': 'Впервые в Parley? Создайте аккаунт',
    'signup.title': 'Создание аккаунта',
    'signup.intro': 'Ваша компания и вы — её первый администратор. Пригласить операторов и настроить остальное можно потом.',
    'signup.company': 'Название компании',
    'signup.companyHint': 'Подписывает письма, отправленные от вашего имени, и стоит в заголовке чата; его можно изменить в Настройках.',
    'signup.name': 'Ваше имя',
    'signup.email': 'Ваша эл. почта',
    'signup.emailHint': 'С ней вы входите; офлайн-сообщения и отрицательные оценки приходят на неё, пока вы не укажете другие адреса.',
    'signup.password': 'Пароль',
    'signup.passwordHint': 'Не менее 10 символов.',
    'signup.repeat': 'Повторите пароль',
    'signup.mismatch': 'Пароли не совпадают.',
    'signup.language': 'Язык аккаунта',
    'signup.plan': 'Тариф',
    'signup.planBasic': 'Базовый',
    'signup.planCorporate': 'Корпоративный (классификация чатов)',
    'signup.submit': 'Создать аккаунт',
    'signup.creating': 'Создаём аккаунт…',
    'signup.seeFields': 'Не создан: см. сообщения у полей.',
    'signup.failed': 'Аккаунт не создан.',
    'signup.toLogin': 'Уже есть аккаунт? Войдите',
  },
});

let form = null;

function field(key, input, hintKey) {
  return [
    el('label', {}, el('span', { 'data-i18n': key, text: t(key) }), ' ', input),
    hintKey ? el('p', { class: 'hint', 'data-i18n': hintKey, text: t(hintKey) }) : null,
    el('p', { class: 'field-error', 'data-field': input.name }),
  ];
}

function build(root, ctx) {
  const lang = el('select', { name: 'language' },
    el('option', { value: 'ru', text: 'Русский' }), el('option', { value: 'en', text: 'English' }));
  const plan = el('select', { name: 'plan' },
    el('option', { value: 'basic', 'data-i18n': 'signup.planBasic', text: t('signup.planBasic') }),
    el('option', { value: 'corporate', 'data-i18n': 'signup.planCorporate', text: t('signup.planCorporate') }));
  const status = el('p', { class: 'status', id: 'signup-status', role: 'status' });
  const submit = el('button', { type: 'submit', 'data-i18n': 'signup.submit', text: t('signup.submit') });
  // novalidate: the API's message beside each field says more than the browser's.
  form = el('form', { id: 'signup-form', novalidate: true },
    ...field('signup.company', el('input', { name: 'companyName', maxlength: '200', autocomplete: 'organization', required: true }), 'signup.companyHint'),
    ...field('signup.name', el('input', { name: 'name', maxlength: '200', autocomplete: 'name' })),
    ...field('signup.email', el('input', { name: 'email', type: 'email', autocomplete: 'username', required: true }), 'signup.emailHint'),
    ...field('signup.password', el('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '10', required: true }), 'signup.passwordHint'),
    ...field('signup.repeat', el('input', { name: 'repeat', type: 'password', autocomplete: 'new-password', required: true })),
    ...field('signup.language', lang),
    ...field('signup.plan', plan),
    submit, status);
  root.append(
    el('h2', { 'data-i18n': 'signup.title', text: t('signup.title') }),
    el('p', { class: 'hint', 'data-i18n': 'signup.intro', text: t('signup.intro') }),
    form,
    el('p', {}, el('a', { href: ctx.href('login'), 'data-i18n': 'signup.toLogin', text: t('signup.toLogin') })));

  const say = (text, isError) => { status.textContent = text; status.classList.toggle('error', !!isError); };
  form.addEventListener('input', () => say(''));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    say('');
    if (f.password.value !== f.repeat.value) {
      ctx.showErrors(form, { repeat: t('signup.mismatch') });
      return;
    }
    submit.disabled = true;
    say(t('signup.creating'));
    const body = { companyName: f.companyName.value, name: f.name.value, email: f.email.value, password: f.password.value, language: f.language.value, plan: f.plan.value };
    const r = await ctx.call('POST', '/v1/accounts', body);
    submit.disabled = false;
    const fields = ctx.fieldsOf(r);
    ctx.showErrors(form, fields);
    if (r.status === 201) {
      form.reset();
      say('');
      ctx.signedIn(r.data);
      return;
    }
    const beside = Object.keys(fields).some((k) => form.querySelector(`.field-error[data-field="${k}"]`));
    // A 409 (the address is taken) and a 429 (too many sign-ups from this
    // address) have their word in the message.
    if (r.status === 409) ctx.showErrors(form, { email: ctx.errorOf(r, t('signup.failed')) });
    say(beside ? t('signup.seeFields') : ctx.errorOf(r, t('signup.failed')), true);
  });
}

registerView('signup', (root, ctx) => {
  if (!root.firstChild) build(root, ctx);
  ctx.showErrors(form, {});
  // The account speaks the language the page is in, unless changed.
  if (!form.dataset.touched) form.elements.language.value = language();
  form.elements.language.addEventListener('change', () => { form.dataset.touched = 'true'; }, { once: true });
  form.elements.companyName.focus();
  return { reset() { form && form.reset(); } };
}, { public: true });

// The console talks to the HTTP API under /v1 of the same origin locally,
// or of config.json's apiUrl when the console is served from CloudFront.
// Its strings come from i18n.js in the signed-in person's interface
// language; the workplace (workplace.js) answers chats over the WebSocket.
import { t, translate, setLanguage, guessLanguage, language } from './i18n.js';
import { createWorkplace } from './workplace.js';

{
  let apiBase = '';
  let etag = null;
  // The secret of a mailed link (#set-password=...), kept in memory only:
  // it is taken out of the address bar as soon as the page reads it.
  let linkToken = '';

  // Every view is in index.html. The sign-in form stays in the document,
  // hidden while another view shows; of the others only the shown one is
  // in the document, so their labels and fields (a second "E-mail", a
  // second "Password") never get in the way of the shown one's.
  const main = document.querySelector('main');
  const login = document.getElementById('login-view');
  const views = {};
  for (const s of Array.from(main.querySelectorAll(':scope > section'))) {
    views[s.id] = s;
    if (s === login) continue;
    s.hidden = false;
    s.remove();
  }
  let current = null;
  // $ finds an element in the header or in any view, shown or not.
  const $ = (sel) => {
    const found = document.querySelector(sel);
    if (found) return found;
    for (const v of Object.values(views)) {
      if (v.matches(sel)) return v;
      const e = v.querySelector(sel);
      if (e) return e;
    }
    return null;
  };
  function show(id) {
    if (current === id) return;
    if (current && current !== login.id) views[current].remove();
    login.hidden = id !== login.id;
    if (id !== login.id) main.appendChild(views[id]);
    current = id;
    document.querySelectorAll('#nav button').forEach((b) => b.setAttribute('aria-current', String(b.dataset.view === id)));
  }

  async function loadConfig() {
    try {
      const r = await fetch('config.json', { cache: 'no-store' });
      if (r.ok) {
        const c = await r.json();
        apiBase = (c.apiUrl || '').replace(/\/$/, '');
        window.parleyConfig = c;
      }
    } catch (e) { /* same origin */ }
  }

  function user() { return JSON.parse(sessionStorage.getItem('parley.user') || '{}'); }
  function isAdmin() { return user().role === 'administrator'; }

  function keepSession(data) {
    sessionStorage.setItem('parley.token', data.token);
    if (data.refreshToken) sessionStorage.setItem('parley.refresh', data.refreshToken);
    sessionStorage.setItem('parley.user', JSON.stringify(data.user));
  }

  async function call(method, path, body, headers) {
    const h = Object.assign({ 'content-type': 'application/json' }, headers || {});
    const token = sessionStorage.getItem('parley.token');
    if (token) h.authorization = 'Bearer ' + token;
    const r = await fetch(apiBase + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: { message: text } }; }
    return { status: r.status, data, etag: r.headers.get('etag') };
  }

  // refresh renews the access token with the refresh token, once; any
  // failure ends the session.
  let refreshing = null;
  function refresh() {
    const refreshToken = sessionStorage.getItem('parley.refresh');
    if (!refreshToken) return Promise.resolve(false);
    if (!refreshing) {
      refreshing = call('POST', '/v1/auth/refresh', { refreshToken })
        .then((r) => { if (r.status !== 200) return false; keepSession(r.data); return true; })
        .catch(() => false)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // api is call with the session kept alive: a token the gateway refuses
  // (401, or 403 without the API's own error body: an expired token looks
  // like this) is refreshed once and the call repeated. A refusal that
  // survives a fresh token is a real one; a failed refresh signs out.
  async function api(method, path, body, headers) {
    let r = await call(method, path, body, headers);
    const gatewayRefusal = (x) => x.status === 401 || (x.status === 403 && !(x.data && x.data.error));
    if (!sessionStorage.getItem('parley.token') || !gatewayRefusal(r)) return r;
    if (!(await refresh())) { signOut(); return Object.assign(r, { signedOut: true }); }
    r = await call(method, path, body, headers);
    return r;
  }

  function errorOf(r, fallback) { return (r.data && r.data.error && r.data.error.message) || (r.data && r.data.message) || fallback; }

  // showErrors writes each field's message under it, within one form.
  function showErrors(form, fields) {
    form.querySelectorAll('.field-error').forEach((p) => { p.textContent = (fields && fields[p.dataset.field]) || ''; });
  }

  function setStatus(sel, text, isError) {
    const p = $(sel);
    p.textContent = text;
    p.classList.toggle('error', !!isError);
  }
  const status = (text, isError) => setStatus('#company-status', text, isError);

  function signedIn() {
    $('#logout').hidden = false;
    $('#nav').hidden = false;
    const u = user();
    $('#who').textContent = u.email ? t('who', { email: u.email, role: t('roleName.' + u.role) }) : '';
    document.body.classList.toggle('admin', isAdmin());
  }

  // applyLanguage puts every view, shown or aside, in lang.
  function applyLanguage(lang) {
    setLanguage(lang);
    translate(document.querySelector('header'));
    for (const v of Object.values(views)) translate(v);
    if (workplace) workplace.translated();
  }

  // settleLanguage makes the interface speak the signed-in person's
  // language as the server has it now (an administrator may have changed
  // it since the sign-in), else the account's company language. The
  // sign-in's answer set it already; this only corrects it.
  async function settleLanguage() {
    const u = user();
    if (!u.id) return;
    let lang = u.interfaceLanguage || '';
    const r = await api('GET', '/v1/people/' + encodeURIComponent(u.id));
    if (r.signedOut) return;
    if (r.status === 200 && r.data.interfaceLanguage) {
      lang = r.data.interfaceLanguage;
      if (lang !== u.interfaceLanguage && sessionStorage.getItem('parley.token')) {
        sessionStorage.setItem('parley.user', JSON.stringify(Object.assign(u, { interfaceLanguage: lang })));
      }
    }
    if (!lang) {
      const a = await api('GET', '/v1/account');
      if (a.signedOut) return;
      if (a.status === 200) lang = a.data.language;
    }
    if (!lang || lang === language() || !sessionStorage.getItem('parley.token')) return;
    applyLanguage(lang);
    signedIn();
    // The people table's rows were written in the old language.
    if (current === 'people-view') showPeople();
  }

  // The workplace is made on first use and stays connected while the
  // person looks at other pages, so their chats keep arriving.
  let workplace = null;
  function showWorkplace() {
    show('workplace-view');
    signedIn();
    if (!workplace) {
      workplace = createWorkplace({ root: views['workplace-view'], api, refresh, user, websocketURL });
    }
    workplace.start();
  }

  // websocketURL is where staff open the WebSocket: config.json's
  // websocketUrl where the console is served apart from the API. Where it
  // is not (the API's own origin, as locally), the account's public widget
  // config is the one place that names it; the visitor token it hands out
  // is kept so that asking again does not make another visitor.
  async function websocketURL() {
    const c = window.parleyConfig || {};
    if (c.websocketUrl) return c.websocketUrl;
    const cached = sessionStorage.getItem('parley.ws');
    if (cached) return cached;
    const accountId = user().accountId || '';
    const key = 'parley.console.probe.' + accountId;
    const q = new URLSearchParams({ visitorToken: localStorage.getItem(key) || '' });
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(accountId) + '/config?' + q, { cache: 'no-store' });
    const w = await r.json().catch(() => ({}));
    if (!r.ok || !w.websocketUrl) throw new Error(errorOf({ data: w }, 'HTTP ' + r.status));
    if (w.visitorToken) localStorage.setItem(key, w.visitorToken);
    sessionStorage.setItem('parley.ws', w.websocketUrl);
    return w.websocketUrl;
  }

  // The page a person lands on: administrators configure, everyone else
  // answers chats. A reload shows the page it left.
  function defaultView() { return isAdmin() ? 'settings-view' : 'workplace-view'; }
  function showView(id) {
    if (!views[id] || id === login.id) id = defaultView();
    sessionStorage.setItem('parley.view', id);
    if (id === 'people-view') showPeople();
    else if (id === 'workplace-view') showWorkplace();
    else showSettings();
  }

  async function showSettings() {
    show('settings-view');
    signedIn();
    const u = user();
    $('#widget-link').href = 'widget/demo.html?account=' + encodeURIComponent(u.accountId || '');
    // The form stays disabled until the settings arrive: saving the empty
    // form before then would overwrite them, and without an If-Match.
    // Only administrators may change settings; the others read them.
    $('#company-fields').disabled = true;
    delete $('#company-form').dataset.loaded;
    const r = await api('GET', '/v1/settings/company');
    if (r.signedOut) return;
    if (r.status !== 200) { status(errorOf(r, t('settings.loadFailed')), true); return; }
    etag = r.etag;
    const f = $('#company-form');
    for (const k of ['name', 'timezone', 'website', 'language']) f.elements[k].value = r.data[k] || '';
    $('#company-fields').disabled = !isAdmin();
    f.dataset.loaded = 'true';
  }

  const roles = ['operator', 'supervisor', 'administrator'];

  // personRow is one line of the People table; administrators get a role
  // menu and a Remove button, everyone else reads.
  function personRow(p) {
    const tr = document.createElement('tr');
    tr.dataset.person = p.id;
    tr.dataset.email = p.email;
    const cell = (text) => { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; };
    cell(p.name);
    cell(p.email);
    const roleCell = cell(isAdmin() ? '' : t('roleName.' + p.role));
    cell(t('personStatus.' + p.status));
    if (!isAdmin()) return tr;
    const select = document.createElement('select');
    select.setAttribute('aria-label', t('people.roleOf', { email: p.email }));
    for (const r of roles) {
      const o = document.createElement('option');
      o.value = r; o.textContent = t('roleName.' + r); select.appendChild(o);
    }
    select.value = p.role;
    select.addEventListener('change', async () => {
      select.disabled = true;
      const r = await api('PATCH', '/v1/people/' + encodeURIComponent(p.id), { role: select.value });
      select.disabled = false;
      if (r.signedOut) return;
      if (r.status === 200) { p.role = r.data.role; setStatus('#people-status', t('people.roleChanged', { email: p.email, role: t('roleName.' + p.role) })); return; }
      select.value = p.role;
      const fields = (r.data && r.data.error && r.data.error.fields) || {};
      setStatus('#people-status', p.email + ': ' + (fields.role || errorOf(r, t('people.roleNotChanged'))), true);
    });
    roleCell.appendChild(select);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = t('people.remove');
    remove.setAttribute('aria-label', t('people.removeLabel', { email: p.email }));
    remove.addEventListener('click', async () => {
      if (!window.confirm(t('people.removeConfirm', { email: p.email }))) return;
      const r = await api('DELETE', '/v1/people/' + encodeURIComponent(p.id));
      if (r.signedOut) return;
      if (r.status === 204) { tr.remove(); setStatus('#people-status', t('people.removed', { email: p.email })); return; }
      setStatus('#people-status', p.email + ': ' + errorOf(r, t('people.notRemoved')), true);
    });
    const actions = document.createElement('td');
    actions.className = 'admin-only';
    actions.appendChild(remove);
    tr.appendChild(actions);
    return tr;
  }

  // The invitation form is only in the page of an administrator, not merely
  // hidden from the others.
  const inviteForm = $('#invite-form');

  async function showPeople() {
    show('people-view');
    signedIn();
    if (isAdmin()) views['people-view'].appendChild(inviteForm);
    else inviteForm.remove();
    setStatus('#people-status', '');
    const body = $('#people-table tbody');
    body.replaceChildren();
    const r = await api('GET', '/v1/people');
    if (r.signedOut) return;
    if (r.status !== 200) { setStatus('#people-status', errorOf(r, t('people.loadFailed')), true); return; }
    for (const p of r.data.items) body.appendChild(personRow(p));
    $('#people-table').dataset.loaded = 'true';
  }

  function showLogin(message) {
    show('login-view');
    setStatus('#login-status', message || '');
  }

  function showSetPassword() {
    show('set-password-view');
    $('#set-password-form').reset();
    showErrors($('#set-password-form'), {});
    setStatus('#set-password-status', '');
  }

  // signOut also forgets what the last user typed or was told, so the next
  // person at this browser sees neither a password nor old messages. The
  // refresh token is revoked on the server, not only forgotten here.
  function signOut() {
    if (workplace) workplace.stop();
    const refreshToken = sessionStorage.getItem('parley.refresh');
    if (refreshToken) call('POST', '/v1/auth/logout', { refreshToken }).catch(() => {});
    sessionStorage.clear();
    etag = null;
    // The invitation form is out of every view for non-administrators.
    for (const f of [$('#login-form'), $('#company-form'), inviteForm, $('#forgot-form'), $('#set-password-form')]) { f.reset(); showErrors(f, {}); }
    $('#company-fields').disabled = true;
    status('');
    $('#login-error').textContent = '';
    $('#people-table tbody').replaceChildren();
    delete $('#people-table').dataset.loaded;
    document.body.classList.remove('admin');
    $('#logout').hidden = true;
    $('#nav').hidden = true;
    $('#who').textContent = '';
    showLogin();
  }

  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const r = await call('POST', '/v1/auth/login', { email: f.email.value, password: f.password.value });
    if (r.status !== 200) { $('#login-error').textContent = errorOf(r, t('login.failed')); return; }
    $('#login-error').textContent = '';
    setStatus('#login-status', '');
    f.password.value = '';
    keepSession(r.data);
    if (r.data.user && r.data.user.interfaceLanguage) applyLanguage(r.data.user.interfaceLanguage);
    showView(defaultView());
    settleLanguage();
  });

  $('#forgot-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    const email = $('#login-form').elements.email.value;
    show('forgot-view');
    setStatus('#forgot-status', '');
    $('#forgot-form').elements.email.value = email;
  });
  Object.values(views).forEach((v) => v.querySelectorAll('.to-login').forEach((a) => a.addEventListener('click', (ev) => { ev.preventDefault(); showLogin(); })));
  Object.values(views).forEach((v) => v.querySelectorAll('.to-forgot').forEach((a) => a.addEventListener('click', (ev) => {
    ev.preventDefault(); show('forgot-view'); setStatus('#forgot-status', '');
  })));

  $('#forgot-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const r = await call('POST', '/v1/auth/password-reset', { email: f.email.value });
    showErrors(f, r.data && r.data.error && r.data.error.fields);
    if (r.status === 202) { setStatus('#forgot-status', t('forgot.sent')); return; }
    setStatus('#forgot-status', errorOf(r, t('forgot.failed')), true);
  });

  $('#set-password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    if (f.password.value !== f.repeat.value) {
      showErrors(f, { repeat: t('setPassword.mismatch') });
      return;
    }
    const r = await call('POST', '/v1/auth/password', { token: linkToken, password: f.password.value });
    const fields = (r.data && r.data.error && r.data.error.fields) || {};
    showErrors(f, fields);
    if (r.status !== 200) {
      setStatus('#set-password-status', fields.token ? errorOf(r, t('setPassword.linkDead')) : errorOf(r, t('setPassword.failed')), true);
      return;
    }
    // Setting a password ends every session of the person: start afresh.
    linkToken = '';
    sessionStorage.clear();
    f.reset();
    showLogin(t('setPassword.done'));
    $('#login-form').elements.email.value = (r.data.user && r.data.user.email) || '';
  });

  $('#invite-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    setStatus('#invite-status', '');
    const r = await api('POST', '/v1/people', { email: f.email.value, name: f.elements.name.value, role: f.role.value });
    if (r.signedOut) return;
    const fields = (r.data && r.data.error && r.data.error.fields) || {};
    showErrors(f, fields);
    if (r.status === 201) {
      $('#people-table tbody').appendChild(personRow(r.data));
      setStatus('#invite-status', t('people.invited', { email: r.data.email }));
      f.reset();
      return;
    }
    setStatus('#invite-status', errorOf(r, t('people.notInvited')), true);
  });

  $('#company-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const body = { name: f.elements.name.value, timezone: f.elements.timezone.value, website: f.elements.website.value, language: f.elements.language.value };
    const r = await api('PATCH', '/v1/settings/company', body, etag ? { 'if-match': etag } : {});
    if (r.signedOut) return;
    if (r.status === 200) { etag = r.etag; showErrors(f, {}); status(t('settings.saved')); return; }
    status(errorOf(r, t('settings.notSaved')), true);
    showErrors(f, r.data && r.data.error && r.data.error.fields);
  });
  // An edit makes an earlier "Saved." untrue.
  $('#company-form').addEventListener('input', () => status(''));
  $('#logout').addEventListener('click', signOut);
  document.querySelectorAll('#nav button').forEach((b) => b.addEventListener('click', () => showView(b.dataset.view)));

  // A mailed link opens the console at #set-password=<secret>.
  function readLink() {
    const m = /^#set-password=(.+)$/.exec(location.hash);
    if (!m) return false;
    linkToken = decodeURIComponent(m[1].replace(/\+/g, ' '));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  window.addEventListener('hashchange', () => { if (readLink()) showSetPassword(); });
  applyLanguage(user().interfaceLanguage || guessLanguage());
  loadConfig().then(() => {
    if (readLink()) showSetPassword();
    else if (sessionStorage.getItem('parley.token')) { showView(sessionStorage.getItem('parley.view')); settleLanguage(); }
    else showLogin();
  });
}

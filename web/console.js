// The console talks to the HTTP API under /v1 of the same origin locally,
// or of config.json's apiUrl when the console is served from CloudFront.
// Its strings come from i18n.js in the signed-in person's interface
// language; the workplace (workplace.js) answers chats over the WebSocket;
// the history and the offline requests are createRecords, and the signed-in
// person's own page is createProfile, at the end.
import { t, translate, setLanguage, guessLanguage, language } from './i18n.js';
import { createWorkplace } from './workplace.js';
import { el } from './dom.js';
import { registerView, find, routeOf, href } from './router.js';
// Pages in files of their own register their views (router.js) when
// imported.
import './signup.js';
import './home.js';
import './departments.js';
import './audit.js';
import './deliveries.js';
import './unisender-export.js';
import './stats.js';
import './embed.js';
import { personEditor, mayEdit } from './people-edit.js';
import { attachTimezones } from './timezone.js';
import { createSettings } from './settings.js';

{
  let apiBase = '';
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
    const route = routeOf(location.hash);
    document.querySelectorAll('header nav button[data-route]').forEach((b) => {
      const r = b.dataset.route;
      b.setAttribute('aria-current', String(route === r || route.startsWith(r + '/')));
    });
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

  // call sends body as JSON, or a file (a Blob) as it is, with its type:
  // images are uploaded as their own bytes.
  async function call(method, path, body, headers) {
    const file = body instanceof Blob;
    // The API words its refusals in the language asked for: the
    // interface's, which is the signed-in person's.
    const h = Object.assign({ 'content-type': file ? body.type || 'application/octet-stream' : 'application/json', 'accept-language': language() }, headers || {});
    const token = sessionStorage.getItem('parley.token');
    if (token) h.authorization = 'Bearer ' + token;
    const r = await fetch(apiBase + path, { method, headers: h, body: body === undefined ? undefined : file ? body : JSON.stringify(body) });
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

  // The menu buttons of views for some roles only (data-roles) are in the
  // header of those roles only, not merely hidden from the others.
  const roleButtons = Array.from(document.querySelectorAll('header nav button[data-roles]'), (b) => ({ b, parent: b.parentNode, next: b.nextElementSibling }));
  function menuForRole() {
    const role = user().role;
    for (const { b, parent, next } of roleButtons) {
      const mine = b.dataset.roles.split(' ').includes(role);
      if (!mine) b.remove();
      else if (!b.isConnected) parent.insertBefore(b, next && next.isConnected ? next : null);
    }
  }

  function signedIn() {
    menuForRole();
    $('#logout').hidden = false;
    $('#nav').hidden = false;
    $('#nav-records').hidden = false;
    $('#nav-me').hidden = false;
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
    records.translated();
    profile.translated();
    for (const h of handles.values()) if (typeof h.translated === 'function') h.translated();
    // Also while its first mount is still reading the section.
    settingsPages.translated();
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
  function startWorkplace() {
    if (!workplace) {
      // A click on one of its desktop notifications brings the person
      // back to the workplace from any page.
      workplace = createWorkplace({ root: views['workplace-view'], api, refresh, user, websocketURL, reveal: () => navigate('workplace') });
    }
    workplace.start();
    return workplace;
  }
  function showWorkplace() {
    show('workplace-view');
    signedIn();
    startWorkplace();
  }

  // The record pages mark offline requests handled over the workplace's
  // socket, starting it if this person has not opened the workplace yet.
  const records = createRecords({ historyRoot: views['history-view'], offlineRoot: views['offline-view'], api, errorOf, showErrors, startWorkplace });

  // keepUser keeps the session's copy of the person in step with their
  // profile as the API now has it, and the header with it.
  function keepUser(p) {
    const u = user();
    if (!u.id || p.id !== u.id) return;
    for (const k of ['name', 'email', 'role', 'interfaceLanguage']) if (p[k] !== undefined) u[k] = p[k];
    sessionStorage.setItem('parley.user', JSON.stringify(u));
    signedIn();
  }

  // signOutSaying signs out and says why on the sign-in form.
  function signOutSaying(message, email) {
    signOut();
    setStatus('#login-status', message);
    if (email) $('#login-form').elements.email.value = email;
  }

  const profile = createProfile({ root: views['profile-view'], api, errorOf, showErrors, user, keepUser, applyLanguage, signOutSaying });

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

  // --- views by address (router.js) ---------------------------------------

  // The page a person lands on: administrators their home page (what is
  // left to set up), everyone else the chats.
  function defaultRoute() { return isAdmin() ? 'home' : 'workplace'; }

  // The views of index.html, by route.
  registerView('login', () => showLogin(), { public: true, section: login });
  registerView('forgot', () => showForgot(), { public: true, section: views['forgot-view'] });
  registerView('workplace', () => showWorkplace(), { section: views['workplace-view'] });
  registerView('settings', (root, ctx) => showSettings(ctx.params[0]), { section: views['settings-view'] });
  registerView('people', () => showPeople(), { section: views['people-view'] });
  registerView('history', () => records.showHistory(), { section: views['history-view'] });
  registerView('offline', () => records.showOffline(), { section: views['offline-view'] });
  registerView('profile', () => profile.show(), { section: views['profile-view'] });

  // sectionOf is a view's <section>: index.html's, or one made for it.
  function sectionOf(v) {
    if (!v.section) {
      const id = v.name.replace(/\//g, '-') + '-view';
      v.section = el('section', { id, class: 'routed', dataset: { route: v.name } });
      views[id] = v.section;
      translate(v.section);
    }
    return v.section;
  }

  function fieldsOf(r) { return (r.data && r.data.error && r.data.error.fields) || {}; }

  // What a view's mount gets (router.js says what each is).
  function context(params) {
    return {
      api, call, t, user, isAdmin, role: () => user().role, errorOf, showErrors, fieldsOf, params, navigate, href,
      signedIn: (data) => {
        keepSession(data);
        if (data.user && data.user.interfaceLanguage) applyLanguage(data.user.interfaceLanguage);
        navigate(defaultRoute());
        settleLanguage();
      },
    };
  }

  let mounted = null; // { route, view, handle } of the view shown
  const handles = new Map(); // view name -> what its mount returned

  // allowed says whether the signed-in person's role may open v.
  function allowed(v) { return !v.roles || v.roles.includes(user().role); }

  // navigate opens a route as a new entry of the browser's history, after
  // asking the view shown whether it may be left.
  async function navigate(route) {
    if (location.hash === href(route)) { render(); return; }
    if (!(await mayLeave(route))) return;
    leaving = route;
    location.hash = href(route);
  }
  let leaving = null; // a route mayLeave already let through

  async function mayLeave(route) {
    if (!mounted || mounted.route === route || leaving === route) return true;
    const h = mounted.handle;
    if (!h || typeof h.leave !== 'function') return true;
    return (await h.leave()) !== false;
  }

  // render shows the view of the address: a public view to anyone, the
  // others after a sign-in (the address is kept, so the sign-in leads
  // there), each to the roles it is for.
  let rendering = 0;
  async function render() {
    const n = ++rendering;
    if (readLink()) { mounted = null; showSetPassword(); return; }
    const route = routeOf(location.hash);
    const signed = !!sessionStorage.getItem('parley.token');
    let found = find(route);
    if (signed && (!found || found.view.public || !allowed(found.view))) {
      history.replaceState(null, '', href(defaultRoute()));
      found = find(defaultRoute());
    } else if (!signed && (!found || !found.view.public)) {
      found = find('login');
    }
    const shownRoute = routeOf(location.hash);
    // Back or forward away from a view that will not be left: the address
    // goes back to it.
    if (!(await mayLeave(shownRoute))) {
      history.pushState(null, '', href(mounted.route));
      return;
    }
    leaving = null;
    if (n !== rendering) return;
    const v = found.view;
    show(sectionOf(v).id);
    if (signed) signedIn();
    mounted = { route: shownRoute, view: v, handle: null };
    const handle = await v.mount(v.section, context(found.params));
    if (n !== rendering) return;
    mounted.handle = handle || null;
    if (handle) handles.set(v.name, handle);
  }

  // The settings pages are settings.js's (#/settings/<section>); this
  // only shows them. Their handle guards unsaved changes (leave).
  const settingsPages = createSettings({ root: views['settings-view'], api, errorOf, isAdmin, attachTimezones,
    navigate: (section) => navigate('settings/' + section) });
  async function showSettings(section) {
    $('#widget-link').href = 'widget/demo.html?account=' + encodeURIComponent(user().accountId || '');
    await settingsPages.show(section);
    return { leave: settingsPages.leave, reset: settingsPages.reset };
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
    const actions = document.createElement('td');
    actions.className = 'actions';
    tr.appendChild(actions);
    // Languages, departments and the chat limit: administrators and
    // supervisors, within CanEdit's rule (people-edit.js).
    if (mayEdit(user().role, user().id, p)) {
      const edit = el('button', { type: 'button', text: t('people.edit'), 'aria-label': t('people.editLabel', { email: p.email }) });
      edit.addEventListener('click', () => openEditor(tr, p));
      actions.appendChild(edit);
    }
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
    actions.appendChild(remove);
    return tr;
  }

  // The account's departments and chat limit, for the editor.
  let peopleRefs = { departments: [], limit: null };

  // openEditor opens the editor of p in a row under tr, one at a time.
  function openEditor(tr, p) {
    const body = $('#people-table tbody');
    body.querySelectorAll('tr.editor').forEach((x) => x.remove());
    const row = el('tr', { class: 'editor', dataset: { editorOf: p.id } });
    const cell = el('td', { colspan: '5' });
    const close = () => row.remove();
    cell.appendChild(personEditor({ api, errorOf, showErrors, fieldsOf }, p, peopleRefs.departments, peopleRefs.limit, (saved) => {
      Object.assign(p, saved);
      close();
      setStatus('#people-status', t('people.saved', { email: p.email }));
    }, close));
    row.appendChild(cell);
    tr.after(row);
    const first = cell.querySelector('input');
    if (first) first.focus();
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
    const [r, d, f] = await Promise.all([api('GET', '/v1/people'), api('GET', '/v1/departments'), api('GET', '/v1/settings/features')]);
    if (r.signedOut || d.signedOut || f.signedOut) return;
    if (r.status !== 200) { setStatus('#people-status', errorOf(r, t('people.loadFailed')), true); return; }
    peopleRefs = { departments: d.status === 200 ? d.data.items : [], limit: f.status === 200 ? f.data.maxChatsPerOperator : null };
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
    // The invitation form is out of every view for non-administrators.
    for (const f of [$('#login-form'), inviteForm, $('#forgot-form'), $('#set-password-form')]) { f.reset(); showErrors(f, {}); }
    settingsPages.reset();
    $('#login-error').textContent = '';
    $('#people-table tbody').replaceChildren();
    delete $('#people-table').dataset.loaded;
    records.reset();
    profile.reset();
    document.body.classList.remove('admin');
    $('#logout').hidden = true;
    $('#nav').hidden = true;
    $('#nav-records').hidden = true;
    $('#nav-me').hidden = true;
    $('#who').textContent = '';
    // The pages in files of their own forget too; their sections are
    // emptied, so the next person's first mount builds them afresh.
    for (const h of handles.values()) if (typeof h.reset === 'function') h.reset();
    handles.clear();
    for (const v of Object.values(views)) if (v.classList.contains('routed')) v.replaceChildren();
    mounted = null;
    history.replaceState(null, '', href('login'));
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
    // To the view the address asked for before the sign-in, if any.
    render();
    settleLanguage();
  });

  // The e-mail typed at sign-in goes along to the reset form.
  $('#forgot-link').addEventListener('click', () => { $('#forgot-form').elements.email.value = $('#login-form').elements.email.value; });
  function showForgot() {
    show('forgot-view');
    setStatus('#forgot-status', '');
  }

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

  $('#logout').addEventListener('click', signOut);
  document.querySelectorAll('header nav button[data-route]').forEach((b) => b.addEventListener('click', () => navigate(b.dataset.route)));

  // A mailed link opens the console at #set-password=<secret>.
  function readLink() {
    const m = /^#set-password=(.+)$/.exec(location.hash);
    if (!m) return false;
    linkToken = decodeURIComponent(m[1].replace(/\+/g, ' '));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  window.addEventListener('hashchange', () => render());
  applyLanguage(user().interfaceLanguage || guessLanguage());
  loadConfig().then(() => {
    const signed = !!sessionStorage.getItem('parley.token');
    render();
    if (signed) settleLanguage();
  });
}

// --- the record pages: chat history and offline requests --------------------

// offlineReads is how many history pages of 100 offline requests one look
// reads before it offers to look further back.
const offlineReads = 5;

// createRecords makes the two record pages. The history lists
// GET /v1/chats with the filters of its form, a page at a time (More
// follows the cursor the API returned), and opens a chat's transcript from
// GET /v1/chats/{id}. The offline requests (SPEC §4.7) are the chats
// GET /v1/chats?offline=true lists. Staff mark a request handled by closing it over the workplace's
// socket (startWorkplace returns the workplace, started).
function createRecords({ historyRoot, offlineRoot, api, errorOf, showErrors, startWorkplace }) {
  const h = (sel) => historyRoot.querySelector(sel);
  const o = (sel) => offlineRoot.querySelector(sel);

  let people = new Map();
  let departments = new Map();
  let paths = []; // the category tree as "Top" and "Top / Sub"
  let zone = ''; // the account's time zone; '' is the browser's
  let referenceProblem = ''; // what of the above could not be read
  let historyQuery = null; // the filters of the list shown, null before the first
  let historyNext = '';
  let historyItems = [];
  let historyAsk = 0; // the newest history read: answers to older ones are dropped
  let openId = '';
  let opened = null; // { chat, messages } of the transcript shown
  let offlineQuery = null;
  let offlineNext = '';
  let requests = new Map(); // id -> offline request
  let offlineAsk = 0;
  let marking = new Map(); // id -> { busy } or { error } of its "mark handled"

  function say(p, text, isError) {
    p.textContent = text;
    p.classList.toggle('error', !!isError);
  }

  function fieldsOf(r) { return (r.data && r.data.error && r.data.error.fields) || {}; }

  // loadReference reads what the pages show instead of ids, the category
  // tree of the filter and the account's time zone. What fails leaves ids
  // (or the browser's time zone) showing, and is said in the status line.
  async function loadReference() {
    const paths_ = ['/v1/people', '/v1/departments', '/v1/settings/classification', '/v1/settings/company'];
    const [p, d, c, co] = await Promise.all(paths_.map((path) => api('GET', path)));
    if ([p, d, c, co].some((r) => r.signedOut)) return false;
    const problems = [];
    const failed = (path, r) => problems.push(t('wp.loadFailed', { what: path, message: errorOf(r, 'HTTP ' + r.status) }));
    if (p.status === 200) people = new Map(p.data.items.map((x) => [x.id, x])); else failed(paths_[0], p);
    if (d.status === 200) departments = new Map(d.data.items.map((x) => [x.id, x])); else failed(paths_[1], d);
    if (c.status === 200) paths = categoryPaths(c.data.categoryTree || []); else failed(paths_[2], c);
    if (co.status === 200) zone = knownZone(co.data.timezone); else failed(paths_[3], co);
    referenceProblem = problems.join(' ');
    return true;
  }

  function categoryPaths(tree) {
    const out = [];
    for (const top of tree) {
      out.push(top.name);
      for (const sub of top.children || []) out.push(top.name + ' / ' + sub.name);
    }
    return out;
  }

  // knownZone is zone when this browser knows it, else '' (its own).
  function knownZone(z) {
    if (!z) return '';
    try { new Intl.DateTimeFormat('en', { timeZone: z }); return z; } catch (e) { return ''; }
  }

  // when is a date and time in the account's time zone.
  function when(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return '';
    const opts = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (zone) opts.timeZone = zone;
    return d.toLocaleString(language(), opts);
  }

  // dayOf is the YYYY-MM-DD day of a moment in the account's time zone.
  function dayOf(date) {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
    const part = (type) => parts.find((x) => x.type === type).value;
    return part('year') + '-' + part('month') + '-' + part('day');
  }

  function zoneHint(p, key) { p.textContent = zone ? t(key, { zone }) : t(key + 'Local'); }

  function personName(id) {
    const p = people.get(id);
    return p ? p.name || p.email : id.slice(-6);
  }

  function visitorName(c) { return c.offlineName || t('wp.visitor', { id: (c.visitorId || '').slice(-6) }); }

  // --- history ---------------------------------------------------------------
  function fillFilters() {
    const f = h('#history-form');
    const byText = (a, b) => a[1].localeCompare(b[1]);
    const fill = (select, options) => {
      const keep = select.value;
      select.replaceChildren(el('option', { value: '', text: t('hist.any') }), ...options.map(([value, text]) => el('option', { value, text })));
      select.value = options.some(([v]) => v === keep) ? keep : '';
    };
    fill(f.elements.operatorId, Array.from(people.values()).map((p) => [p.id, p.name || p.email]).sort(byText));
    fill(f.elements.departmentId, Array.from(departments.values()).map((d) => [d.id, d.name]).sort(byText));
    fill(f.elements.category, paths.map((p) => [p, p]));
  }

  function filtersOf(form) {
    const q = new URLSearchParams();
    for (const name of ['from', 'to', 'operatorId', 'departmentId', 'category', 'rating', 'status', 'limit']) {
      const v = form.elements[name].value.trim();
      if (v) q.set(name, v);
    }
    return q;
  }

  // search reads the first page for the form's filters, or with more the
  // next page of the list shown. A refused filter gets the API's message
  // beside its field.
  async function search(more) {
    const form = h('#history-form');
    const table = h('#history-table');
    const ask = ++historyAsk;
    if (!more) historyQuery = filtersOf(form);
    const q = new URLSearchParams(historyQuery);
    if (more) q.set('cursor', historyNext);
    h('#history-more').disabled = true;
    table.dataset.state = 'loading';
    say(h('#history-status'), t('hist.loading'));
    const r = await api('GET', '/v1/chats?' + q);
    if (r.signedOut || ask !== historyAsk) return;
    h('#history-more').disabled = false;
    const fields = fieldsOf(r);
    showErrors(form, fields);
    if (r.status !== 200) {
      if (!more) { historyItems = []; historyNext = ''; renderHistory(); }
      const beside = Object.keys(fields).some((k) => form.querySelector(`.field-error[data-field="${k}"]`));
      say(h('#history-status'), beside ? t('hist.badFilters') : errorOf(r, t('hist.loadFailed')), true);
      table.dataset.state = 'error';
      return;
    }
    historyItems = more ? historyItems.concat(r.data.items) : r.data.items;
    historyNext = r.data.next || '';
    renderHistory();
    table.dataset.state = 'loaded';
  }

  function renderHistory() {
    h('#history-table tbody').replaceChildren(...historyItems.map(historyRow));
    h('#history-more').hidden = !historyNext;
    if (!historyQuery) return;
    const n = historyItems.length;
    const text = n === 0 ? t('hist.none') : historyNext ? t('hist.shownMore', { n }) : t('hist.shown', { n });
    say(h('#history-status'), referenceProblem ? referenceProblem + ' ' + text : text, !!referenceProblem);
  }

  function historyRow(c) {
    const started = when(c.startedAt);
    const tr = el('tr', { dataset: { chat: c.id, status: c.status }, 'aria-current': c.id === openId ? 'true' : 'false', onclick: () => openTranscript(c.id) },
      // The button makes the row reachable from the keyboard; its click
      // reaches the row's.
      el('td', { class: 'started' }, el('button', { type: 'button', class: 'link', 'aria-label': t('hist.openLabel', { when: started }), text: started })),
      el('td', { class: 'visitor', text: visitorName(c) }),
      el('td', { class: 'operator', text: c.operatorId ? personName(c.operatorId) : '' }),
      el('td', { class: 'department', text: c.departmentId ? (departments.get(c.departmentId) || {}).name || c.departmentId.slice(-6) : '' }),
      el('td', { class: 'category', text: c.category || '' }),
      el('td', { class: 'rating', text: c.rating ? t('rating.' + c.rating) : '' }),
      el('td', { class: 'messages', text: String(c.messages || 0) }),
      el('td', { class: 'status', text: t('hist.status.' + c.status) }),
      el('td', { class: 'offline' }, c.offline
        ? el('span', { class: 'badge ' + (c.unanswered ? 'offline' : 'handled'), text: t(c.unanswered ? 'hist.unansweredMark' : 'hist.offlineMark') })
        : null),
      el('td', { class: 'outcome', text: c.outcome ? t('outcome.' + c.outcome) : '' }));
    return tr;
  }

  async function openTranscript(id) {
    openId = id;
    opened = null;
    for (const tr of historyRoot.querySelectorAll('#history-table tbody tr')) tr.setAttribute('aria-current', String(tr.dataset.chat === id));
    const panel = h('#history-chat');
    panel.hidden = false;
    panel.dataset.chat = id;
    panel.dataset.state = 'loading';
    h('#history-chat-title').textContent = t('hist.loading');
    h('#history-chat-meta').replaceChildren();
    h('#history-transcript').replaceChildren();
    say(h('#history-chat-status'), '');
    // The transcript comes in pages (next is the since of the following
    // one); a long chat is shown once all of it has arrived.
    let data = null;
    for (let since = 0; ;) {
      const r = await api('GET', '/v1/chats/' + encodeURIComponent(id) + (since ? '?since=' + since : ''));
      if (r.signedOut || openId !== id) return;
      if (r.status !== 200) {
        h('#history-chat-title').textContent = '';
        say(h('#history-chat-status'), errorOf(r, t('hist.chatFailed')), true);
        panel.dataset.state = 'error';
        return;
      }
      if (data) data.messages.push(...r.data.messages);
      else data = r.data;
      if (!r.data.next || r.data.next <= since) break;
      since = r.data.next;
    }
    opened = data;
    renderTranscript();
    panel.dataset.state = 'loaded';
  }

  function renderTranscript() {
    if (!opened) return;
    const c = opened.chat;
    h('#history-chat-title').textContent = t('hist.chatTitle', { who: visitorName(c), when: when(c.startedAt) });
    const rows = [
      ['hist.status', t('hist.status.' + c.status)],
      ['hist.operator', c.operatorId ? personName(c.operatorId) : ''],
      ['hist.department', c.departmentId ? (departments.get(c.departmentId) || {}).name || c.departmentId : ''],
      ['hist.category', c.category],
      ['hist.rating', c.rating ? t('rating.' + c.rating) : ''],
      ['hist.language', (c.language || '').toUpperCase()],
      ['hist.question', c.offline ? '' : c.question],
      ['hist.name', c.offlineName],
      ['hist.contact', c.offlineContact],
      ['hist.offline', c.offline ? t(c.unanswered ? 'hist.unansweredMark' : 'hist.offlineMark') : ''],
      ['hist.started', when(c.startedAt)],
      ['hist.closedAt', when(c.closedAt)],
      ['hist.outcome', c.outcome ? t('outcome.' + c.outcome) : ''],
      ['hist.busyFirst', c.busyFirstAt ? when(c.busyFirstAt) : ''],
      ['hist.busyAnswer', c.busyAnswerAt ? when(c.busyAnswerAt) : ''],
    ].filter(([, v]) => v);
    const meta = rows.flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { dataset: { key: k }, text: v })]);
    if (c.page) meta.push(el('dt', { text: t('hist.page') }), el('dd', {}, el('a', { href: c.page, target: '_blank', rel: 'noopener noreferrer', text: c.page })));
    if (c.visitorClosed) meta.push(el('dt', { text: '' }), el('dd', { class: 'left', text: t('hist.visitorLeft') }));
    h('#history-chat-meta').replaceChildren(...meta);
    const ms = (opened.messages || []).slice().sort((a, b) => a.seq - b.seq);
    const items = ms.map((m) => {
      const kind = (m.from && m.from.kind) || 'system';
      const who = kind === 'visitor' ? visitorName(c) : kind === 'operator' ? personName(m.from.id || '') : t('wp.from.system');
      return el('li', { class: 'msg ' + kind, dataset: { seq: String(m.seq) } },
        el('span', { class: 'who', text: who }),
        el('time', { datetime: m.at, text: when(m.at) }),
        el('p', { class: 'text', text: m.text }));
    });
    if (!items.length) items.push(el('li', { class: 'msg system' }, el('p', { class: 'text', text: t('hist.noMessages') })));
    h('#history-transcript').replaceChildren(...items);
  }

  function closeTranscript() {
    openId = '';
    opened = null;
    h('#history-chat').hidden = true;
    for (const tr of historyRoot.querySelectorAll('#history-table tbody tr')) tr.setAttribute('aria-current', 'false');
  }

  h('#history-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(false); });
  h('#history-more').addEventListener('click', () => search(true));
  h('#history-chat-close').addEventListener('click', closeTranscript);

  // --- offline requests --------------------------------------------------
  // loadOffline reads the offline requests of the form's days, up to
  // offlineReads pages (more: the next pages of the same days).
  async function loadOffline(more) {
    const form = o('#offline-form');
    const ask = ++offlineAsk;
    if (!more) {
      offlineQuery = new URLSearchParams({ offline: 'true', limit: '100' });
      for (const name of ['from', 'to']) {
        const v = form.elements[name].value.trim();
        if (v) offlineQuery.set(name, v);
      }
      offlineNext = '';
    }
    const found = new Map(more ? requests : []);
    o('#offline-more').disabled = true;
    say(o('#offline-status'), t('hist.loading'));
    o('#offline-unanswered').dataset.state = 'loading';
    for (let i = 0; i < offlineReads; i++) {
      const q = new URLSearchParams(offlineQuery);
      if (offlineNext) q.set('cursor', offlineNext);
      const r = await api('GET', '/v1/chats?' + q);
      if (r.signedOut || ask !== offlineAsk) return;
      const fields = fieldsOf(r);
      showErrors(form, fields);
      if (r.status !== 200) {
        o('#offline-more').disabled = false;
        const beside = Object.keys(fields).some((k) => form.querySelector(`.field-error[data-field="${k}"]`));
        say(o('#offline-status'), beside ? t('hist.badFilters') : errorOf(r, t('off.loadFailed')), true);
        o('#offline-unanswered').dataset.state = 'error';
        return;
      }
      for (const c of r.data.items) if (c.offline) found.set(c.id, c);
      offlineNext = r.data.next || '';
      if (!offlineNext) break;
    }
    o('#offline-more').disabled = false;
    requests = found;
    renderOffline();
    say(o('#offline-status'), (referenceProblem + ' ' + (offlineNext ? t('off.moreToRead') : '')).trim(), !!referenceProblem);
    o('#offline-unanswered').dataset.state = 'loaded';
  }

  function renderOffline() {
    const all = Array.from(requests.values());
    const at = (c) => Date.parse(c.startedAt) || 0;
    // Unanswered ones oldest first, the order to answer them in; handled
    // ones newest first.
    const open = all.filter((c) => c.unanswered).sort((a, b) => at(a) - at(b));
    const done = all.filter((c) => !c.unanswered).sort((a, b) => at(b) - at(a));
    for (const [sel, list] of [['#offline-unanswered', open], ['#offline-handled', done]]) {
      const part = o(sel);
      part.querySelector('.count').textContent = String(list.length);
      part.querySelector('.empty').hidden = list.length > 0;
      part.querySelector('ul').replaceChildren(...list.map(requestItem));
    }
    o('#offline-more').hidden = !offlineNext;
  }

  // contact links an e-mail address or a phone number; anything else is text.
  function contact(value) {
    if (!value) return null;
    if (/^[^\s@]+@[^\s@]+$/.test(value)) return el('a', { class: 'contact', href: 'mailto:' + value, text: value });
    if (/^\+?[\d\s()-]{5,}$/.test(value)) return el('a', { class: 'contact', href: 'tel:' + value.replace(/[^\d+]/g, ''), text: value });
    return el('span', { class: 'contact', text: value });
  }

  function requestItem(c) {
    const m = marking.get(c.id) || {};
    const name = c.offlineName || visitorName(c);
    const state = c.unanswered ? 'unanswered' : 'handled';
    return el('li', { class: 'request ' + state, dataset: { chat: c.id, state } },
      el('div', { class: 'req-head' },
        el('strong', { class: 'name', text: name }),
        contact(c.offlineContact),
        el('time', { datetime: c.startedAt, text: when(c.startedAt) }),
        c.unanswered ? null : el('span', { class: 'badge handled', text: t('off.handledMark') })),
      el('p', { class: 'text', text: c.question || '' }),
      c.page ? el('p', { class: 'page' }, el('a', { href: c.page, target: '_blank', rel: 'noopener noreferrer', text: c.page })) : null,
      c.unanswered ? el('button', {
        type: 'button', class: 'mark', disabled: !!m.busy, 'aria-label': t('off.markLabel', { name }),
        text: m.busy ? t('off.marking') : t('off.markHandled'), onclick: () => markHandled(c.id),
      }) : null,
      m.error ? el('p', { class: 'error', role: 'alert', text: t('off.notMarked', { message: m.error }) }) : null);
  }

  async function markHandled(id) {
    const c = requests.get(id);
    if (!c || marking.get(id)?.busy) return;
    marking.set(id, { busy: true });
    renderOffline();
    const r = await startWorkplace().closeChat(id);
    if (!requests.has(id)) return; // signed out meanwhile
    // The socket's chat leaves out false marks: no unanswered is answered.
    if (r.ok && r.frame.chat && !r.frame.chat.unanswered) {
      marking.delete(id);
      requests.set(id, Object.assign({}, c, { unanswered: false }));
      historyItems = historyItems.map((x) => (x.id === id ? Object.assign({}, x, { unanswered: false }) : x));
      say(o('#offline-status'), t('off.marked', { name: c.offlineName || visitorName(c) }));
      renderOffline();
      renderHistory();
      return;
    }
    marking.set(id, { error: (r.error && (r.error.message || r.error.code)) || t('wp.noAnswer') });
    renderOffline();
  }

  o('#offline-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadOffline(false); });
  o('#offline-more').addEventListener('click', () => loadOffline(true));

  return {
    // showHistory lists the chats for the form's filters (the last 7 days
    // at first), with the names of the moment.
    async showHistory() {
      h('#history-table').dataset.state = 'loading';
      if (!(await loadReference())) return;
      fillFilters();
      zoneHint(h('#history-zone'), 'hist.zone');
      search(false);
    },
    // showOffline lists the requests of the last 30 days at first.
    async showOffline() {
      o('#offline-unanswered').dataset.state = 'loading';
      if (!(await loadReference())) return;
      zoneHint(o('#offline-zone'), 'off.zone');
      if (!offlineQuery) o('#offline-form').elements.from.value = dayOf(new Date(Date.now() - 29 * 86_400_000));
      loadOffline(false);
    },
    // reset forgets everything shown, for the next person at this browser.
    reset() {
      historyAsk++;
      offlineAsk++;
      people = new Map(); departments = new Map(); paths = []; zone = ''; referenceProblem = '';
      historyQuery = null; historyNext = ''; historyItems = []; openId = ''; opened = null;
      offlineQuery = null; offlineNext = ''; requests = new Map(); marking = new Map();
      for (const f of [h('#history-form'), o('#offline-form')]) { f.reset(); showErrors(f, {}); }
      fillFilters();
      h('#history-table tbody').replaceChildren();
      delete h('#history-table').dataset.state;
      delete o('#offline-unanswered').dataset.state;
      h('#history-more').hidden = true;
      h('#history-chat').hidden = true;
      for (const p of [h('#history-status'), h('#history-zone'), o('#offline-status'), o('#offline-zone')]) say(p, '');
      renderOffline();
    },
    // translated re-renders what the code wrote, after a language change.
    translated() {
      fillFilters();
      if (historyQuery) { zoneHint(h('#history-zone'), 'hist.zone'); renderHistory(); }
      renderTranscript();
      if (offlineQuery) zoneHint(o('#offline-zone'), 'off.zone');
      renderOffline();
    },
  };
}

// --- my profile ---------------------------------------------------------------

// createProfile makes the signed-in person's own page: their photo, name,
// e-mail, the languages they answer in, the console's language, and their
// password. It offers only what the API lets them change
// (PATCH /v1/people/{id}): administrators everything, the e-mail included;
// supervisors and operators their name, photo and languages, never their
// e-mail; operators not even those while features.hiddenProfiles is on
// (SPEC §2.7: they may only view their profile then). The password is not
// part of the profile: every role changes their own, hidden profiles or
// not, with the current one (POST /v1/auth/password/change). Whoever has
// forgotten the current one is mailed a reset link instead
// (POST /v1/auth/password-reset), as the sign-in page does.
function createProfile({ root, api, errorOf, showErrors, user, keepUser, applyLanguage, signOutSaying }) {
  const p = (sel) => root.querySelector(sel);
  let me = null; // the profile as the API last showed it
  let hidden = false; // features.hiddenProfiles of the account
  let ask = 0; // the newest read: answers to older ones are dropped

  function say(sel, text, isError) {
    const e = p(sel);
    e.textContent = text;
    e.classList.toggle('error', !!isError);
  }

  function fieldsOf(r) { return (r.data && r.data.error && r.data.error.fields) || {}; }

  // may says what this person may change of their own profile, by the
  // rules of internal/account (CanEdit).
  function may() {
    const role = me ? me.role : user().role;
    const own = !(role === 'operator' && hidden);
    return { name: own, photo: own, languages: own, interfaceLanguage: own, email: role === 'administrator' };
  }

  function path(suffix) { return '/v1/people/' + encodeURIComponent(me ? me.id : user().id) + (suffix || ''); }

  function clearMessages() {
    for (const f of [p('#profile-form'), p('#interface-form'), p('#photo-form'), p('#password-form')]) showErrors(f, {});
    for (const s of ['#profile-status', '#interface-status', '#photo-status', '#password-status', '#profile-reset-status', '#profile-load-status']) say(s, '');
  }

  // render writes the profile into the page; with form, into the fields
  // too (not after a photo change, which would undo what is typed).
  function render(form) {
    const can = may();
    p('#profile-role').textContent = me ? t('profile.role', { role: t('roleName.' + me.role) }) : '';
    p('#profile-locked').hidden = !(me && !can.name);
    p('#profile-locked').textContent = t('profile.locked');
    if (!me) return;
    const f = p('#profile-form');
    if (form) {
      f.elements.name.value = me.name || '';
      f.elements.email.value = me.email || '';
      for (const box of f.querySelectorAll('input[name="languages"]')) box.checked = (me.languages || []).includes(box.value);
    }
    p('#profile-fields').disabled = !(can.name || can.email);
    f.elements.name.readOnly = !can.name;
    f.elements.email.readOnly = !can.email;
    for (const box of f.querySelectorAll('input[name="languages"]')) box.disabled = !can.languages;
    p('#profile-email-hint').textContent = can.email ? t('profile.emailHintAdmin') : t('profile.emailHintOther');
    const select = p('#interface-form').elements.interfaceLanguage;
    select.value = me.interfaceLanguage;
    select.disabled = !can.interfaceLanguage;
    p('#password-fields').disabled = false;
    p('#profile-reset').disabled = false;
    renderPhoto();
  }

  function renderPhoto() {
    const can = may();
    const img = p('#profile-photo');
    if (me.photoUrl) {
      if (img.getAttribute('src') !== me.photoUrl) img.src = me.photoUrl;
    } else {
      img.removeAttribute('src');
    }
    img.alt = t('profile.photoAlt', { name: me.name || me.email });
    img.hidden = !me.photoUrl;
    p('#profile-no-photo').hidden = !!me.photoUrl;
    p('#profile-photo-file').disabled = !can.photo;
    p('#profile-photo-remove').hidden = !me.photoUrl || !can.photo;
  }

  // show reads the profile afresh, and whether profiles are hidden.
  async function show() {
    const n = ++ask;
    root.dataset.state = 'loading';
    clearMessages();
    say('#profile-load-status', t('hist.loading'));
    const [r, f] = await Promise.all([api('GET', path()), api('GET', '/v1/settings/features')]);
    if (r.signedOut || f.signedOut || n !== ask) return;
    if (r.status !== 200) {
      say('#profile-load-status', errorOf(r, t('profile.loadFailed')), true);
      root.dataset.state = 'error';
      return;
    }
    // Unknown (the features could not be read): offer the fields, and the
    // API's refusal, if it comes, is shown.
    hidden = f.status === 200 && !!f.data.hiddenProfiles;
    me = r.data;
    keepUser(me);
    say('#profile-load-status', '');
    render(true);
    root.dataset.state = 'loaded';
  }

  p('#profile-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!me) return;
    const f = ev.target;
    const can = may();
    const body = {};
    if (can.name) body.name = f.elements.name.value;
    if (can.languages) body.languages = Array.from(f.querySelectorAll('input[name="languages"]:checked'), (b) => b.value);
    const email = f.elements.email.value.trim();
    const newEmail = can.email && email !== me.email;
    if (newEmail) body.email = email;
    say('#profile-status', '');
    const r = await api('PATCH', path(), body);
    if (r.signedOut) return;
    const fields = fieldsOf(r);
    showErrors(f, fields);
    if (r.status === 200) {
      // A new e-mail ends every session of the person, this one too.
      if (newEmail && r.data.email !== me.email) { signOutSaying(t('profile.emailChanged', { email: r.data.email }), r.data.email); return; }
      me = r.data;
      keepUser(me);
      render(true);
      say('#profile-status', t('profile.saved'));
      return;
    }
    const beside = Object.keys(fields).some((k) => f.querySelector(`.field-error[data-field="${k}"]`));
    say('#profile-status', beside ? t('profile.seeFields') : errorOf(r, t('profile.notSaved')), true);
  });
  // An edit makes an earlier "Saved." untrue.
  p('#profile-form').addEventListener('input', () => say('#profile-status', ''));

  // The console's language is saved, and switched, as soon as it is chosen.
  p('#interface-form').addEventListener('submit', (ev) => ev.preventDefault());
  p('#interface-form').elements.interfaceLanguage.addEventListener('change', async (ev) => {
    if (!me) return;
    const select = ev.target;
    const lang = select.value;
    select.disabled = true;
    say('#interface-status', '');
    const r = await api('PATCH', path(), { interfaceLanguage: lang });
    select.disabled = !may().interfaceLanguage;
    if (r.signedOut) return;
    const fields = fieldsOf(r);
    showErrors(p('#interface-form'), fields);
    if (r.status === 200) {
      me = r.data;
      keepUser(me);
      applyLanguage(me.interfaceLanguage);
      say('#interface-status', t('profile.languageSaved'));
      return;
    }
    select.value = me.interfaceLanguage;
    say('#interface-status', fields.interfaceLanguage ? t('profile.seeFields') : errorOf(r, t('profile.notSaved')), true);
  });

  // A chosen photo is uploaded at once; the API checks it (type, size).
  p('#profile-photo-file').addEventListener('change', async (ev) => {
    const input = ev.target;
    const file = input.files && input.files[0];
    if (!file || !me) return;
    input.disabled = true;
    say('#photo-status', t('profile.uploading'));
    const r = await api('PUT', path('/photo'), file);
    input.disabled = !may().photo;
    input.value = '';
    if (r.signedOut) return;
    const fields = fieldsOf(r);
    showErrors(p('#photo-form'), fields);
    if (r.status === 200) {
      me = r.data;
      renderPhoto();
      say('#photo-status', t('profile.photoSaved'));
      return;
    }
    say('#photo-status', fields.photo ? t('profile.photoNotSaved') : errorOf(r, t('profile.photoNotSaved')), true);
  });

  p('#profile-photo-remove').addEventListener('click', async () => {
    if (!me) return;
    const r = await api('DELETE', path('/photo'));
    if (r.signedOut) return;
    showErrors(p('#photo-form'), {});
    if (r.status === 200) {
      me = r.data;
      renderPhoto();
      say('#photo-status', t('profile.photoRemoved'));
      return;
    }
    say('#photo-status', errorOf(r, t('profile.photoNotRemoved')), true);
  });

  // The repeat never goes to the API: it is checked here. On success the
  // API ends the person's other sessions and keeps this one, so the
  // console stays signed in with the tokens it has.
  p('#password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!me) return;
    const f = ev.target;
    say('#password-status', '');
    if (f.elements.newPassword.value !== f.elements.repeat.value) {
      showErrors(f, { repeat: t('profile.passwordMismatch') });
      return;
    }
    // Disabled while asked, so a second press does not count as another
    // guess of the current password.
    p('#password-fields').disabled = true;
    const r = await api('POST', '/v1/auth/password/change', { currentPassword: f.elements.currentPassword.value, newPassword: f.elements.newPassword.value });
    // Signed out meanwhile: reset() has cleared and disabled the form.
    if (r.signedOut || !me) return;
    p('#password-fields').disabled = false;
    const fields = fieldsOf(r);
    showErrors(f, fields);
    if (r.status === 200) {
      f.reset();
      say('#password-status', t('profile.passwordChanged'));
      return;
    }
    // A 429 (too many wrong guesses) has no fields: its message, which
    // says how long to wait, goes in the status.
    const beside = Object.keys(fields).some((k) => f.querySelector(`.field-error[data-field="${k}"]`));
    say('#password-status', beside ? t('profile.passwordSeeFields') : errorOf(r, t('profile.passwordNotChanged')), true);
  });
  // Typing again starts a new attempt: the last one's word goes.
  p('#password-form').addEventListener('input', () => say('#password-status', ''));

  p('#profile-reset').addEventListener('click', async () => {
    if (!me) return;
    const button = p('#profile-reset');
    button.disabled = true;
    const r = await api('POST', '/v1/auth/password-reset', { email: me.email });
    button.disabled = false;
    if (r.signedOut) return;
    if (r.status === 202) { say('#profile-reset-status', t('profile.resetSent', { email: me.email })); return; }
    say('#profile-reset-status', errorOf(r, t('profile.resetFailed')), true);
  });

  return {
    show,
    // reset forgets the profile shown, for the next person at this browser.
    reset() {
      ask++;
      me = null;
      hidden = false;
      for (const f of [p('#profile-form'), p('#interface-form'), p('#photo-form'), p('#password-form')]) f.reset();
      clearMessages();
      p('#profile-fields').disabled = true;
      p('#password-fields').disabled = true;
      p('#interface-form').elements.interfaceLanguage.disabled = true;
      p('#profile-reset').disabled = true;
      p('#profile-photo').hidden = true;
      p('#profile-photo').removeAttribute('src');
      p('#profile-no-photo').hidden = false;
      p('#profile-photo-remove').hidden = true;
      p('#profile-role').textContent = '';
      p('#profile-locked').hidden = true;
      delete root.dataset.state;
    },
    // translated re-writes what the code wrote, after a language change.
    translated() { render(false); },
  };
}

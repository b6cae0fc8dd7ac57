// The console talks to the HTTP API under /v1 of the same origin locally,
// or of config.json's apiUrl when the console is served from CloudFront.
(function () {
  'use strict';
  let apiBase = '';
  let etag = null;
  const $ = (sel) => document.querySelector(sel);

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

  async function api(method, path, body, headers) {
    const h = Object.assign({ 'content-type': 'application/json' }, headers || {});
    const token = sessionStorage.getItem('parley.token');
    if (token) h.authorization = 'Bearer ' + token;
    const r = await fetch(apiBase + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: { message: text } }; }
    return { status: r.status, data, etag: r.headers.get('etag') };
  }

  function showErrors(fields) {
    document.querySelectorAll('.field-error').forEach((p) => { p.textContent = (fields && fields[p.dataset.field]) || ''; });
  }

  function status(text, isError) {
    const p = $('#company-status');
    p.textContent = text;
    p.classList.toggle('error', !!isError);
  }

  async function showSettings() {
    $('#login-view').hidden = true;
    $('#settings-view').hidden = false;
    $('#logout').hidden = false;
    const user = JSON.parse(sessionStorage.getItem('parley.user') || '{}');
    $('#who').textContent = user.email ? user.email + ' (' + user.role + ')' : '';
    $('#widget-link').href = 'widget/demo.html?account=' + encodeURIComponent(user.accountId || '');
    // The form stays disabled until the settings arrive: saving the empty
    // form before then would overwrite them, and without an If-Match.
    $('#company-fields').disabled = true;
    const r = await api('GET', '/v1/settings/company');
    if (r.status === 401 || r.status === 403) { return signOut(); }
    if (r.status !== 200) { status((r.data && r.data.error && r.data.error.message) || 'Could not load the settings.', true); return; }
    etag = r.etag;
    const f = $('#company-form');
    for (const k of ['name', 'timezone', 'website', 'language']) f.elements[k].value = r.data[k] || '';
    $('#company-fields').disabled = false;
  }

  // signOut also forgets what the last user typed or was told, so the next
  // person at this browser sees neither a password nor old messages.
  function signOut() {
    sessionStorage.clear();
    etag = null;
    $('#login-form').reset();
    $('#company-form').reset();
    $('#company-fields').disabled = true;
    showErrors({});
    status('');
    $('#login-view').hidden = false;
    $('#settings-view').hidden = true;
    $('#logout').hidden = true;
    $('#who').textContent = '';
  }

  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const r = await api('POST', '/v1/auth/login', { email: f.email.value, password: f.password.value });
    if (r.status !== 200) { $('#login-error').textContent = (r.data && r.data.error && r.data.error.message) || 'Sign-in failed'; return; }
    $('#login-error').textContent = '';
    sessionStorage.setItem('parley.token', r.data.token);
    sessionStorage.setItem('parley.user', JSON.stringify(r.data.user));
    showSettings();
  });

  $('#company-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const body = { name: f.elements.name.value, timezone: f.elements.timezone.value, website: f.elements.website.value, language: f.elements.language.value };
    const r = await api('PATCH', '/v1/settings/company', body, etag ? { 'if-match': etag } : {});
    if (r.status === 401) { return signOut(); }
    if (r.status === 200) { etag = r.etag; showErrors({}); status('Saved.'); return; }
    status((r.data && r.data.error && r.data.error.message) || 'Not saved.', true);
    showErrors(r.data && r.data.error && r.data.error.fields);
  });
  // An edit makes an earlier "Saved." untrue.
  $('#company-form').addEventListener('input', () => status(''));
  $('#logout').addEventListener('click', signOut);

  loadConfig().then(() => { if (sessionStorage.getItem('parley.token')) showSettings(); });
})();

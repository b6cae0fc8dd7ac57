// The visitor widget: loads the account's widget config (which also gives
// the visitor a token, kept in localStorage so a returning visitor is
// recognised), opens the WebSocket and exchanges messages (protocol v1).
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  const log = document.getElementById('log');
  const state = document.getElementById('state');
  function line(cls, text) { const p = document.createElement('p'); p.className = cls; p.textContent = text; log.appendChild(p); log.scrollTop = log.scrollHeight; }

  async function start() {
    const cfg = await (await fetch('../config.json', { cache: 'no-store' }).catch(() => null))?.json?.() || {};
    const apiBase = (cfg.apiUrl || '').replace(/\/$/, '');
    const key = 'parley.visitor.' + account;
    const old = localStorage.getItem(key) || '';
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(account) + '/config?visitorToken=' + encodeURIComponent(old));
    if (!r.ok) { state.textContent = 'Chat unavailable'; return; }
    const w = await r.json();
    localStorage.setItem(key, w.visitorToken);
    state.textContent = w.button === 'online' ? 'Operators are online' : 'No operator online: leave a message';
    if (w.greeting) line('system', w.greeting);
    const ws = new WebSocket(w.websocketUrl + '?visitorToken=' + encodeURIComponent(w.visitorToken));
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.type === 'message') line(f.from.kind, f.text);
      if (f.type === 'error') line('system', f.error.message);
    };
    ws.onclose = () => { state.textContent = 'Disconnected'; };
    document.getElementById('send').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = document.getElementById('text');
      if (!t.value.trim()) return;
      ws.send(JSON.stringify({ action: 'sendMessage', clientId: crypto.randomUUID(), text: t.value }));
      line('visitor', t.value);
      t.value = '';
    });
  }
  start().catch((e) => { state.textContent = 'Chat unavailable'; console.error(e); });
})();

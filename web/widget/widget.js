// The visitor widget: loads the account's widget config (which also gives
// the visitor a token, kept in localStorage so a returning visitor is
// recognised), opens the WebSocket and exchanges messages (protocol v2,
// docs/websocket.md): hello replays the open chat, the first message starts
// one, and each message is shown once, by its seq.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  const log = document.getElementById('log');
  const state = document.getElementById('state');
  function line(cls, text) { const p = document.createElement('p'); p.className = cls; p.textContent = text; log.appendChild(p); log.scrollTop = log.scrollHeight; }

  const form = document.getElementById('send');
  const sendButton = form.querySelector('button');
  // Nothing can be sent until the socket is open: send() would throw.
  sendButton.disabled = true;

  // config.json exists only where the page is served apart from the API
  // (CloudFront); elsewhere it is a 404 page, not JSON, and the API is on
  // the same origin.
  async function loadConfig() {
    try {
      const r = await fetch('../config.json', { cache: 'no-store' });
      if (r.ok) return await r.json();
    } catch (e) { /* same origin */ }
    return {};
  }

  async function start() {
    const cfg = await loadConfig();
    const apiBase = (cfg.apiUrl || '').replace(/\/$/, '');
    const key = 'parley.visitor.' + account;
    const old = localStorage.getItem(key) || '';
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(account) + '/config?visitorToken=' + encodeURIComponent(old));
    if (!r.ok) { state.textContent = 'Chat unavailable'; return; }
    const w = await r.json();
    localStorage.setItem(key, w.visitorToken);
    state.textContent = w.button === 'online' ? 'Operators are online' : 'No operator online: leave a message';
    const ws = new WebSocket(w.websocketUrl + '?visitorToken=' + encodeURIComponent(w.visitorToken));
    let chatId = '';
    const shown = new Set();
    const show = (m) => { if (!shown.has(m.seq)) { shown.add(m.seq); line(m.from.kind, m.text); } };
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.chat && f.chat.status !== 'closed') chatId = f.chat.id;
      if (f.type === 'state' || f.type === 'chat') (f.messages || []).forEach(show);
      if (f.type === 'message') show(f);
      if (f.type === 'sent') { chatId = f.chatId; shown.add(f.seq); }
      if (f.type === 'teleport') location.href = f.url;
      if (f.type === 'error') line('system', f.error.message);
    };
    ws.onopen = () => { ws.send(JSON.stringify({ action: 'hello' })); sendButton.disabled = false; };
    ws.onclose = () => { state.textContent = 'Disconnected'; sendButton.disabled = true; };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = document.getElementById('text');
      if (!t.value.trim() || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ action: 'sendMessage', chatId, clientId: crypto.randomUUID(), text: t.value }));
      line('visitor', t.value);
      t.value = '';
    });
  }
  start().catch((e) => { state.textContent = 'Chat unavailable'; console.error(e); });
})();

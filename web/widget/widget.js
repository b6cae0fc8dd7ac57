// The visitor widget: loads the account's widget config (which also gives
// the visitor a token, kept in localStorage so a returning visitor is
// recognised), opens the WebSocket and exchanges messages (protocol v2,
// docs/websocket.md): hello replays the open chat, the first message starts
// one, and each message is shown once, by its seq. With the offline button
// it shows the offline form (leaveMessage); after a chat with an operator
// closes it offers the rating and, when the account allows it, the
// transcript by mail.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const state = $('state');
  function line(cls, text) { const p = document.createElement('p'); p.className = cls; p.textContent = text; log.appendChild(p); log.scrollTop = log.scrollHeight; }

  const form = $('send');
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

  // show reveals exactly the given forms of the widget.
  function show(...ids) {
    for (const id of ['prechat', 'send', 'offline', 'rating', 'transcript']) $(id).hidden = !ids.includes(id);
  }

  async function start() {
    const cfg = await loadConfig();
    const apiBase = (cfg.apiUrl || '').replace(/\/$/, '');
    const key = 'parley.visitor.' + account;
    const old = localStorage.getItem(key) || '';
    // The placement's options (askQuestion, askDepartment, language) come
    // from the embed's query string and shape the pre-chat form.
    const q = new URLSearchParams({ visitorToken: old });
    for (const k of ['askQuestion', 'askDepartment', 'language']) if (params.get(k)) q.set(k, params.get(k));
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(account) + '/config?' + q);
    if (!r.ok) { state.textContent = 'Chat unavailable'; return; }
    const w = await r.json();
    localStorage.setItem(key, w.visitorToken);
    if (w.button === 'hidden') { $('chat').hidden = true; return; }
    const online = w.button === 'online';
    state.textContent = online ? 'Operators are online' : 'No operator online: leave a message';
    // Pre-chat: the config may ask for the first question and a department
    // before the chat starts (SPEC §3, chat start).
    const departments = Array.isArray(w.departments) ? w.departments : [];
    const prechat = online && (w.askQuestion || departments.length > 0);
    if (departments.length > 0) {
      const sel = $('department');
      sel.hidden = false;
      for (const d of departments) { const o = document.createElement('option'); o.value = d.id; o.textContent = d.name; sel.appendChild(o); }
    }
    show(online ? (prechat ? 'prechat' : 'send') : 'offline');

    const ws = new WebSocket(w.websocketUrl + '?visitorToken=' + encodeURIComponent(w.visitorToken));
    const send = (f) => ws.send(JSON.stringify(f));
    let chatId = '';
    let rated = '';
    const shown = new Set();
    const showMessage = (m) => { if (!shown.has(m.chatId + '/' + m.seq)) { shown.add(m.chatId + '/' + m.seq); line(m.from.kind, m.text); } };
    // While the chat waits in the common queue (every operator busy) the
    // header says where it stands; the server sends a queue frame each
    // time the queue moves.
    let queued = false;
    function onQueue(f) {
      queued = true;
      const wait = f.waitSeconds ? ', about ' + Math.max(1, Math.round(f.waitSeconds / 60)) + ' min' : '';
      state.textContent = 'All operators are busy: you are number ' + f.position + ' in the queue' + wait;
    }
    function onChat(c) {
      chatId = c.id;
      if (queued && c.status !== 'waiting') { queued = false; state.textContent = c.status === 'active' ? 'An operator has joined' : 'The chat has ended'; }
      $('close').hidden = c.status === 'closed' || c.offline;
      if (c.offline) { show(); state.textContent = 'Thank you: we will get back to you'; return; }
      if (c.status === 'closed' && c.operatorId) {
        // Rating after close; the transcript when the account allows it.
        show(...(c.rating || rated ? [] : ['rating']), ...(w.visitorTranscriptEmail === false ? [] : ['transcript']));
        state.textContent = c.rating || rated ? 'Thank you for your rating' : 'The chat has ended';
      } else if (c.status !== 'closed' && online) {
        show('send');
      }
    }
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.chat) onChat(f.chat);
      if (f.type === 'state' || f.type === 'chat') (f.messages || []).forEach(showMessage);
      if (f.type === 'message') showMessage(f);
      if (f.type === 'sent') { chatId = f.chatId; shown.add(f.chatId + '/' + f.seq); }
      if (f.type === 'ok' && f.transcript) { $('transcript').hidden = true; line('system', 'The transcript is on its way'); }
      if (f.type === 'teleport') location.href = f.url;
      if (f.type === 'queue') onQueue(f);
      if (f.type === 'error') line('system', f.error.message);
    };
    ws.onopen = () => { send({ action: 'hello', page: location.href }); sendButton.disabled = false; };
    ws.onclose = () => { state.textContent = 'Disconnected'; sendButton.disabled = true; };
    const open = () => ws.readyState === WebSocket.OPEN;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('text');
      if (!t.value.trim() || !open()) return;
      // language: a first message starts the chat, in the placement's language.
      send({ action: 'sendMessage', chatId, clientId: crypto.randomUUID(), text: t.value, language: w.language });
      line('visitor', t.value);
      t.value = '';
    });
    $('prechat').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = $('question').value.trim();
      if ((w.askQuestion && !q) || !open()) return;
      send({ action: 'startChat', question: q || undefined, departmentId: departments.length ? $('department').value : undefined, language: w.language, page: location.href });
    });
    $('offline').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!open()) return;
      send({ action: 'leaveMessage', name: $('offline-name').value, contact: $('offline-contact').value, text: $('offline-text').value, page: location.href });
    });
    $('rating').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const rating = ev.submitter && ev.submitter.value;
      if (!rating || !chatId || !open()) return;
      rated = rating;
      send({ action: 'rate', chatId, rating });
    });
    $('transcript').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const email = $('transcript-email').value.trim();
      if (!email || !chatId || !open()) return;
      send({ action: 'sendTranscript', chatId, email });
    });
    $('close').addEventListener('click', () => { if (chatId && open()) send({ action: 'closeChat', chatId }); });
  }
  start().catch((e) => { state.textContent = 'Chat unavailable'; console.error(e); });
})();

// The operator workplace: the staff side of the WebSocket protocol
// (docs/websocket.md). It opens the socket with the access token, says
// hello and keeps the four lists of the state frame (waiting, the common
// queue oldest first, mine, other operators') current from chat pushes.
// Opening a chat shows its transcript (history), live messages, typing
// and read marks both ways; the operator answers (each message with its
// own clientId, resent with the same one, one at a time so they are stored
// in the order typed), takes, categorises, redirects, teleports and closes
// chats, and uses templates (the chat language's set, and suggestions
// while typing). A closed socket is reopened with back-off, and hello
// again returns the state. Every error frame is shown to the operator.
// What needs the person's eye (a new chat for them, a visitor writing in
// a chat they are not looking at, a new visitor on the site) is counted in
// the page's title until they look, and alerted with a short sound and a
// desktop notification, each switched on or off per person in this browser.
import { t, language } from './i18n.js';
import { el } from './dom.js';

const backoffSeconds = [1, 2, 4, 8, 15, 30];
const requestTimeoutMs = 20_000;
const typingRepeatMs = 3_000; // a typing operator says so again this often
const typingIdleMs = 4_000; // and stops after this long without a key
const typingShownMs = 8_000; // a peer's typing shows at most this long without news
const suggestDelayMs = 250;
const pingMs = 4 * 60_000; // under API Gateway's 10-minute idle limit
const watchMs = 5_000; // how often another operator's open chat is re-read
const maxShown = 5; // errors and notices kept on screen
const gatherMs = 400; // a new chat's alert waits this long for the visitor's first message
const beepGapMs = 1_500; // alerts closer together than this make one sound

// What alerts reach the person in this browser, unless they say otherwise.
const alertDefaults = { sound: true, desktop: true };

// reveal (optional) shows the workplace when it is not the page shown:
// clicking a desktop notification brings the person to the chat.
export function createWorkplace({ root, api, refresh, user, websocketURL, reveal }) {
  const $ = (sel) => root.querySelector(sel);

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // --- state ---------------------------------------------------------------
  let wanted = false; // started and not stopped: keep a socket open
  let ws = null;
  let connecting = false;
  let revoked = false; // the server said why it ends this socket (session ended, address refused)
  let attempt = 0;
  let retryTimer = 0;
  let countdownTimer = 0;
  let pingTimer = 0;
  let tickTimer = 0;
  let watchTimer = 0;
  let connState = { kind: 'idle' };
  let me = '';
  let role = '';
  let settings = null;
  let departments = new Map();
  let people = new Map();
  let chats = new Map(); // id -> the chat as the server last showed it
  let queueOrder = new Map(); // id -> arrival number in the common queue
  let arrival = 0;
  let messages = new Map(); // chat id -> Map(seq -> message)
  let loaded = new Set(); // chats whose history has been read
  let historyAsked = new Set();
  let outbox = []; // the operator's messages not yet stored, in order
  let inflight = null;
  let requests = new Map(); // clientId -> pending request
  let identities = new Map(); // visitor id -> { visitor, crmUrl }
  let unread = new Map(); // chat id -> visitor messages the person has not looked at
  let unseenChats = new Set(); // chats new for this person (waiting, or routed to them), not opened yet
  let unseenVisitors = 0; // new-visitor notices that came while nobody looked at the workplace
  let gathering = new Map(); // chat id -> timer of its new-chat alert
  let shownNotes = new Map(); // tag -> the desktop notification shown under it
  let lastBeep = 0;
  let typingIn = new Map(); // chat id -> { text, until }
  let typingOut = null; // { chatId, lastSent, idle }
  let templatesByLang = new Map();
  let chatLanguage = new Map(); // chat id -> the language its templates frame named
  let lastSuggest = '';
  let suggestTimer = 0;
  let openId = '';
  let ownTakes = new Set(); // chats this page took or answered: no "new chat" notice for those
  let presence = sessionStorage.getItem('parley.presence') || 'online';
  let firstState = true;
  let readyWaiters = []; // callers of whenReady, told at the next state frame

  function reset() {
    clearTimeout(retryTimer); clearInterval(countdownTimer); clearInterval(pingTimer); clearInterval(tickTimer); clearInterval(watchTimer);
    clearTimeout(suggestTimer);
    for (const r of requests.values()) clearTimeout(r.timer);
    attempt = 0; me = ''; role = ''; settings = null; departments = new Map(); people = new Map();
    chats = new Map(); queueOrder = new Map(); arrival = 0; messages = new Map(); loaded = new Set(); historyAsked = new Set();
    outbox = []; inflight = null; requests = new Map(); ownTakes = new Set(); identities = new Map(); unread = new Map(); typingIn = new Map();
    for (const timer of gathering.values()) clearTimeout(timer);
    for (const n of shownNotes.values()) closeNote(n);
    unseenChats = new Set(); unseenVisitors = 0; gathering = new Map(); shownNotes = new Map();
    typingOut = null; templatesByLang = new Map(); chatLanguage = new Map(); lastSuggest = ''; openId = ''; firstState = true;
    presence = 'online';
    for (const w of readyWaiters.splice(0)) w(false);
    $('#wp-errors').replaceChildren();
    $('#wp-notices').replaceChildren();
    $('#reply').value = '';
    hidePanels();
    setConn({ kind: 'idle' });
    render();
  }

  // --- connection ----------------------------------------------------------
  function connected() { return !!ws && ws.readyState === WebSocket.OPEN; }

  function setConn(s) {
    connState = s;
    const p = $('#ws-status');
    p.classList.toggle('error', s.kind === 'retry');
    p.classList.toggle('ok', s.kind === 'open');
    p.dataset.state = s.kind;
    if (s.kind === 'connecting') p.textContent = t('wp.connecting');
    else if (s.kind === 'open') p.textContent = t('wp.connected');
    else if (s.kind === 'retry') p.textContent = t('wp.reconnecting', { n: s.seconds });
    else p.textContent = '';
  }

  async function connect() {
    if (!wanted || ws || connecting) return;
    setConn({ kind: 'connecting' });
    let url;
    connecting = true;
    try {
      url = await websocketURL();
    } catch (e) {
      showError({ code: 'unavailable', text: t('wp.noUrl', { message: e.message }) });
      retry(true);
      return;
    } finally {
      connecting = false;
    }
    if (!wanted || ws) return;
    const token = sessionStorage.getItem('parley.token') || '';
    const sock = new WebSocket(url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token));
    ws = sock;
    let opened = false;
    revoked = false;
    sock.onopen = () => {
      if (ws !== sock) return;
      opened = true;
      sock.send(JSON.stringify({ action: 'hello' }));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => sendFrame({ action: 'ping' }), pingMs);
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { showError({ code: 'invalid', message: String(ev.data).slice(0, 200) }); return; }
      onFrame(f);
    };
    // An error is followed by close, which decides what to do.
    sock.onerror = () => {};
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      clearInterval(pingTimer);
      typingOut = null;
      // What was asked on this socket will not be answered on it.
      for (const [id, r] of requests) {
        clearTimeout(r.timer);
        requests.delete(id);
        r.resolve({ ok: false, error: { code: 'disconnected', message: t('wp.connectionLost') }, lost: true });
      }
      if (wanted) retry(!opened || revoked);
    };
  }

  // retry reopens the socket after a back-off. A socket refused before it
  // opened most often had an expired access token: renew it first (a
  // refresh token that no longer works signs the person out).
  function retry(refused) {
    if (!wanted) return;
    const seconds = backoffSeconds[Math.min(attempt, backoffSeconds.length - 1)] * (0.8 + Math.random() * 0.4);
    attempt++;
    const due = Date.now() + seconds * 1000;
    const tick = () => setConn({ kind: 'retry', seconds: Math.max(1, Math.ceil((due - Date.now()) / 1000)) });
    tick();
    clearInterval(countdownTimer);
    countdownTimer = setInterval(tick, 1000);
    const renewed = refused ? renew() : null;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(async () => {
      await renewed;
      clearInterval(countdownTimer);
      connect();
    }, seconds * 1000);
  }

  async function renew() {
    try {
      // A refresh token that no longer works ends the session: the check
      // of /v1/account then signs the person out (and stops this).
      if (!(await refresh())) await api('GET', '/v1/account');
    } catch (e) { /* the server is unreachable: the back-off goes on */ }
  }

  function sendFrame(frame) {
    if (!connected()) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // request sends a frame with a clientId and resolves with the reply:
  // { ok: true, frame } or { ok: false, error }. Error frames are shown as
  // they arrive (onFrame); a request that cannot be sent or gets no answer
  // is shown here. It never rejects.
  function request(frame) {
    frame.clientId = frame.clientId || frame.action + '-' + uuid();
    return new Promise((resolve) => {
      if (!sendFrame(frame)) {
        const error = { code: 'disconnected', message: t('wp.notConnected'), text: t('wp.notConnected') };
        if (frame.action !== 'sendMessage') showError(error);
        resolve({ ok: false, error, lost: true });
        return;
      }
      const timer = setTimeout(() => {
        requests.delete(frame.clientId);
        const error = { code: 'timeout', message: t('wp.noAnswer'), text: t('wp.noAnswer') };
        showError(error);
        resolve({ ok: false, error });
      }, requestTimeoutMs);
      requests.set(frame.clientId, { frame, resolve, timer });
    });
  }

  // --- frames --------------------------------------------------------------
  function onFrame(f) {
    switch (f.type) {
      case 'state': onState(f); break;
      case 'chat': if (f.chat) upsert(f.chat, { push: !f.clientId }); if (f.messages) addMessages(f.messages); break;
      case 'messages':
        if (f.chat) {
          // A chat first heard of through its history (its message came
          // before its chat push) is announced as a push would be, its
          // visitor's messages unread as if pushed.
          const announced = !chats.has(f.chat.id) && !firstState;
          upsert(f.chat, { push: announced });
          loaded.add(f.chat.id);
          historyAsked.delete(f.chat.id);
          addMessages(f.messages || []);
          const news = (f.messages || []).filter((m) => m.from && m.from.kind === 'visitor').length;
          if (announced && news && forMe(chats.get(f.chat.id)) && !lookingAt(f.chat.id)) unread.set(f.chat.id, news);
          if (f.chat.id === openId) markRead();
        }
        break;
      case 'message': onMessage(f); break;
      case 'typing': onTyping(f); break;
      case 'read': onRead(f); break;
      case 'visitor': onVisitor(f); break;
      case 'presence': presence = f.presence; $('#presence').value = f.presence; break;
      case 'templates': onTemplates(f); break;
      case 'suggestions': onSuggestions(f); break;
      case 'template': onTemplateSaved(f); break;
      case 'error':
        showError(f.error || { code: 'internal', message: JSON.stringify(f) });
        // Not an answer: the server ends this socket, and says why first.
        if (!f.clientId && f.error && (f.error.code === 'unauthorized' || f.error.code === 'forbidden')) revoked = true;
        break;
      default: break; // sent, ok, pong: answers that requests take below
    }
    const r = f.clientId && requests.get(f.clientId);
    if (r) {
      clearTimeout(r.timer);
      requests.delete(f.clientId);
      r.resolve(f.type === 'error' ? { ok: false, error: f.error || {} } : { ok: true, frame: f });
    }
  }

  function onState(f) {
    me = f.id;
    role = f.role;
    attempt = 0;
    clearInterval(countdownTimer);
    setConn({ kind: 'open' });
    const seen = new Set();
    queueOrder = new Map();
    arrival = 0;
    for (const c of f.queued || []) queueOrder.set(c.id, ++arrival);
    for (const name of ['waiting', 'queued', 'mine', 'others', 'missed']) {
      for (const c of f[name] || []) { upsert(c, {}); seen.add(c.id); }
    }
    // What the state no longer lists has closed or gone elsewhere.
    for (const id of Array.from(chats.keys())) if (!seen.has(id) && id !== openId) chats.delete(id);
    // The server keeps an away mark between sessions: say which this page wants.
    request({ action: 'setPresence', status: presence }).then((r) => { if (r.ok) $('#presence').value = r.frame.presence; });
    // Whatever the open chat missed while the socket was closed.
    if (openId) askHistory(openId, firstState ? 0 : contiguous(openId));
    if (!firstState) loadReference();
    firstState = false;
    for (const w of readyWaiters.splice(0)) w(true);
    pump();
    render();
  }

  // whenReady resolves true once the socket is open and hello answered
  // (at once if it is), false after ms or when the workplace stops.
  function whenReady(ms) {
    if (connected() && me) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok) => { clearTimeout(timer); readyWaiters = readyWaiters.filter((w) => w !== done); resolve(ok); };
      const timer = setTimeout(() => done(false), ms);
      readyWaiters.push(done);
    });
  }

  // upsert keeps the server's view of a chat. A push lists every field the
  // chat has, so one it leaves out is gone (a cleared category); only the
  // visitor's identification, which rides on take and state alone, and the
  // marks that only move forward are carried over.
  function upsert(c, { push }) {
    const old = chats.get(c.id);
    const next = Object.assign({}, c);
    if (c.visitor || c.crmUrl) identities.set(c.visitorId, { visitor: c.visitor, crmUrl: c.crmUrl });
    const id = identities.get(c.visitorId);
    if (id) { next.visitor = next.visitor || id.visitor; next.crmUrl = next.crmUrl || id.crmUrl; }
    if (old) {
      next.seq = Math.max(old.seq || 0, c.seq || 0);
      next.visitorRead = Math.max(old.visitorRead || 0, c.visitorRead || 0);
      next.operatorRead = Math.max(old.operatorRead || 0, c.operatorRead || 0);
      next.last = old.last;
    }
    if (next.status === 'waiting' && next.queued) {
      if (!queueOrder.has(c.id)) queueOrder.set(c.id, ++arrival);
    } else {
      queueOrder.delete(c.id);
    }
    chats.set(c.id, next);
    // A chat that starts waiting, or that routing gives this operator,
    // is announced; one they took themselves is not.
    const list = listFor(next);
    const was = old ? listFor(old) : null;
    if (push && was !== list && (list === 'waiting' || list === 'queued' || (list === 'mine' && !ownTakes.has(c.id)))) {
      notice(t('wp.newChat', { who: visitorLabel(next) }), 'chat');
      newChatAlert(c.id);
    }
    // A chat that is no longer this person's to answer needs no more of their eye.
    if (!forMe(next)) forget(c.id);
    if (next.status === 'closed') {
      typingIn.delete(c.id);
      unread.delete(c.id);
      if (c.id !== openId && !leftUnanswered(next)) chats.delete(c.id);
    }
    render();
  }

  function manages() { return role === 'supervisor' || role === 'administrator'; }

  // leftUnanswered: the visitor left before any answer (SPEC §4.5), so the
  // chat sits in the missed list, which it leaves once someone answers.
  function leftUnanswered(c) {
    return !c.answeredAt && (c.outcome === 'missed' || c.outcome === 'refusal') && (!!c.leftAt || c.status === 'closed');
  }

  // timeoutBadges mark a chat whose visitor a timeout sent the busy
  // message (SPEC §4.4), and a missed chat's outcome.
  function timeoutBadges(c) {
    const out = [];
    if (c.busyFirstAt || c.busyAnswerAt) out.push(el('span', { class: 'badge timeout', title: t('wp.timeoutFiredTitle'), text: '⏱ ' + t('wp.timeoutFired') }));
    if (leftUnanswered(c)) out.push(el('span', { class: 'badge outcome', text: t('outcome.' + c.outcome) }));
    return out;
  }

  // listFor says which list shows a chat; null: none (closed, or another
  // operator's while features.hideOthersChats hides them from operators).
  function listFor(c) {
    if (c && c.status !== 'active' && leftUnanswered(c)) return 'missed';
    if (!c || c.status === 'closed') return null;
    if (c.status === 'waiting') return c.queued ? 'queued' : 'waiting';
    if (c.operatorId === me) return 'mine';
    if (!manages() && settings && settings.features && settings.features.hideOthersChats) return null;
    return 'others';
  }

  function onMessage(f) {
    const m = { chatId: f.chatId, seq: f.seq, clientId: f.clientId, from: f.from || {}, text: f.text, at: f.at };
    if (!chats.has(m.chatId)) { askHistory(m.chatId, 0); return; }
    // A gap (a push lost while reconnecting): read what is missing.
    if (loaded.has(m.chatId) && m.seq > contiguous(m.chatId) + 1) askHistory(m.chatId, contiguous(m.chatId));
    addMessages([m]);
    if (m.from.kind === 'visitor') {
      typingIn.delete(m.chatId);
      if (!lookingAt(m.chatId)) {
        unread.set(m.chatId, (unread.get(m.chatId) || 0) + 1);
        // A new chat's alert, still waiting, will carry this text.
        const c = chats.get(m.chatId);
        if (!gathering.has(m.chatId) && forMe(c)) alertChat(m.chatId, visitorLabel(c));
      }
    }
    if (m.chatId === openId) markRead();
    render();
  }

  function addMessages(list) {
    for (const m of list) {
      if (!messages.has(m.chatId)) messages.set(m.chatId, new Map());
      messages.get(m.chatId).set(m.seq, m);
      const c = chats.get(m.chatId);
      if (c) {
        c.seq = Math.max(c.seq || 0, m.seq);
        if (!c.last || c.last.seq <= m.seq) c.last = m;
      }
      // Stored already: a resend after a lost answer, or another tab's.
      if (m.clientId && m.from && m.from.id === me) outbox = outbox.filter((p) => p.clientId !== m.clientId || p === inflight);
    }
    render();
  }

  // contiguous is the last seq of a chat with none missing before it.
  function contiguous(chatId) {
    const ms = messages.get(chatId);
    let n = 0;
    while (ms && ms.has(n + 1)) n++;
    return n;
  }

  function askHistory(chatId, since) {
    if (historyAsked.has(chatId)) return;
    historyAsked.add(chatId);
    request({ action: 'history', chatId, since }).then((r) => {
      historyAsked.delete(chatId);
      if (!r.ok && r.error.code === 'not_found' && chatId !== openId) { chats.delete(chatId); render(); }
    });
  }

  function onTyping(f) {
    if (!f.from || (f.from.kind !== 'visitor' && f.from.id === me)) return;
    if (!f.typing) { typingIn.delete(f.chatId); render(); return; }
    const text = f.from.kind === 'visitor' ? t('wp.isTyping') : t('wp.staffTyping', { name: personName(f.from.id) });
    typingIn.set(f.chatId, { text, until: Date.now() + typingShownMs });
    setTimeout(() => {
      const x = typingIn.get(f.chatId);
      if (x && x.until <= Date.now()) { typingIn.delete(f.chatId); render(); }
    }, typingShownMs + 50);
    render();
  }

  function onRead(f) {
    const c = chats.get(f.chatId);
    if (!c || !f.from) return;
    if (f.from.kind === 'visitor') c.visitorRead = Math.max(c.visitorRead || 0, f.seq);
    else c.operatorRead = Math.max(c.operatorRead || 0, f.seq);
    render();
  }

  // markRead tells the visitor the operator has read their chat, for the
  // chat shown on a visible page that the operator leads.
  function markRead() {
    const c = chats.get(openId);
    if (!c || document.hidden || c.status !== 'active' || c.operatorId !== me) return;
    const seq = contiguous(c.id);
    unread.delete(c.id);
    // Only what someone else wrote needs marking: not the operator's own.
    let news = false;
    for (const [n, m] of messages.get(c.id) || []) if (n <= seq && n > (c.operatorRead || 0) && m.from.id !== me) news = true;
    if (!news) return;
    c.operatorRead = seq;
    request({ action: 'read', chatId: c.id, seq });
  }

  // --- sending -------------------------------------------------------------
  // pump sends the oldest unsent message, one at a time: frames sent
  // together may be handled in any order, and the visitor must read the
  // answers in the order they were typed.
  function pump() {
    if (inflight || !connected()) return;
    const next = outbox.find((p) => p.status === 'queued');
    if (!next) return;
    next.status = 'sending';
    inflight = next;
    ownTakes.add(next.chatId); // answering a waiting chat takes it
    render();
    request({ action: 'sendMessage', chatId: next.chatId, clientId: next.clientId, text: next.text }).then((r) => {
      inflight = null;
      if (r.ok) {
        outbox = outbox.filter((p) => p !== next);
        const f = r.frame;
        addMessages([{ chatId: f.chatId, seq: f.seq, clientId: next.clientId, from: { kind: 'operator', id: me }, text: next.text, at: f.at }]);
        if (f.chatId === openId) markRead();
      } else if (r.lost) {
        next.status = 'queued'; // sent again, with the same clientId, once reconnected
      } else {
        next.status = 'failed';
        next.error = r.error.message || r.error.code;
      }
      render();
      pump();
    });
  }

  function sendReply() {
    const box = $('#reply');
    const text = box.value;
    const c = chats.get(openId);
    if (!text.trim() || !c) return;
    outbox.push({ clientId: 'm-' + uuid(), chatId: c.id, text, status: 'queued' });
    box.value = '';
    stopTyping();
    hideSuggestions();
    render();
    pump();
  }

  function resend(p) {
    p.status = 'queued';
    p.error = '';
    render();
    pump();
  }

  function typed() {
    const c = chats.get(openId);
    if (!c || !canWrite(c)) return;
    const now = Date.now();
    if (!typingOut || typingOut.chatId !== c.id || now - typingOut.lastSent > typingRepeatMs) {
      if (typingOut && typingOut.chatId !== c.id) stopTyping();
      sendFrame({ action: 'typing', chatId: c.id, typing: true, clientId: 'typing-' + uuid() });
      typingOut = { chatId: c.id, lastSent: now, idle: 0 };
    }
    clearTimeout(typingOut.idle);
    typingOut.idle = setTimeout(stopTyping, typingIdleMs);
  }

  function stopTyping() {
    if (!typingOut) return;
    clearTimeout(typingOut.idle);
    sendFrame({ action: 'typing', chatId: typingOut.chatId, typing: false, clientId: 'typing-' + uuid() });
    typingOut = null;
  }

  // --- templates -----------------------------------------------------------
  function onTemplates(f) {
    templatesByLang.set(f.language, f.sections || []);
    chatLanguage.set(f.chatId, f.language);
    renderTemplates();
  }

  function templatesOf(c) {
    const lang = chatLanguage.has(c.id) ? chatLanguage.get(c.id) : c.language || '';
    return templatesByLang.get(lang);
  }

  function askTemplates(c) {
    if (templatesOf(c)) return;
    request({ action: 'templates', chatId: c.id });
  }

  function suggestSoon() {
    clearTimeout(suggestTimer);
    const text = $('#reply').value.trim();
    const c = chats.get(openId);
    if (!text || !c) { hideSuggestions(); return; }
    suggestTimer = setTimeout(() => {
      lastSuggest = 'suggest-' + uuid();
      request({ action: 'suggest', chatId: c.id, text, clientId: lastSuggest });
    }, suggestDelayMs);
  }

  function onSuggestions(f) {
    // An answer to an older text, or for a chat no longer shown: stale.
    if (f.clientId !== lastSuggest || f.chatId !== openId || !$('#reply').value.trim()) return;
    const ul = $('#suggestions');
    const list = f.suggestions || [];
    ul.replaceChildren(...list.map((tpl) => el('li', {}, el('button', {
      type: 'button', class: 'suggestion', dataset: { template: tpl.id },
      onclick: () => { const box = $('#reply'); box.value = tpl.text; hideSuggestions(); box.focus(); typed(); },
    }, tpl.title ? el('strong', { text: tpl.title }) : null, el('span', { text: tpl.text })))));
    ul.hidden = list.length === 0;
    ul.setAttribute('aria-label', t('wp.suggestions'));
  }

  function hideSuggestions() {
    clearTimeout(suggestTimer);
    lastSuggest = '';
    $('#suggestions').hidden = true;
    $('#suggestions').replaceChildren();
  }

  function onTemplateSaved(f) {
    const tpl = f.template;
    const c = chats.get(f.chatId);
    if (!tpl) return;
    const lang = c ? (chatLanguage.get(c.id) ?? c.language ?? '') : '';
    const sections = templatesByLang.get(lang);
    if (sections) {
      let s = sections.find((x) => x.section === tpl.section);
      if (!s) { s = { section: tpl.section, templates: [] }; sections.push(s); sections.sort((a, b) => a.section.localeCompare(b.section)); }
      s.templates.push(tpl);
    }
    notice(t('wp.templateSaved', { title: tpl.title || tpl.text.slice(0, 40) }), 'template');
    $('#save-template-form').hidden = true;
    renderTemplates();
  }

  function insertText(text) {
    const box = $('#reply');
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    typed();
  }

  // --- reference data ------------------------------------------------------
  async function loadReference() {
    const [s, d, p] = await Promise.all([api('GET', '/v1/settings'), api('GET', '/v1/departments'), api('GET', '/v1/people')]);
    if (s.signedOut || d.signedOut || p.signedOut || !wanted) return;
    const failed = (what, r) => showError({ code: (r.data && r.data.error && r.data.error.code) || String(r.status),
      text: t('wp.loadFailed', { what, message: (r.data && r.data.error && r.data.error.message) || (r.data && r.data.message) || 'HTTP ' + r.status }) });
    if (s.status === 200) settings = s.data; else failed('/v1/settings', s);
    if (d.status === 200) departments = new Map(d.data.items.map((x) => [x.id, x])); else failed('/v1/departments', d);
    if (p.status === 200) people = new Map(p.data.items.map((x) => [x.id, x])); else failed('/v1/people', p);
    render();
  }

  function categoryPaths() {
    const tree = (settings && settings.classification && settings.classification.categoryTree) || [];
    const out = [];
    for (const top of tree) {
      out.push(top.name);
      for (const sub of top.children || []) out.push(top.name + ' / ' + sub.name);
    }
    return out;
  }

  // --- showing -------------------------------------------------------------
  function visitorLabel(c) {
    const v = c.visitor || {};
    return v.name || v.email || v.phone || t('wp.visitor', { id: (c.visitorId || '').slice(-6) });
  }

  function personName(id) {
    if (id === me) return t('wp.from.me');
    const p = people.get(id);
    return p ? p.name || p.email : id.slice(-6);
  }

  function ago(iso) {
    const min = Math.floor((Date.now() - Date.parse(iso)) / 60000);
    return min < 1 ? t('wp.justNow') : t('wp.minutes', { n: min });
  }

  // clock shows a time in the account's time zone (company.timezone), as
  // History does, so every operator reads the same hour whatever their
  // browser's zone; the browser's zone only until the settings are read.
  function clock(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const opts = { hour: '2-digit', minute: '2-digit' };
    const zone = settings && settings.company && settings.company.timezone;
    if (zone) opts.timeZone = zone;
    try { return d.toLocaleTimeString(document.documentElement.lang || [], opts); } catch (e) { delete opts.timeZone; return d.toLocaleTimeString([], opts); }
  }

  function badges(c) {
    const out = timeoutBadges(c);
    // A chat from a messenger says which: its visitor answers there, and
    // what the messenger cannot show (typing, read marks) is not offered.
    if (c.channel && c.channel !== 'widget') out.push(el('span', { class: 'badge channel', dataset: { channel: c.channel }, title: t('wp.channel'), text: t('wp.channel.' + c.channel) }));
    if (c.priority) out.push(el('span', { class: 'badge priority', text: '★ ' + t('wp.priority') }));
    if (c.language) out.push(el('span', { class: 'badge lang', title: t('wp.language'), text: c.language.toUpperCase() }));
    if (c.departmentId) out.push(el('span', { class: 'badge dept', title: t('wp.department'), text: (departments.get(c.departmentId) || {}).name || c.departmentId }));
    if (c.category) out.push(el('span', { class: 'badge cat', title: t('wp.category'), text: c.category }));
    return out;
  }

  function render() {
    if (!root.isConnected && !wanted) return;
    renderLists();
    renderChat();
    if (openId) renderPast();
  }

  function renderLists() {
    const groups = { waiting: [], queued: [], mine: [], others: [], missed: [] };
    for (const c of chats.values()) { const l = listFor(c); if (l) groups[l].push(c); }
    const at = (c) => Date.parse(c.startedAt) || 0;
    groups.waiting.sort((a, b) => (b.priority ? 1 : 0) - (a.priority ? 1 : 0) || at(a) - at(b));
    groups.queued.sort((a, b) => (queueOrder.get(a.id) || 0) - (queueOrder.get(b.id) || 0));
    groups.mine.sort((a, b) => at(a) - at(b));
    groups.others.sort((a, b) => at(a) - at(b));
    groups.missed.sort((a, b) => at(b) - at(a));
    for (const [name, list] of Object.entries(groups)) {
      const section = $('#list-' + name);
      section.querySelector('.count').textContent = String(list.length);
      section.querySelector('.empty').hidden = list.length > 0;
      section.querySelector('ul').replaceChildren(...list.map((c) => {
        const typing = typingIn.get(c.id);
        const preview = typing ? typing.text : c.last ? c.last.text : c.question || '';
        const n = unread.get(c.id) || 0;
        return el('li', { dataset: { chat: c.id } }, el('button', {
          type: 'button', class: 'chat-item' + (c.priority ? ' priority' : ''), 'aria-current': c.id === openId ? 'true' : 'false',
          onclick: () => openChat(c.id),
        },
        el('span', { class: 'who', text: visitorLabel(c) }),
        ...badges(c),
        n ? el('span', { class: 'badge unread', text: t('wp.unread', { n }) }) : null,
        el('span', { class: 'age', text: ago(c.startedAt) }),
        name === 'others' && c.operatorId ? el('span', { class: 'with', text: t('wp.withOperator', { name: personName(c.operatorId) }) }) : null,
        preview ? el('span', { class: 'preview' + (typing ? ' typing' : ''), text: preview }) : null));
      }));
    }
    renderTitle();
  }

  // renderTitle puts the count of what the person has not looked at yet
  // before the page's title: "(3) Parley console".
  function renderTitle() {
    const n = unseenCount();
    const base = document.title.replace(/^\(\d+\) /, '');
    const want = wanted && n ? '(' + n + ') ' + base : base;
    if (document.title !== want) document.title = want;
  }

  function canWrite(c) {
    return c.status !== 'closed' && (c.status === 'waiting' || c.operatorId === me || manages());
  }
  function leads(c) { return c.status === 'active' && (c.operatorId === me || manages()); }

  function renderChat() {
    const c = chats.get(openId);
    $('#chat-empty').hidden = !!c;
    $('#chat-view').hidden = !c;
    if (!c) return;
    $('#chat-view').dataset.chat = c.id;
    $('#chat-view').dataset.status = c.status;
    $('#chat-title').textContent = visitorLabel(c);
    const meta = [el('span', { class: 'status-text', text: t('wp.status.' + c.status) }), ...badges(c)];
    if (c.queued) meta.push(el('span', { class: 'badge', text: t('wp.queuedFlag') }));
    if (c.status === 'active' && c.operatorId && c.operatorId !== me) meta.push(el('span', { text: t('wp.withOperator', { name: personName(c.operatorId) }) }));
    if (c.visitorClosed) meta.push(el('span', { class: 'left', text: t('wp.visitorLeft') }));
    if (c.question) meta.push(el('span', { class: 'question', text: t('wp.question') + ': ' + c.question }));
    $('#chat-meta').replaceChildren(...meta);

    const fields = Object.entries(c.visitor || {});
    $('#chat-visitor').hidden = fields.length === 0;
    $('#chat-visitor').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    $('#chat-crm-line').hidden = !c.crmUrl;
    if (c.crmUrl) $('#chat-crm').href = c.crmUrl;
    $('#chat-page-line').hidden = !c.page;
    if (c.page) { $('#chat-page').href = c.page; $('#chat-page').textContent = c.page; }

    const paths = categoryPaths();
    $('#take').hidden = c.status !== 'waiting';
    $('#category-line').hidden = !(paths.length && leads(c));
    fillCategories($('#category'), paths, c.category || '', true);
    $('#open-redirect').hidden = !leads(c);
    $('#open-teleport').hidden = !(leads(c) && settings && settings.features && settings.features.teleport);
    $('#close-chat').hidden = c.status === 'closed' || !(c.status === 'waiting' || leads(c));
    if (c.status !== 'active') { $('#redirect-form').hidden = true; $('#teleport-form').hidden = true; }
    if (c.status === 'closed') $('#close-category').hidden = true;

    renderTranscript(c);
    const typing = typingIn.get(c.id);
    $('#typing').textContent = typing ? typing.text : '';
    const writable = canWrite(c);
    $('#reply-form').hidden = !writable;
    if (!writable) { $('#save-template-form').hidden = true; hideSuggestions(); }
    renderTemplates();
  }

  function fillCategories(select, paths, value, withNone) {
    const want = [withNone ? '' : null, ...paths].filter((x) => x !== null);
    const have = Array.from(select.options).map((o) => o.value);
    if (have.join('\n') !== want.join('\n') || select.dataset.lang !== document.documentElement.lang) {
      select.replaceChildren(...want.map((p) => el('option', { value: p, text: p || t('wp.noCategory') })));
      select.dataset.lang = document.documentElement.lang;
    }
    if (document.activeElement !== select) select.value = paths.some((p) => p.toLowerCase() === value.toLowerCase()) ? paths.find((p) => p.toLowerCase() === value.toLowerCase()) : '';
  }

  function renderTranscript(c) {
    const ol = $('#transcript');
    const nearBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 40;
    const ms = Array.from((messages.get(c.id) || new Map()).values()).sort((a, b) => a.seq - b.seq);
    let lastRead = 0;
    for (const m of ms) if (m.from.kind === 'operator' && m.seq <= (c.visitorRead || 0)) lastRead = m.seq;
    const items = ms.map((m) => {
      const kind = m.from.kind || 'system';
      const who = kind === 'visitor' ? visitorLabel(c) : kind === 'operator' ? personName(m.from.id) : t('wp.from.system');
      return el('li', { class: 'msg ' + kind + (m.from.id === me && kind === 'operator' ? ' own' : ''), dataset: { seq: String(m.seq) } },
        el('span', { class: 'who', text: who }),
        el('time', { datetime: m.at, text: clock(m.at) }),
        el('p', { class: 'text', text: m.text }),
        m.seq === lastRead ? el('span', { class: 'read-mark', text: '✓ ' + t('wp.read') }) : null);
    });
    const stored = new Set(ms.map((m) => m.clientId).filter(Boolean));
    for (const p of outbox.filter((x) => x.chatId === c.id && !stored.has(x.clientId))) {
      const failed = p.status === 'failed';
      items.push(el('li', { class: 'msg operator own pending' + (failed ? ' failed' : ''), dataset: { clientId: p.clientId } },
        el('span', { class: 'who', text: t('wp.from.me') }),
        el('p', { class: 'text', text: p.text }),
        el('span', { class: 'send-state', text: failed ? t('wp.failed', { message: p.error }) : t('wp.sending') }),
        failed ? el('button', { type: 'button', class: 'resend', text: t('wp.resend'), onclick: () => resend(p) }) : null));
    }
    if (c.status === 'closed') items.push(el('li', { class: 'msg system closed-note' }, el('p', { class: 'text', text: t('wp.closed') })));
    ol.replaceChildren(...items);
    if (nearBottom || ol.dataset.chat !== c.id) ol.scrollTop = ol.scrollHeight;
    ol.dataset.chat = c.id;
  }

  function renderTemplates() {
    const panel = $('#templates-panel');
    const c = chats.get(openId);
    $('#toggle-templates').setAttribute('aria-expanded', String(!panel.hidden));
    if (!c || panel.hidden) return;
    const sections = templatesOf(c);
    if (!sections) { panel.replaceChildren(el('p', { class: 'hint', text: t('wp.connecting') })); return; }
    const withTemplates = sections.filter((s) => s.templates && s.templates.length);
    if (!withTemplates.length) { panel.replaceChildren(el('p', { class: 'hint', text: t('wp.noTemplates') })); return; }
    panel.replaceChildren(...withTemplates.map((s) => el('section', { class: 'tpl-section', dataset: { section: s.section } },
      el('h4', { text: s.section || t('wp.generalSection') }),
      el('ul', {}, ...s.templates.map((tpl) => (tpl.id === editing ? templateEditor(tpl, s.section, c) : el('li', {}, el('button', {
        type: 'button', class: 'template', dataset: { template: tpl.id, level: tpl.level }, title: tpl.text,
        onclick: () => insertText(tpl.text),
      }, tpl.title ? el('strong', { text: tpl.title }) : null, el('span', { text: tpl.text })),
      tpl.level === 'personal' ? personalTools(tpl, c) : null)))))));
  }

  // --- the operator's own templates: edit and delete them in place ---------
  let editing = ''; // the personal template being edited
  let deleting = ''; // the one whose delete waits for a second click
  function personalTools(tpl, c) {
    const sure = deleting === tpl.id;
    return el('span', { class: 'tpl-tools' },
      el('button', { type: 'button', class: 'tpl-edit', 'aria-label': t('wp.tplEditOf', { title: tpl.title || tpl.text.slice(0, 40) }), text: t('wp.tplEdit'),
        onclick: () => { editing = tpl.id; deleting = ''; renderTemplates(); } }),
      el('button', { type: 'button', class: 'tpl-delete' + (sure ? ' sure' : ''), 'aria-label': t(sure ? 'wp.tplDeleteSure' : 'wp.tplDeleteOf', { title: tpl.title || tpl.text.slice(0, 40) }),
        text: t(sure ? 'wp.tplDeleteSure' : 'wp.tplDelete'), onclick: () => (sure ? deleteTemplate(tpl, c) : (deleting = tpl.id, renderTemplates())) }));
  }
  function templateEditor(tpl, section, c) {
    const field = (name, label, value, props) => {
      const input = el(props && props.rows ? 'textarea' : 'input', Object.assign({ name }, props || {}));
      input.value = value;
      return el('label', {}, el('span', { text: label }), input, el('span', { class: 'field-error', dataset: { field: name } }));
    };
    const form = el('form', { class: 'tpl-editor', dataset: { template: tpl.id } },
      field('title', t('wp.templateTitle'), tpl.title || '', { maxLength: 200 }),
      field('section', t('wp.templateSection'), section || '', { maxLength: 100 }),
      field('text', t('wp.tplText'), tpl.text, { rows: 4 }),
      el('button', { type: 'submit', text: t('wp.tplSave') }),
      el('button', { type: 'button', class: 'cancel', text: t('wp.cancel'), onclick: () => { editing = ''; renderTemplates(); } }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { language: chatLanguage.get(c.id) || c.language, title: form.elements.title.value.trim(), section: form.elements.section.value.trim(), text: form.elements.text.value };
      const r = await api('PUT', '/v1/templates/' + encodeURIComponent(tpl.id), body);
      if (r.signedOut) return;
      if (r.status !== 200) { templateRefused(form, r); return; }
      editing = '';
      notice(t('wp.tplSaved', { title: body.title || body.text.slice(0, 40) }), 'template');
      request({ action: 'templates', chatId: c.id });
    });
    return el('li', {}, form);
  }
  function templateRefused(form, r) {
    const e = (r.data && r.data.error) || { code: 'internal' };
    if (form) for (const p of form.querySelectorAll('.field-error')) p.textContent = (e.fields && e.fields[p.dataset.field]) || '';
    showError(e);
  }
  async function deleteTemplate(tpl, c) {
    deleting = '';
    const r = await api('DELETE', '/v1/templates/' + encodeURIComponent(tpl.id));
    if (r.signedOut) return;
    if (r.status !== 204) { templateRefused(null, r); renderTemplates(); return; }
    notice(t('wp.tplDeleted', { title: tpl.title || tpl.text.slice(0, 40) }), 'template');
    request({ action: 'templates', chatId: c.id });
  }

  // --- notices and errors --------------------------------------------------
  // push shows a notice or an error; an error saying the same sentence
  // again replaces the one shown rather than piling up (a notice again is
  // news: a chat announced again after a redirect).
  function push(listSel, li) {
    const ul = $(listSel);
    if (li.classList.contains('error')) for (const old of Array.from(ul.children)) if (old.dataset.text === li.dataset.text) old.remove();
    ul.append(li);
    while (ul.children.length > maxShown) ul.firstElementChild.remove();
  }

  // errorSentence says what went wrong in the person's language: the
  // service's codes and setting keys are for programs, not for people.
  // A message the workplace wrote itself (e.text) is shown as it is.
  function errorSentence(e) {
    if (e.text) return e.text;
    const fields = Object.keys(e.fields || {});
    if (e.code === 'conflict' && fields.includes('category')) return t('wp.err.categoryRequired');
    if (e.code === 'invalid' && fields.length) return t('wp.err.invalidFields', { fields: fields.map((f) => { const k = 'wp.field.' + f; const l = t(k); return l === k ? f : l; }).join(', ') });
    const known = ['invalid', 'not_found', 'conflict', 'forbidden', 'unauthorized', 'too_large', 'rate_limited', 'internal'];
    return t('wp.err.' + (known.includes(e.code) ? e.code : 'internal'));
  }

  function showError(e) {
    const text = errorSentence(e);
    const li = el('li', { class: 'error', dataset: { code: e.code || '', text } }, el('span', { text }));
    li.append(el('button', { type: 'button', class: 'dismiss', 'aria-label': t('wp.dismiss'), text: '×', onclick: () => li.remove() }));
    push('#wp-errors', li);
    setTimeout(() => li.remove(), 60_000);
  }

  function notice(text, kind) {
    const li = el('li', { class: 'notice ' + (kind || ''), dataset: { kind: kind || '' } },
      el('time', { text: clock(new Date().toISOString()) }), el('span', { text }));
    li.append(el('button', { type: 'button', class: 'dismiss', 'aria-label': t('wp.dismiss'), text: '×', onclick: () => li.remove() }));
    push('#wp-notices', li);
    setTimeout(() => li.remove(), 120_000);
  }

  // --- alerts --------------------------------------------------------------
  // forMe: a chat this person is to answer (waiting for them, or theirs).
  function forMe(c) {
    const list = listFor(c);
    return list === 'waiting' || list === 'queued' || list === 'mine';
  }

  // lookingAt: the chat is the one open on the workplace, shown on a visible tab.
  function lookingAt(id) {
    return wanted && !document.hidden && root.isConnected && openId === id;
  }

  function noteTag(chatId) { return 'parley-chat-' + chatId; }

  // looked clears what the person now sees: the open chat and the notices.
  function looked() {
    if (!wanted || document.hidden || !root.isConnected) return;
    unseenVisitors = 0;
    if (openId) {
      unread.delete(openId);
      unseenChats.delete(openId);
      closeNote(shownNotes.get(noteTag(openId)));
    }
    render(); // the list's "new" marks with the title
  }

  // forget drops what was pending for a chat that left this person.
  function forget(id) {
    unseenChats.delete(id);
    clearTimeout(gathering.get(id));
    gathering.delete(id);
    closeNote(shownNotes.get(noteTag(id)));
  }

  // unseenCount is what the title shows: each visitor message not looked
  // at, each new chat not opened yet (one, with or without messages), each
  // new visitor announced while nobody looked.
  function unseenCount() {
    let n = unseenVisitors;
    for (const id of new Set([...unread.keys(), ...unseenChats])) n += unread.get(id) || 1;
    return n;
  }

  // newChatAlert alerts a chat new for this person. The visitor's first
  // message comes in a frame of its own, just before or after the chat:
  // the alert waits a moment so that it carries the text, once.
  function newChatAlert(id) {
    unseenChats.add(id);
    if (gathering.has(id)) return;
    gathering.set(id, setTimeout(() => {
      gathering.delete(id);
      const c = chats.get(id);
      if (c && forMe(c) && !lookingAt(id)) alertChat(id, t('wp.newChat', { who: visitorLabel(c) }));
    }, gatherMs));
    renderTitle();
  }

  function alertChat(id, title) {
    const c = chats.get(id) || {};
    let last = null;
    for (const m of (messages.get(id) || new Map()).values()) if (m.from.kind === 'visitor' && (!last || m.seq > last.seq)) last = m;
    beep();
    desktop(title, (last && last.text) || c.question || '', noteTag(id), id);
  }

  function onVisitor(f) {
    notice(f.url ? t('wp.newVisitor', { url: f.url }) : t('wp.newVisitorNoPage'), 'visitor');
    if (document.hidden || !root.isConnected) unseenVisitors++;
    beep();
    desktop(t('wp.newVisitorNoPage'), f.url || '', 'parley-visitor', '');
    renderTitle();
  }

  // The switches are kept in this browser under the person's id, so that
  // colleagues sharing a computer each keep their own.
  const prefsHere = {}; // when storage is off: for this page only
  function prefsKey() { return 'parley.alerts.' + ((user() || {}).id || ''); }
  function prefs() {
    let saved = prefsHere[prefsKey()];
    try { saved = JSON.parse(localStorage.getItem(prefsKey()) || 'null') || saved; } catch (e) { /* storage off */ }
    return Object.assign({}, alertDefaults, saved);
  }
  function savePrefs(change) {
    const next = Object.assign(prefs(), change);
    prefsHere[prefsKey()] = next;
    try { localStorage.setItem(prefsKey(), JSON.stringify(next)); } catch (e) { /* storage off */ }
    renderAlerts();
  }

  // permission is the browser's answer for desktop notifications:
  // granted, denied, default (not asked yet) or unsupported.
  function permission() {
    return typeof window.Notification === 'function' ? window.Notification.permission : 'unsupported';
  }

  function renderAlerts() {
    const p = prefs();
    const perm = permission();
    $('#notify-enable').hidden = perm !== 'default';
    $('#notify-sound').checked = p.sound;
    $('#notify-desktop-line').hidden = perm !== 'granted';
    $('#notify-desktop').checked = perm === 'granted' && p.desktop;
    const note = perm === 'denied' ? t('wp.notifyBlocked') : perm === 'unsupported' ? t('wp.notifyUnsupported') : '';
    $('#notify-note').textContent = note;
    $('#notify-note').hidden = !note;
  }

  // askPermission asks the browser, on the person's click only: browsers
  // ignore (or hold against the site) a request nobody asked for.
  async function askPermission() {
    if (permission() !== 'default') { renderAlerts(); return; }
    let answer = 'default';
    try {
      // Older browsers answer through the callback only, newer ones through the promise.
      answer = await new Promise((resolve) => {
        const p = window.Notification.requestPermission(resolve);
        if (p && p.then) p.then(resolve, () => resolve('default'));
      });
    } catch (e) { /* the browser would not ask */ }
    if (answer === 'granted') savePrefs({ desktop: true });
    else renderAlerts();
  }

  // beep plays two short rising notes, made on the spot (no sound file).
  // force: even right after another one (the person just switched sound on).
  let audio = null;
  function beep(force) {
    if (!prefs().sound) return;
    const now = Date.now();
    if (!force && now - lastBeep < beepGapMs) return;
    lastBeep = now;
    const Context = window.AudioContext || window.webkitAudioContext;
    // Browsers let a page make sound only once the person has used it.
    if (!Context || (navigator.userActivation && !navigator.userActivation.hasBeenActive)) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === 'suspended') audio.resume().catch(() => {});
      const at = audio.currentTime + 0.01;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(880, at);
      osc.frequency.setValueAtTime(1320, at + 0.09);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.24);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.25);
    } catch (e) { /* no sound here: the title and the notification still tell */ }
  }

  // desktop shows a notification (when switched on and allowed); one per
  // tag, a newer one replacing the older. A click brings the person to the
  // chat.
  function desktop(title, body, tag, chatId) {
    if (!prefs().desktop || permission() !== 'granted') return;
    closeNote(shownNotes.get(tag));
    let n;
    try {
      n = new window.Notification(title, { body: body.length > 200 ? body.slice(0, 199) + '…' : body, tag, lang: language() });
    } catch (e) {
      return; // a browser that shows notifications only through a service worker
    }
    shownNotes.set(tag, n);
    n.onclick = (ev) => {
      if (ev && ev.preventDefault) ev.preventDefault(); // focus this tab rather than open another
      window.focus();
      closeNote(n);
      if (!wanted) return;
      if (reveal) reveal();
      if (chatId && chats.has(chatId)) openChat(chatId);
      else looked();
    };
    n.onclose = () => { if (shownNotes.get(tag) === n) shownNotes.delete(tag); };
  }

  function closeNote(n) {
    if (!n) return;
    try { n.close(); } catch (e) { /* already gone */ }
  }

  // --- actions -------------------------------------------------------------
  function hidePanels() {
    for (const id of ['#close-category', '#redirect-form', '#teleport-form', '#save-template-form']) $(id).hidden = true;
    $('#templates-panel').hidden = true;
    hideSuggestions();
  }

  function openChat(id) {
    if (openId !== id) {
      stopTyping();
      hidePanels();
      $('#reply').value = '';
      const prev = chats.get(openId);
      if (prev && prev.status === 'closed') chats.delete(openId);
    }
    openId = id;
    unread.delete(id);
    looked();
    const c = chats.get(id);
    if (c) {
      askHistory(id, loaded.has(id) ? contiguous(id) : 0);
      if (c.status !== 'closed') askTemplates(c);
      loadPast(c);
    }
    render();
    markRead();
  }

  // --- the visitor's earlier chats (SPEC §2.3: the next operator sees the
  // categories given before), from the history of the last year ----------
  const pastByVisitor = new Map(); // visitorId -> their chats as last read, newest first
  async function loadPast(c) {
    // Read on every opening: the visitor's last chat may have closed with
    // its category since.
    if (!c.visitorId) return;
    const from = new Date(Date.now() - 365 * 86_400_000).toISOString();
    const r = await api('GET', '/v1/chats?' + new URLSearchParams({ visitorId: c.visitorId, from, limit: '10' }));
    if (r.signedOut) return;
    if (r.status !== 200) { pastByVisitor.delete(c.visitorId); return; }
    pastByVisitor.set(c.visitorId, r.data.items || []);
    renderPast();
  }
  function pastSection() {
    let sec = $('#chat-past');
    if (!sec) {
      sec = el('section', { id: 'chat-past', class: 'chat-past', 'aria-label': t('wp.pastChats') });
      $('#chat-view .chat-head').after(sec);
    }
    return sec;
  }
  function dayAndClock(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const opts = { year: 'numeric', month: 'short', day: 'numeric' };
    const zone = settings && settings.company && settings.company.timezone;
    if (zone) opts.timeZone = zone;
    try { return d.toLocaleDateString(document.documentElement.lang || [], opts) + ' ' + clock(iso); } catch (e) { return clock(iso); }
  }
  function renderPast() {
    const c = chats.get(openId);
    const sec = pastSection();
    const past = c && (pastByVisitor.get(c.visitorId) || []).filter((x) => x.id !== c.id);
    sec.hidden = !past || past.length === 0;
    if (sec.hidden) return;
    sec.replaceChildren(el('h4', { text: t('wp.pastChats') }), el('ul', {}, ...past.map((x) => el('li', { dataset: { chat: x.id } },
      el('time', { text: dayAndClock(x.startedAt) }),
      el('span', { class: 'badge cat', text: x.category || t('wp.noCategory') }),
      x.operatorId ? el('span', { class: 'with', text: personName(x.operatorId) }) : null,
      x.question ? el('span', { class: 'preview', text: x.question }) : null))));
  }

  // watch re-reads the open chat when it is another operator's: those
  // messages are not pushed to whoever does not lead the chat.
  function watch() {
    const c = chats.get(openId);
    if (c && connected() && c.status === 'active' && c.operatorId !== me) askHistory(c.id, contiguous(c.id));
  }

  async function take() {
    const c = chats.get(openId);
    if (!c) return;
    ownTakes.add(c.id);
    const r = await request({ action: 'take', chatId: c.id });
    if (!r.ok && r.error.code === 'conflict') { notice(t('wp.takenByOther'), 'chat'); askHistory(c.id, contiguous(c.id)); }
    if (r.ok) askTemplates(chats.get(c.id) || c);
  }

  async function closeChat() {
    const c = chats.get(openId);
    if (!c) return;
    const r = await request({ action: 'closeChat', chatId: c.id });
    // classification.required: the server refuses to close an
    // uncategorised chat; the operator picks the category here.
    if (!r.ok && r.error.code === 'conflict' && !c.category && categoryPaths().length) {
      fillCategories($('#close-category-select'), categoryPaths(), '', true);
      $('#close-category').hidden = false;
      $('#close-category-select').focus();
    }
  }

  async function setCategory(chatId, category) {
    const r = await request({ action: 'setCategory', chatId, category });
    if (!r.ok) render(); // back to the chat's category
    return r.ok;
  }

  // openRedirect offers the colleagues who can take the chat now: active
  // people with a live workplace, online first, those away marked; invited
  // and offline people are left out (the staff action says who is which).
  async function openRedirect() {
    const c = chats.get(openId);
    if (!c) return;
    const select = $('#redirect-target');
    const groups = [];
    const r = await request({ action: 'staff' });
    const online = new Set((r.ok && r.frame.online) || []);
    const away = new Set((r.ok && r.frame.away) || []);
    const label = (p) => (p.name || p.email) + ' (' + t('roleName.' + p.role) + ', ' + t(online.has(p.id) ? 'wp.presenceOnline' : 'wp.presenceAway') + ')';
    const ops = Array.from(people.values()).filter((p) => p.id !== me && p.status === 'active' && (online.has(p.id) || away.has(p.id)))
      .sort((a, b) => (online.has(b.id) ? 1 : 0) - (online.has(a.id) ? 1 : 0));
    if (ops.length) groups.push(el('optgroup', { label: t('wp.redirectOperators') }, ...ops.map((p) => el('option', { value: 'operatorId:' + p.id, dataset: { presence: online.has(p.id) ? 'online' : 'away' }, text: label(p) }))));
    else groups.push(el('optgroup', { label: t('wp.redirectNobody') }));
    if (departments.size) groups.push(el('optgroup', { label: t('wp.redirectDepartments') }, ...Array.from(departments.values()).map((d) => el('option', { value: 'departmentId:' + d.id, text: d.name }))));
    if (settings && settings.features && settings.features.multilingual) {
      const langs = ['ru', 'en'].filter((l) => l !== c.language);
      groups.push(el('optgroup', { label: t('wp.redirectLanguages') }, ...langs.map((l) => el('option', { value: 'language:' + l, text: l.toUpperCase() }))));
    }
    select.replaceChildren(...groups);
    $('#teleport-form').hidden = true;
    $('#redirect-form').hidden = false;
    select.focus();
  }

  $('#presence').addEventListener('change', async (ev) => {
    const want = ev.target.value;
    presence = want;
    sessionStorage.setItem('parley.presence', want);
    const r = await request({ action: 'setPresence', status: want });
    if (r.ok) { presence = r.frame.presence; $('#presence').value = presence; }
  });
  $('#take').addEventListener('click', take);
  $('#close-chat').addEventListener('click', closeChat);
  $('#category').addEventListener('change', (ev) => { if (openId) setCategory(openId, ev.target.value); });
  $('#close-category').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = openId;
    const category = $('#close-category-select').value;
    if (!id || !category) return;
    if (!(await setCategory(id, category))) return;
    const r = await request({ action: 'closeChat', chatId: id });
    if (r.ok) $('#close-category').hidden = true;
  });
  $('#open-redirect').addEventListener('click', openRedirect);
  $('#redirect-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = $('#redirect-target').value;
    if (!openId || !v) return;
    const i = v.indexOf(':');
    const r = await request({ action: 'redirect', chatId: openId, [v.slice(0, i)]: v.slice(i + 1) });
    if (r.ok) { $('#redirect-form').hidden = true; notice(t('wp.redirected'), 'chat'); }
  });
  $('#open-teleport').addEventListener('click', () => {
    $('#redirect-form').hidden = true;
    $('#teleport-form').hidden = false;
    $('#teleport-url').focus();
  });
  $('#teleport-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const url = $('#teleport-url').value.trim();
    if (!openId || !url) return;
    const r = await request({ action: 'teleport', chatId: openId, url });
    if (r.ok) { $('#teleport-form').hidden = true; $('#teleport-url').value = ''; notice(t('wp.teleported', { url }), 'chat'); }
  });
  for (const b of root.querySelectorAll('.panel .cancel')) b.addEventListener('click', () => { b.closest('form').hidden = true; });

  $('#reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); sendReply(); });
  $('#reply').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendReply(); }
    if (ev.key === 'Escape') hideSuggestions();
  });
  $('#reply').addEventListener('input', () => {
    if ($('#reply').value) typed(); else stopTyping();
    suggestSoon();
  });
  $('#toggle-templates').addEventListener('click', () => {
    const panel = $('#templates-panel');
    panel.hidden = !panel.hidden;
    const c = chats.get(openId);
    // Read afresh on every opening: templates change while people work.
    if (c && !panel.hidden) request({ action: 'templates', chatId: c.id });
    renderTemplates();
  });
  $('#open-save-template').addEventListener('click', () => {
    const form = $('#save-template-form');
    form.hidden = !form.hidden;
    if (!form.hidden) $('#template-title').focus();
  });
  $('#save-template-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('#reply').value.trim();
    if (!openId) return;
    if (!text) { showError({ code: 'invalid', text: t('wp.nothingToSave') }); return; }
    const r = await request({ action: 'saveTemplate', chatId: openId, text, title: $('#template-title').value.trim(), section: $('#template-section').value.trim() });
    if (r.ok) { $('#template-title').value = ''; $('#template-section').value = ''; }
  });
  $('#notify-enable').addEventListener('click', askPermission);
  $('#notify-sound').addEventListener('change', (ev) => {
    savePrefs({ sound: ev.target.checked });
    if (ev.target.checked) beep(true); // the person hears what it will sound like
  });
  $('#notify-desktop').addEventListener('change', (ev) => savePrefs({ desktop: ev.target.checked }));
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !wanted) return;
    markRead();
    looked();
    // The permission may have been changed in the browser's settings meanwhile.
    renderAlerts();
  });

  return {
    // start connects (once) and shows what is known.
    start() {
      if (!wanted) {
        wanted = true;
        presence = sessionStorage.getItem('parley.presence') || 'online';
        $('#presence').value = presence;
        loadReference();
        connect();
        tickTimer = setInterval(renderLists, 30_000);
        watchTimer = setInterval(watch, watchMs);
      }
      render();
      renderAlerts();
      looked();
    },
    // stop closes the socket for good (signing out) and forgets everything.
    stop() {
      if (!wanted) return;
      wanted = false;
      stopTyping();
      const sock = ws;
      ws = null;
      if (sock) sock.close(1000);
      reset();
    },
    // translated re-renders what the code wrote, after a language change.
    translated() {
      setConn(connState);
      render();
      renderAlerts();
    },
    // closeChat closes a chat over this socket for the console's other
    // pages: staff closing an unanswered offline request mark it handled
    // (docs/websocket.md). The workplace must have been started; a socket
    // still connecting is waited for. Resolves as request does:
    // { ok: true, frame } (frame.chat is the chat now) or { ok: false, error }.
    async closeChat(chatId) {
      if (!(await whenReady(requestTimeoutMs))) return { ok: false, error: { code: 'disconnected', message: t('wp.notConnected') } };
      return request({ action: 'closeChat', chatId });
    },
  };
}

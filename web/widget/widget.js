// Parley's visitor widget: plain JavaScript without dependencies, embedded
// on a customer's site with one script tag:
//
//   <script src="https://PARLEY-SITE/widget/widget.js" async
//           data-account="ACCOUNT_ID"
//           data-language="en"></script>
//
// Attributes of the tag (the placement's options):
//   data-account         the account's id (required)
//   data-language        this placement's chat language, ru or en: in
//                        multilingual mode the chat's language and the
//                        widget's; otherwise the account's language is used
//   data-ask-question    "1": ask the visitor's question before the chat
//   data-ask-department  "1": let the visitor pick a department first
//   data-api             the API's address, when it is not the one in the
//                        config.json served beside the widget
//   data-invite-delay    seconds on the page before the invitation to leave
//                        a message shows while no operator is online
//                        (fractions and an "ms" suffix are taken: "0.5",
//                        "500ms"); 20 by default, 0 turns it off
// The widget draws itself into <div id="parley"></div> when the page has
// one, else it floats in the bottom right corner.
//
// It starts as a small button, the online or the offline one as the config
// call decides (none at all when it says hidden); a click opens the chat
// window, whose header (with the company's logo, when there is one)
// collapses it again. Open or collapsed is kept for the tab's session, so
// it survives reloads and the site's other pages; a visitor with a chat
// going on and no choice made in this tab gets the window open. While no
// operator is online, an invitation to leave a message pops up beside the
// button after data-invite-delay, with the account's invite avatar (or a
// default one); dismissed or used, it stays away from that visitor for a
// day.
//
// Signed visitor identification (a customer signed in on the site): the
// site's server signs the visitor's fields with the account's private key
// (integration.privateKey; never put the key itself in a page):
//
//   signature = hex(HMAC-SHA256(key: the private key, message: canonical))
//   canonical = one "key=value" line per field, sorted by key, joined by
//               "\n", no trailing newline; keys are a-z, 0-9 and _ starting
//               with a letter, values in Unicode NFC without line breaks;
//               {"name": "Ann", "id": "42"} gives "id=42\nname=Ann"
//
// and the page passes fields and signature to the widget, either on the tag
//
//   <script src=".../widget.js" async data-account="ACCOUNT_ID"
//           data-visitor-fields='{"id":"42","name":"Ann"}'
//           data-visitor-signature="5d41402a..."></script>
//
// (HTML-escape the JSON in the attribute), or from the page's code once the
// script has run:
//
//   window.Parley.identify({ fields: { id: '42', name: 'Ann' }, signature: '5d41402a...' })
//     .then((r) => { /* r.fields are attached to the visitor */ },
//           (err) => { /* err.message says what was refused */ });
//
// ({ payload: 'id=42\nname=Ann', signature } passes the signed text itself.)
// A refused identification changes nothing: the chat works anonymously.
//
// What it does (WebSocket protocol v2, docs/websocket.md): the config call
// gives the visitor a token (kept in localStorage, so a returning visitor is
// recognised) and the UI language; hello replays the open chat; messages
// are shown once each, by chat and seq; read marks are sent while the
// messages are visible; the page is reported as the visitor navigates
// (single-page sites too), which moves the chat's priority flag; typing
// goes both ways; a dropped socket reconnects with back-off and fetches what
// it missed; the pre-chat, offline, rating and transcript forms, the queue
// position, and a new chat after a closed one.
(function () {
  'use strict';
  const script = document.currentScript || document.querySelector('script[data-account]');
  const opt = (script && script.dataset) || {};
  const account = opt.account || '';
  const placementLanguage = opt.language || '';
  const inviteDelay = delayMs(opt.inviteDelay, 20000);

  // delayMs reads data-invite-delay: seconds, or milliseconds with "ms";
  // anything else (a typo) keeps the default rather than firing at once.
  function delayMs(v, dflt) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(v || '');
    if (!m) return dflt;
    return Math.round(parseFloat(m[1]) * (/^ms$/i.test(m[2] || '') ? 1 : 1000));
  }

  // The service's limits (internal/chat MaxTextBytes, MaxURLBytes) and API
  // Gateway's frame limit: larger ones are refused, the frame closes the
  // socket.
  const MAX_TEXT = 16 * 1024;
  const MAX_FRAME = 32 * 1024;
  const MAX_URL = 2048;
  const utf8 = new TextEncoder();
  const bytes = (s) => utf8.encode(s).length;

  const TEXT = {
    en: {
      title: 'Chat with us', minimise: 'Minimise the chat', open: 'Open the chat',
      connecting: 'Connecting…', reconnecting: 'Connection lost: reconnecting…',
      online: 'Operators are online', offline: 'No operator online: leave a message',
      waiting: 'Waiting for an operator…', active: 'An operator has joined the chat',
      queue: (p, m) => 'All operators are busy: you are ' + (p ? 'number ' + p + ' ' : '') + 'in the queue' + (m ? ', about ' + m + ' min' : ''),
      ended: 'The chat has ended', left: 'You have ended the chat', rated: 'Thank you for your rating',
      offlineSent: 'Thank you: we will get back to you',
      department: 'Department', question: 'Your question', start: 'Start chat',
      message: 'Type a message', send: 'Send',
      name: 'Your name', contact: 'E-mail or phone', offlineText: 'Your message', leave: 'Leave a message',
      rateQuestion: 'How was the operator?',
      excellent: 'Excellent', good: 'Good', satisfactory: 'Satisfactory', poor: 'Poor', bad: 'Bad',
      transcript: 'Mail me the transcript', transcriptSent: 'The transcript is on its way',
      end: 'End chat', newChat: 'New chat', typing: 'The operator is typing…',
      tooLong: (kb) => 'The message is too long' + (kb ? ' (' + kb + ' KB, at most 16 KB)' : '') + ': shorten it or split it into several messages.',
      notSent: 'not sent', trouble: 'Something went wrong: please try again',
      launchOnline: 'Chat with us', launchOffline: 'Leave a message', logo: 'Company logo',
      unread: (n) => n + ' unread',
      invite: 'No operator is online right now. Leave us a message and we will get back to you!',
      inviteClose: 'Close the invitation',
      operatorPhoto: (n) => 'Photo of ' + n, yourOperator: 'Your operator',
      fieldName: 'Please give your name', fieldContact: 'Please give an e-mail address or a phone number',
      fieldText: 'Please write your message (at most 16 KB)', fieldsWrong: 'Please correct the marked fields',
    },
    ru: {
      title: 'Чат с нами', minimise: 'Свернуть чат', open: 'Открыть чат',
      connecting: 'Подключение…', reconnecting: 'Связь потеряна: подключаемся снова…',
      online: 'Операторы в сети', offline: 'Операторов нет в сети: оставьте сообщение',
      waiting: 'Ждём оператора…', active: 'Оператор подключился к чату',
      queue: (p, m) => 'Все операторы заняты: ' + (p ? 'ваше место в очереди — ' + p : 'вы в очереди') + (m ? ', ждать около ' + m + ' мин' : ''),
      ended: 'Чат завершён', left: 'Вы завершили чат', rated: 'Спасибо за оценку',
      offlineSent: 'Спасибо! Мы свяжемся с вами',
      department: 'Отдел', question: 'Ваш вопрос', start: 'Начать чат',
      message: 'Введите сообщение', send: 'Отправить',
      name: 'Ваше имя', contact: 'E-mail или телефон', offlineText: 'Ваше сообщение', leave: 'Оставить сообщение',
      rateQuestion: 'Как вам работа оператора?',
      excellent: 'Отлично', good: 'Хорошо', satisfactory: 'Удовлетворительно', poor: 'Плохо', bad: 'Очень плохо',
      transcript: 'Прислать переписку на e-mail', transcriptSent: 'Переписка отправлена на почту',
      end: 'Завершить чат', newChat: 'Новый чат', typing: 'Оператор печатает…',
      tooLong: (kb) => 'Сообщение слишком длинное' + (kb ? ' (' + kb + ' КБ, можно не больше 16 КБ)' : '') + ': сократите его или разбейте на несколько.',
      notSent: 'не отправлено', trouble: 'Что-то пошло не так: попробуйте ещё раз',
      launchOnline: 'Чат с нами', launchOffline: 'Оставить сообщение', logo: 'Логотип компании',
      unread: (n) => 'непрочитанных: ' + n,
      invite: 'Сейчас операторов нет в сети. Оставьте нам сообщение, и мы с вами свяжемся!',
      inviteClose: 'Закрыть приглашение',
      operatorPhoto: (n) => 'Фото: ' + n, yourOperator: 'Ваш оператор',
      fieldName: 'Укажите ваше имя', fieldContact: 'Укажите e-mail или телефон',
      fieldText: 'Напишите сообщение (не больше 16 КБ)', fieldsWrong: 'Исправьте отмеченные поля',
    },
  };
  let lang = 'en';
  const t = (key, ...args) => { const s = TEXT[lang][key]; return typeof s === 'function' ? s(...args) : s; };

  // The visitor token, once the config has given it: identify() waits for it.
  let tokenReady, tokenFailed;
  const token = new Promise((resolve, reject) => { tokenReady = resolve; tokenFailed = reject; });
  token.catch(() => {});
  let apiBase = '';
  let w = null; // the widget config

  async function identify(id) {
    const visitorToken = await token;
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(account) + '/identify', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorToken, fields: id && id.fields, payload: id && id.payload, signature: id && id.signature }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || 'identification refused: HTTP ' + r.status);
    return body;
  }
  window.Parley = Object.assign(window.Parley || {}, { identify });

  // config.json exists only where the widget is served apart from the API
  // (CloudFront); elsewhere the API is on the widget's origin.
  async function loadBase() {
    if (opt.api) return opt.api.replace(/\/$/, '');
    try {
      const r = await fetch(new URL('../config.json', script ? script.src : location.href), { cache: 'no-store' });
      if (r.ok) return ((await r.json()).apiUrl || '').replace(/\/$/, '');
    } catch (e) { /* same origin */ }
    return '';
  }

  async function loadConfig() {
    const key = 'parley.visitor.' + account;
    const q = new URLSearchParams({ visitorToken: localStorage.getItem(key) || '' });
    if (opt.askQuestion) q.set('askQuestion', opt.askQuestion);
    if (opt.askDepartment) q.set('askDepartment', opt.askDepartment);
    if (placementLanguage) q.set('language', placementLanguage);
    const r = await fetch(apiBase + '/v1/widget/' + encodeURIComponent(account) + '/config?' + q);
    if (!r.ok) throw new Error('the chat is unavailable: HTTP ' + r.status);
    const c = await r.json();
    localStorage.setItem(key, c.visitorToken);
    return c;
  }

  // el builds an element; text is only ever set as text.
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (/^(data-|aria-|role$)/.test(k)) e.setAttribute(k, v); else e[k] = v;
    }
    e.append(...kids);
    return e;
  }

  // kept reads and writes the browser's storage, which a site's settings
  // may block: the launcher's state and the invitation's pause then last
  // for the page only.
  const kept = {
    get(area, key) { try { return window[area].getItem(key); } catch (e) { return null; } },
    set(area, key, value) { try { window[area].setItem(key, value); } catch (e) { /* for this page only */ } },
  };

  // The company's name for the logo's alt text, when the config gives it.
  const companyName = () => (w && typeof w.companyName === 'string' ? w.companyName.trim() : '');

  // defaultAvatar draws the invitation's avatar when the account has none
  // (SPEC §2.6): a head and shoulders, inline, so it needs no request.
  function defaultAvatar() {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('id', 'parley-invite-avatar');
    svg.setAttribute('viewBox', '0 0 48 48');
    svg.setAttribute('aria-hidden', 'true');
    svg.dataset.default = '1';
    const shape = (tag, attrs) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      svg.appendChild(e);
    };
    shape('rect', { width: 48, height: 48, fill: '#dfe6ee' });
    shape('circle', { cx: 24, cy: 19, r: 9, fill: '#24364f' });
    shape('path', { d: 'M7 48c1-10 8-16 17-16s16 6 17 16z', fill: '#24364f' });
    return svg;
  }
  // inviteAvatar is the account's invite avatar, or the default one when
  // there is none or it fails to load.
  function inviteAvatar() {
    if (!w.inviteAvatarUrl) return defaultAvatar();
    const img = el('img', { id: 'parley-invite-avatar', src: w.inviteAvatarUrl, alt: '' });
    img.addEventListener('error', () => img.replaceWith(defaultAvatar()));
    return img;
  }

  // #parley holds, one above the other, the invitation, the window and the
  // launcher; floating, they keep to the bottom right corner.
  const CSS = '#parley{font:14px/1.4 system-ui,sans-serif;color:#222;text-align:left;display:flex;flex-direction:column;align-items:flex-start;gap:.7rem}' +
    '#parley.parley-float{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;align-items:flex-end}#parley *{box-sizing:border-box}#parley [hidden]{display:none!important}' +
    '#parley-window{background:#fff;border:1px solid #ccc;border-radius:8px;width:22rem;max-width:calc(100vw - 2rem);box-shadow:0 4px 18px rgba(0,0,0,.15)}' +
    '#parley #parley-launcher{display:flex;align-items:center;gap:.5rem;border:0;border-radius:1.5rem;padding:.65rem 1.1rem;font-weight:600;color:#fff;background:#24364f;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}' +
    '#parley #parley-launcher.parley-offline{background:#6b7785}#parley-launcher::before{content:"";width:.6rem;height:.6rem;border-radius:50%;background:#4cd07d}' +
    '#parley-launcher.parley-offline::before{background:#c9ced4}' +
    '#parley-head{display:flex;align-items:center;gap:.5rem;padding:.45rem .7rem;background:#24364f;color:#fff;border-radius:7px 7px 0 0;cursor:pointer}' +
    '#parley-logo{display:block;max-width:2rem;max-height:2rem;border-radius:3px;background:#fff}' +
    '#parley-title{flex:1;font-weight:600}#parley-badge{background:#d33;color:#fff;border-radius:9px;padding:0 .45rem;font-size:.85em}' +
    '#parley-toggle{background:none;border:0;color:inherit;font:inherit;cursor:pointer}#parley-body{padding:.6rem}' +
    '#parley-invite{position:relative;width:17rem;max-width:calc(100vw - 3rem);margin:1.2rem 0 0 1.2rem;padding:.7rem 2rem .7rem 2.6rem;background:#fff;border:1px solid #ccc;border-radius:10px;box-shadow:0 4px 18px rgba(0,0,0,.18);cursor:pointer}' +
    '#parley-invite-avatar{position:absolute;top:-1.2rem;left:-1.2rem;width:3rem;height:3rem;border-radius:50%;object-fit:cover;border:2px solid #fff;box-shadow:0 1px 5px rgba(0,0,0,.3);background:#fff}' +
    '#parley #parley-invite-text{display:block;border:0;background:none;padding:0;text-align:left;color:inherit;cursor:pointer}' +
    '#parley #parley-invite-close{position:absolute;top:.2rem;right:.3rem;border:0;background:none;padding:.1rem .35rem;font-size:1.1em;line-height:1;color:#777;cursor:pointer}' +
    // The window keeps one height in every state (the log or the form
    // takes what is left), so it does not jump as the visitor goes on.
    '#parley-window{height:min(31rem,calc(100vh - 6rem));display:flex;flex-direction:column}' +
    '#parley-body{flex:1;min-height:0;display:flex;flex-direction:column;overflow-y:auto}' +
    '#parley-state{font-size:.9em;color:#555;padding:.2rem .4rem;border-radius:4px}' +
    '#parley-state[data-state=reconnecting],#parley-state[data-state=connecting]{background:#fff4d6;color:#6b4d00}' +
    '#parley-state[data-state=queue]{background:#e8f0fb;color:#1d3f6e;font-weight:600}' +
    '#parley-operator{display:flex;align-items:center;gap:.5rem;padding:.35rem 0;border-bottom:1px solid #eee}' +
    '#parley-operator img{width:2.4rem;height:2.4rem;border-radius:50%;object-fit:cover;background:#dfe6ee}' +
    '#parley-operator small{display:block;color:#777;font-size:.8em}#parley-operator-name{font-weight:600}' +
    '#parley-log{flex:1;min-height:6rem;overflow-y:auto;margin:.4rem 0;display:flex;flex-direction:column}' +
    '#parley-log p{margin:.2rem 0;padding:.35rem .6rem;border-radius:12px;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '#parley-log p[data-time]::after{content:attr(data-time);display:block;text-align:right;font-size:.72em;opacity:.7;margin-top:.1rem}' +
    '#parley-log .visitor{align-self:flex-end;background:#24364f;color:#fff;border-bottom-right-radius:3px}' +
    '#parley-log .operator{align-self:flex-start;background:#eef1f5;color:#1d2a38;border-bottom-left-radius:3px}' +
    '#parley-log .system{align-self:center;max-width:100%;color:#777;font-size:.88em;padding:.1rem .3rem;text-align:center}' +
    '#parley-log .pending{opacity:.55}#parley-log .failed{background:#fde7ea;color:#b00020}' +
    '#parley-log .visitor.seen[data-time]::after{content:attr(data-time) " \\2713"}' +
    '#parley label{display:flex;flex-direction:column;gap:.15rem;font-size:.9em;color:#333}' +
    '#parley .parley-field-error{color:#b00020;font-size:.85em}#parley [aria-invalid=true]{border:1px solid #b00020;outline-color:#b00020}' +
    '#parley-typing{font-size:.85em;color:#888;font-style:italic}#parley-note{color:#b00020;font-size:.9em;margin:.3rem 0}' +
    '#parley form{display:flex;gap:.4rem;margin:.3rem 0;flex-wrap:wrap}#parley-offline,#parley-prechat{flex-direction:column}' +
    '#parley input,#parley textarea,#parley select{flex:1;min-width:0;padding:.35rem;font:inherit}#parley button{font:inherit;padding:.3rem .8rem}' +
    '#parley-rating span{width:100%}';

  async function start() {
    if (!account) throw new Error('the widget needs data-account on its script tag');
    apiBase = await loadBase();
    w = await loadConfig();
    tokenReady(w.visitorToken);
    if (opt.visitorFields && opt.visitorSignature) {
      let fields;
      try { fields = JSON.parse(opt.visitorFields); } catch (e) { console.warn('Parley: data-visitor-fields is not JSON'); }
      if (fields) identify({ fields, signature: opt.visitorSignature }).catch((e) => console.warn('Parley: ' + e.message));
    }
    // Hidden hides the offer of a chat, not a chat the visitor has going.
    if (w.button === 'hidden' && !w.openChat) return;
    lang = TEXT[w.language] ? w.language : 'en';
    run();
  }

  function run() {
    // --- the window ---
    let online = w.button === 'online';
    const departments = Array.isArray(w.departments) ? w.departments : [];
    const prechatNeeded = w.askQuestion || departments.length > 0;
    const chatLanguage = placementLanguage || w.language;

    const $ = {};
    const input = (id, props) => ($[id] = el(props.rows ? 'textarea' : 'input', Object.assign({ id: 'parley-' + id, autocomplete: 'off' }, props)));
    const button = (id, text, props) => ($[id] = el('button', Object.assign({ id: id && 'parley-' + id, textContent: text }, props)));
    const form = (id, ...kids) => ($[id] = el('form', { id: 'parley-' + id, hidden: true }, ...kids));
    // labelled is a form field with its visible label and the place for
    // the service's complaint about it (fieldErrors).
    function labelled(id, text, props) {
      const field = input(id, props);
      const err = ($[id + '-error'] = el('span', { id: 'parley-' + id + '-error', className: 'parley-field-error', hidden: true }));
      field.setAttribute('aria-describedby', err.id);
      return el('label', {}, text, field, err);
    }
    // operatorCard shows who answers: the operator's photo and name
    // (SPEC §2.1 profile), once a chat has an operator.
    function operatorCard() {
      $.operatorPhoto = el('img', { id: 'parley-operator-photo', alt: '', hidden: true });
      $.operatorPhoto.addEventListener('error', () => { $.operatorPhoto.hidden = true; });
      return ($.operator = el('div', { id: 'parley-operator', hidden: true }, $.operatorPhoto,
        el('div', {}, $.operatorName = el('span', { id: 'parley-operator-name' }), el('small', { textContent: t('yourOperator') }))));
    }
    const ratings = ['excellent', 'good', 'satisfactory', 'poor', 'bad'];
    const root = document.getElementById('parley') || document.body.appendChild(el('div', { id: 'parley', className: 'parley-float' }));
    root.lang = lang;
    document.head.appendChild(el('style', { textContent: CSS }));
    // The logo (SPEC §2.1) in the window's header; one that fails to load
    // is left out rather than shown broken.
    const logo = w.logoUrl ? el('img', { id: 'parley-logo', src: w.logoUrl, alt: companyName() || t('logo') }) : '';
    if (logo) logo.addEventListener('error', () => logo.remove());
    root.replaceChildren(
      $.invite = el('div', { id: 'parley-invite', role: 'dialog', 'aria-label': t('launchOffline'), hidden: true },
        inviteAvatar(),
        button('invite-text', t('invite'), { type: 'button' }),
        button('invite-close', '×', { type: 'button', title: t('inviteClose'), 'aria-label': t('inviteClose') })),
      $.window = el('div', { id: 'parley-window', hidden: true },
        $.head = el('div', { id: 'parley-head' },
          logo,
          el('span', { id: 'parley-title', textContent: t('title') }),
          button('toggle', '–', { type: 'button', title: t('minimise'), 'aria-label': t('minimise') })),
        $.body = el('div', { id: 'parley-body' },
          $.state = el('div', { id: 'parley-state', role: 'status' }),
          operatorCard(),
          $.log = el('div', { id: 'parley-log', role: 'log', 'aria-live': 'polite' }),
          $.typing = el('div', { id: 'parley-typing', hidden: true, textContent: t('typing') }),
          form('prechat',
            el('label', { hidden: departments.length === 0 }, t('department'),
              $.department = el('select', { id: 'parley-department' },
                ...departments.map((d) => el('option', { value: d.id, textContent: d.name })))),
            input('question', { placeholder: t('question'), 'aria-label': t('question') }),
            button('', t('start'))),
          form('send', input('text', { placeholder: t('message'), 'aria-label': t('message') }), button('', t('send'))),
          form('offline',
            labelled('offline-name', t('name'), { autocomplete: 'name' }),
            labelled('offline-contact', t('contact'), { autocomplete: 'email' }),
            labelled('offline-text', t('offlineText'), { rows: 3 }),
            button('', t('leave'))),
          form('rating', el('span', { textContent: t('rateQuestion') }), ...ratings.map((r) => el('button', { value: r, textContent: t(r) }))),
          form('transcript', input('transcript-email', { type: 'email', placeholder: t('transcript'), 'aria-label': t('transcript') }), button('', t('send'))),
          $.note = el('div', { id: 'parley-note', role: 'alert', hidden: true }),
          el('div', {}, button('close', t('end'), { type: 'button', hidden: true }), button('new', t('newChat'), { type: 'button', hidden: true })))),
      $.launcher = el('button', { id: 'parley-launcher', type: 'button', title: t('open'), 'aria-controls': 'parley-window', 'aria-expanded': 'false' },
        $.launcherText = el('span', {}),
        $.badge = el('span', { id: 'parley-badge', hidden: true })));

    // --- the launcher and the window ---
    // The visitor's choice, open ("1") or collapsed ("0"), lasts for the
    // tab's session: reloads and the site's other pages keep it. Without
    // one the widget starts collapsed, unless a chat is going on (onState).
    const openKey = 'parley.open.' + account;
    const chosen = () => kept.get('sessionStorage', openKey);
    let panelOpen = chosen() === '1';
    let unread = 0;
    function layout() {
      $.window.hidden = !panelOpen;
      $.launcher.hidden = panelOpen;
      $.launcher.setAttribute('aria-expanded', String(panelOpen));
      // The online or the offline button (SPEC §4.16); a chat going on
      // is still "the chat" when the operators have left since.
      $.launcher.className = online ? 'parley-online' : 'parley-offline';
      $.launcher.dataset.button = online ? 'online' : 'offline';
      $.launcherText.textContent = online || isOpen(chat) ? t('launchOnline') : t('launchOffline');
      $.badge.hidden = panelOpen || unread === 0;
      $.badge.textContent = String(unread);
      $.badge.setAttribute('aria-label', t('unread', unread));
      $.invite.hidden = !inviting();
    }
    function setOpen(open) {
      panelOpen = open;
      if (open) opened = true;
      kept.set('sessionStorage', openKey, open ? '1' : '0');
      layout();
      maybeRead();
    }
    // focusForm puts the cursor where the visitor is to type next.
    function focusForm() {
      const f = ['send', 'prechat', 'offline', 'rating', 'transcript'].find((id) => !$[id].hidden);
      const field = f && $[f].querySelector('input, textarea, select');
      if (field) field.focus();
    }
    $.launcher.addEventListener('click', () => { setOpen(true); focusForm(); });
    $.head.addEventListener('click', () => { setOpen(false); $.launcher.focus(); });
    const visible = () => panelOpen && document.visibilityState === 'visible' && document.hasFocus();

    // --- the invitation (SPEC §2.6): while no operator is online, after
    // inviteDelay on the page, unless the window is or was open on this
    // page (the visitor has seen the offline form), a chat is going on or
    // was left, or the visitor dismissed or used one in the last day.
    const inviteKey = 'parley.invited.' + account;
    const DAY = 24 * 60 * 60 * 1000;
    let inviteDue = false;
    let opened = panelOpen;
    function invitedLately() {
      const at = +kept.get('localStorage', inviteKey);
      return at > 0 && Date.now() - at < DAY && at <= Date.now();
    }
    const inviting = () => inviteDue && !online && !opened && connected && !chat && !invitedLately();
    function inviteDone() {
      kept.set('localStorage', inviteKey, String(Date.now()));
      layout();
    }
    if (inviteDelay > 0) {
      // Counted from the page's start, not the widget's (it loads late).
      setTimeout(() => { inviteDue = true; layout(); }, Math.max(0, inviteDelay - performance.now()));
    }
    $.invite.addEventListener('click', (ev) => {
      inviteDone();
      if ($['invite-close'].contains(ev.target)) return;
      // With nobody online and no chat the window shows the offline form.
      setOpen(true);
      focusForm();
    });
    function note(text) { $.note.textContent = text || ''; $.note.hidden = !text; }

    // --- state ---
    let ws = null;
    let connected = false; // the socket is open and hello answered
    let everConnected = false;
    let chat = null; // the visitor's view of the current chat
    let left = false; // the visitor ended a chat the operator still holds
    let rated = '';
    let transcriptSent = false;
    let queue = null;
    let sendPage = true; // false once the service refused our page URL
    const shown = new Map(); // chatId/seq -> line
    const mine = new Map(); // clientId -> the visitor's line before its seq is known
    const pending = new Map(); // clientId -> sendMessage frame not yet acknowledged
    const chats = new Map();
    // rec is what the widget has seen of a chat: seqs, the highest one
    // without gaps (hello's since), the highest of anyone else's, and the
    // read mark sent.
    function rec(id) {
      if (!chats.has(id)) chats.set(id, { seen: new Set(), contig: 0, max: 0, other: 0, read: 0, fetching: false });
      return chats.get(id);
    }
    const isOpen = (c) => c && (c.status === 'waiting' || c.status === 'active');

    function send(f) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      const s = JSON.stringify(f);
      if (bytes(s) > MAX_FRAME) return false;
      ws.send(s);
      return true;
    }
    // fits checks a text the visitor wrote against the service's limits,
    // and the frame carrying it against the gateway's.
    function fits(text, frame) {
      const n = bytes(text.trim());
      if (n > MAX_TEXT) { note(t('tooLong', Math.ceil(n / 1024))); return false; }
      if (bytes(JSON.stringify(frame)) > MAX_FRAME) { note(t('tooLong')); return false; }
      note('');
      return true;
    }

    function currentPage() {
      if (!/^https?:$/.test(location.protocol)) return '';
      let u = location.href;
      if (bytes(u) > MAX_URL) u = location.origin + location.pathname;
      return bytes(u) > MAX_URL ? '' : u;
    }

    function render() {
      const open = isOpen(chat) && !left;
      const withOperator = chat && !!chat.operatorId;
      const forms = [];
      if (!chat) forms.push(online ? (prechatNeeded ? 'prechat' : 'send') : 'offline');
      else if (chat.offline) { /* nothing more to do */ } else if (open) forms.push('send');
      else if (withOperator) {
        if (!chat.rating && !rated) forms.push('rating');
        if (w.visitorTranscriptEmail !== false && !transcriptSent) forms.push('transcript');
      }
      for (const id of ['prechat', 'send', 'offline', 'rating', 'transcript']) $[id].hidden = !forms.includes(id);
      for (const b of root.querySelectorAll('form button')) b.disabled = !connected;
      $.close.hidden = !open || !connected;
      $.new.hidden = !chat || open || chat.offline;
      let s;
      $.state.dataset.state = !connected ? (everConnected ? 'reconnecting' : 'connecting')
        : chat && chat.status === 'waiting' && !left && (chat.queued || (queue && queue.chatId === chat.id)) ? 'queue' : '';
      showOperator();
      if (!connected) s = everConnected ? t('reconnecting') : t('connecting');
      else if (!chat) s = online ? t('online') : t('offline');
      else if (chat.offline) s = t('offlineSent');
      else if (chat.rating || rated) s = t('rated');
      else if (chat.status === 'closed') s = t('ended');
      else if (left) s = t('left');
      else if (chat.status === 'waiting' && queue && queue.chatId === chat.id) s = t('queue', queue.position, queue.waitSeconds && Math.max(1, Math.round(queue.waitSeconds / 60)));
      else if (chat.status === 'waiting') s = chat.queued ? t('queue') : t('waiting'); // queued, its place not told yet
      else s = t('active');
      $.state.textContent = s;
      layout();
    }

    // showOperator fills the operator's card while a chat has one.
    function showOperator() {
      const op = chat && chat.operatorId && !chat.offline && chat.operator;
      $.operator.hidden = !op;
      if (!op) return;
      $.operatorName.textContent = op.name || '';
      const src = op.photoUrl ? apiBase + op.photoUrl : '';
      if (src && $.operatorPhoto.getAttribute('src') !== src) { $.operatorPhoto.src = src; $.operatorPhoto.hidden = false; }
      if (!src) $.operatorPhoto.hidden = true;
      $.operatorPhoto.alt = t('operatorPhoto', op.name || '');
    }

    // --- the offline form's errors, beside their fields ---
    const offlineFields = { name: 'offline-name', contact: 'offline-contact', text: 'offline-text' };
    const fieldText = { name: 'fieldName', contact: 'fieldContact', text: 'fieldText' };
    function fieldErrors(fields) {
      let first = null;
      for (const [f, id] of Object.entries(offlineFields)) {
        const bad = !!(fields && fields[f]);
        $[id].setAttribute('aria-invalid', String(bad));
        $[id + '-error'].hidden = !bad;
        $[id + '-error'].textContent = bad ? t(fieldText[f]) : '';
        if (bad && !first) first = $[id];
      }
      return first;
    }
    function offlineRefused(e) {
      const first = fieldErrors(e.fields);
      note(first ? t('fieldsWrong') : (e.message || t('trouble')));
      if (first) first.focus();
    }
    function offlineSent() {
      fieldErrors(null);
      note('');
      $.offline.reset();
    }

    // --- messages ---
    // place puts a line among the chat's lines by seq: after lines with a
    // smaller one, before the visitor's own still unacknowledged ones.
    function place(p) {
      const seq = +p.dataset.seq;
      p.remove();
      let at = $.log.lastElementChild;
      while (at && (at.classList.contains('pending') || (at.dataset.chat === p.dataset.chat && +at.dataset.seq > seq))) at = at.previousElementSibling;
      $.log.insertBefore(p, at ? at.nextSibling : $.log.firstChild);
    }
    // hhmm is a message's time as the visitor's clock shows it.
    function hhmm(at) {
      const d = at ? new Date(at) : new Date();
      return isNaN(d) ? '' : d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
    }
    // line adds a message's bubble; its time is drawn from data-time (by
    // CSS), so the line's text stays the message's text.
    function line(cls, text, at) {
      const p = el('p', { className: cls, textContent: text });
      if (cls !== 'system') p.dataset.time = hhmm(at);
      $.log.appendChild(p);
      $.log.scrollTop = $.log.scrollHeight;
      return p;
    }
    function keyed(p, chatId, seq) {
      p.dataset.chat = chatId;
      p.dataset.seq = String(seq);
      p.classList.remove('pending');
      shown.set(chatId + '/' + seq, p);
      place(p);
      $.log.scrollTop = $.log.scrollHeight;
    }
    function seen(chatId, seq, kind) {
      const r = rec(chatId);
      r.seen.add(seq);
      while (r.seen.has(r.contig + 1)) r.contig++;
      r.max = Math.max(r.max, seq);
      if (kind !== 'visitor') {
        r.other = Math.max(r.other, seq);
        if (chat && chatId === chat.id && seq > r.read && !visible()) unread++;
      }
      // A gap (a frame lost while reconnecting): fetch what is missing.
      if (r.max > r.contig && !r.fetching && pending.size === 0 && send({ action: 'history', clientId: 'history', chatId, since: r.contig })) r.fetching = true;
    }
    function showMessage(m) {
      const key = m.chatId + '/' + m.seq;
      if (shown.has(key)) return;
      let p = m.clientId && mine.get(m.clientId);
      if (p) { mine.delete(m.clientId); pending.delete(m.clientId); p.dataset.time = hhmm(m.at); } else p = line(m.from.kind, m.text, m.at);
      keyed(p, m.chatId, m.seq);
      if (m.from.kind === 'operator') $.typing.hidden = true;
      seen(m.chatId, m.seq, m.from.kind);
      if (chat && m.chatId === chat.id && m.from.kind === 'visitor' && m.seq <= (chat.operatorRead || 0)) p.classList.add('seen');
    }
    function onSent(f) {
      const p = mine.get(f.clientId);
      const sent = pending.get(f.clientId);
      mine.delete(f.clientId);
      pending.delete(f.clientId);
      const key = f.chatId + '/' + f.seq;
      if (p && f.at) p.dataset.time = hhmm(f.at);
      if (p && shown.has(key) && shown.get(key) !== p) p.remove();
      else if (p && !shown.has(key)) keyed(p, f.chatId, f.seq);
      if (!chat || chat.id !== f.chatId) {
        // A chat this widget has not been told about (a resumed one): ask.
        setChat({ id: f.chatId, status: 'waiting', seq: f.seq, visitorRead: 0, operatorRead: 0 });
        send({ action: 'history', clientId: 'history', chatId: f.chatId, since: 0 });
      }
      seen(f.chatId, f.seq, 'visitor');
      // The service does not take sendMessage's page: report it now, for
      // the priority flag.
      if (sent && !sent.chatId) reportPage(true);
    }
    // operatorRead marks the visitor's lines the operator has read.
    function operatorRead(chatId, seq) {
      for (const p of $.log.querySelectorAll('p.visitor')) if (p.dataset.chat === chatId && +p.dataset.seq <= seq) p.classList.add('seen');
    }

    function setChat(c) {
      if (!chat || chat.id !== c.id) { left = false; rated = ''; transcriptSent = false; $.typing.hidden = true; }
      const was = chat && chat.id === c.id ? chat : null;
      chat = Object.assign({}, was, c);
      const r = rec(c.id);
      r.read = Math.max(r.read, c.visitorRead || 0);
      if (c.operatorRead) operatorRead(c.id, c.operatorRead);
      if (!isOpen(c)) $.typing.hidden = true;
    }

    // maybeRead sends the read mark while the messages are visible: up to
    // the last seq seen, once someone else wrote after the last mark (or
    // the chat closed, so that it is not brought back as unread).
    function maybeRead() {
      if (!chat || !connected || !visible()) return;
      const r = rec(chat.id);
      unread = 0;
      layout();
      if (r.max > r.read && (r.other > r.read || !isOpen(chat)) && send({ action: 'read', clientId: 'read', chatId: chat.id, seq: r.max })) r.read = r.max;
    }

    // --- the page (SPEC §2.7 priority pages) ---
    let reported = '';
    let pageTimer = 0;
    function reportPage(force) {
      const u = sendPage && currentPage();
      if (!u || !connected || !isOpen(chat) || (!force && u === reported)) return;
      if (send({ action: 'page', clientId: 'page', url: u })) reported = u;
    }
    const pageChanged = () => { clearTimeout(pageTimer); pageTimer = setTimeout(() => reportPage(false), 200); };
    for (const m of ['pushState', 'replaceState']) {
      const orig = history[m];
      history[m] = function () { const r = orig.apply(this, arguments); pageChanged(); return r; };
    }
    addEventListener('popstate', pageChanged);
    addEventListener('hashchange', pageChanged);

    // --- typing ---
    let typingSince = 0;
    let typingTimer = 0;
    function stopTyping() {
      clearTimeout(typingTimer);
      if (typingSince && chat) send({ action: 'typing', clientId: 'typing', chatId: chat.id, typing: false });
      typingSince = 0;
    }
    $.text.addEventListener('input', () => {
      note('');
      if (!isOpen(chat) || left || !connected) return;
      if (!$.text.value.trim()) { stopTyping(); return; }
      // At most one "typing" every 3 s while the visitor types; "stopped"
      // after 5 s without a key.
      if (Date.now() - typingSince > 3000 && send({ action: 'typing', clientId: 'typing', chatId: chat.id, typing: true })) typingSince = Date.now();
      clearTimeout(typingTimer);
      typingTimer = setTimeout(stopTyping, 5000);
    });
    let operatorTyping = 0;
    function onTyping(f) {
      if (!chat || f.chatId !== chat.id || !f.from || f.from.kind !== 'operator') return;
      $.typing.hidden = !f.typing;
      clearTimeout(operatorTyping);
      if (f.typing) operatorTyping = setTimeout(() => { $.typing.hidden = true; }, 8000);
    }

    // --- frames ---
    function onState(f) {
      connected = everConnected = true;
      attempt = 0;
      const since = chat ? rec(chat.id).contig : 0;
      if (f.chat) {
        if (since > 0 && f.chat.id !== chat.id) send({ action: 'history', clientId: 'history', chatId: f.chat.id, since: 0 });
        setChat(f.chat);
      } else if (isOpen(chat)) {
        // Closed meanwhile (and read): the chat's history says so.
        send({ action: 'history', clientId: 'history', chatId: chat.id, since });
      }
      (f.messages || []).forEach(showMessage);
      // A chat going on comes back open, unless the visitor collapsed the
      // window in this tab.
      if (isOpen(chat) && !panelOpen && chosen() === null) panelOpen = opened = true;
      // hello's page only announces the visitor: the open chat's page is
      // set by the page action.
      if (isOpen(chat)) reportPage(true);
      for (const frame of pending.values()) send(frame); // the same clientId: stored once
    }
    function onError(f) {
      const e = f.error || {};
      const id = f.clientId || '';
      if (id === 'hello') {
        // A page URL the service does not take must not keep the visitor out.
        sendPage = false;
        send({ action: 'hello', since: chat ? rec(chat.id).contig : 0 });
        return;
      }
      if (['page', 'read', 'typing', 'history'].includes(id)) {
        if (id === 'history') for (const r of chats.values()) r.fetching = false;
        console.warn('Parley: ' + id + ': ' + e.message);
        return;
      }
      if (id === 'offline') { offlineRefused(e); return; }
      if (id === 'rate') rated = '';
      const p = mine.get(id);
      if (p) {
        mine.delete(id);
        pending.delete(id);
        p.classList.remove('pending');
        p.classList.add('failed');
        p.append(' (' + t('notSent') + ')');
      }
      line('system', e.message || t('trouble'));
    }
    // nextPage asks for the rest of a chat's messages when a frame held
    // only the first of them (more).
    function nextPage(f) {
      const ms = f.messages || [];
      if (f.more && f.chat && ms.length && send({ action: 'history', clientId: 'history', chatId: f.chat.id, since: ms[ms.length - 1].seq })) rec(f.chat.id).fetching = true;
    }
    function onFrame(f) {
      switch (f.type) {
        case 'state': onState(f); nextPage(f); break;
        case 'chat':
          if (f.chat && f.chat.offline && f.clientId === 'offline') offlineSent();
          setChat(f.chat); (f.messages || []).forEach(showMessage); nextPage(f); break;
        case 'messages':
          rec(f.chat.id).fetching = false;
          if (chat && f.chat.id === chat.id) setChat(f.chat);
          (f.messages || []).forEach(showMessage);
          nextPage(f);
          break;
        case 'message': showMessage(f); break;
        case 'sent': onSent(f); break;
        case 'typing': onTyping(f); break;
        case 'read':
          if (f.from && f.from.kind === 'operator') {
            operatorRead(f.chatId, f.seq);
            if (chat && chat.id === f.chatId) chat.operatorRead = Math.max(chat.operatorRead || 0, f.seq);
          }
          break;
        case 'queue': queue = f; break;
        case 'button': followPresence(f); break;
        case 'teleport': if (/^https?:\/\//i.test(f.url)) location.href = f.url; break;
        case 'ok':
          if (f.transcript) { transcriptSent = true; line('system', t('transcriptSent')); }
          break;
        case 'error': onError(f); break;
        default:
          if (!f.type && f.message) line('system', t('trouble')); // the gateway's own error frame
      }
      render();
      maybeRead();
    }

    // followPresence: the account's operators came online or all left
    // (SPEC §4.16). The config says which button this placement shows (its
    // language, the queue limits); the push spreads the visitors' calls.
    let presenceTimer = 0;
    function followPresence(f) {
      clearTimeout(presenceTimer);
      presenceTimer = setTimeout(async () => {
        try { online = (await loadConfig()).button === 'online'; } catch (e) { online = !!f.online; }
        render();
      }, Math.min(Math.max(+f.refreshMs || 0, 0), 5000));
    }

    // --- the socket, reconnecting with back-off ---
    let attempt = 0;
    let timer = 0;
    let leaving = false;
    function connect() {
      clearTimeout(timer);
      timer = 0;
      const sock = new WebSocket(w.websocketUrl + '?visitorToken=' + encodeURIComponent(w.visitorToken));
      ws = sock;
      sock.onopen = () => {
        const page = sendPage ? currentPage() : '';
        // since: the last seq seen without a gap, so what was missed arrives.
        sock.send(JSON.stringify({ action: 'hello', clientId: 'hello', since: chat ? rec(chat.id).contig : 0, page: page || undefined }));
      };
      sock.onmessage = (ev) => {
        if (sock !== ws) return;
        let f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        onFrame(f);
      };
      sock.onclose = () => {
        if (sock !== ws) return;
        ws = null;
        connected = false;
        stopTyping();
        render();
        if (!leaving) reconnect();
      };
    }
    function reconnect() {
      if (timer) return;
      // 0.5 s, 1 s, 2 s... up to 30 s, each drawn between half and all of it.
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      timer = setTimeout(async () => {
        if (attempt > 3) {
          // Several failures: the token may have expired; the config gives a
          // fresh one (the same visitor while it is valid) and the button.
          try { const c = await loadConfig(); w.visitorToken = c.visitorToken; online = c.button === 'online'; } catch (e) { /* keep trying */ }
        }
        connect();
      }, delay);
    }
    addEventListener('online', () => { if (!ws) connect(); });
    addEventListener('pagehide', () => { leaving = true; });
    addEventListener('pageshow', (ev) => { if (ev.persisted) { leaving = false; if (!ws) connect(); } });
    addEventListener('focus', maybeRead);
    document.addEventListener('visibilitychange', maybeRead);

    // --- the forms ---
    function clientId() {
      const b = crypto.getRandomValues(new Uint8Array(16));
      return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    }
    $.send.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = $.text.value;
      if (!text.trim() || !connected) return;
      const id = clientId();
      const starting = !isOpen(chat) || left;
      // A first message starts a chat in the placement's language, on this page.
      const f = { action: 'sendMessage', clientId: id, text, chatId: starting ? undefined : chat.id, language: starting ? chatLanguage : undefined };
      if (starting && sendPage && currentPage()) f.page = currentPage();
      if (!fits(text, f)) return;
      stopTyping();
      if (!send(f)) return;
      pending.set(id, f);
      mine.set(id, line('visitor pending', text.trim()));
      $.text.value = '';
    });
    $.prechat.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = $.question.value.trim();
      if ((w.askQuestion && !q) || !connected) return;
      const f = { action: 'startChat', question: q || undefined, departmentId: departments.length ? $.department.value : undefined, language: chatLanguage };
      if (sendPage && currentPage()) f.page = currentPage();
      if (fits(q, f) && send(f)) reported = f.page || '';
    });
    $.offline.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = { action: 'leaveMessage', clientId: 'offline', name: $['offline-name'].value, contact: $['offline-contact'].value, text: $['offline-text'].value };
      if (sendPage && currentPage()) f.page = currentPage();
      // Having left a message, the visitor needs no invitation to.
      if (fits(f.text, f) && send(f)) inviteDone();
    });
    $.rating.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const rating = ev.submitter && ev.submitter.value;
      if (!rating || !chat || !send({ action: 'rate', clientId: 'rate', chatId: chat.id, rating })) return;
      rated = rating;
      render();
    });
    $.transcript.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const email = $['transcript-email'].value.trim();
      if (email && chat) send({ action: 'sendTranscript', chatId: chat.id, email });
    });
    $.close.addEventListener('click', () => {
      if (!chat || !send({ action: 'closeChat', chatId: chat.id })) return;
      // An operator's chat stays theirs until they close it too (SPEC §3).
      left = true;
      stopTyping();
      render();
    });
    $.new.addEventListener('click', async () => {
      chat = null;
      left = false;
      queue = null;
      $.log.replaceChildren();
      shown.clear();
      note('');
      // The operators may have come or gone meanwhile.
      try { online = (await loadConfig()).button === 'online'; } catch (e) { /* keep the last */ }
      render();
      (prechatNeeded ? $.question : $.text).focus();
    });

    layout();
    render();
    connect();
  }

  start().catch((e) => { tokenFailed(e); console.warn('Parley: ' + e.message); });
})();

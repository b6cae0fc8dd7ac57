// The widget in a real browser: a visitor on the demo page and an operator
// on the WebSocket API (a bare socket in a second page, as the workplace
// opens it) exchange messages; read marks, page reports and priority,
// typing both ways, reconnecting after a dropped socket, the size limit,
// the Russian interface, signed identification and a new chat after a
// closed one, each checked from the operator's side. Then the launcher the
// widget starts as, the company's logo and the automatic invitation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { env, launch, pageErrors } from './browser.mjs';

let browser;
// Accounts of this file's own: the other browser tests change the shared
// account's settings (its language among them), and who is online decides
// the widget's button.
let acme;
before(async () => {
  browser = await launch();
  acme = await signUp('en');
});
after(async () => { await browser?.close(); });

async function signUp(language) {
  const email = `widget-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const r = await fetch(`${env.httpURL}/v1/accounts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ companyName: 'Widget Ltd', email, password: 'widget admin password 1', plan: 'basic', language }),
  });
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  return { id: body.account.id, token: body.token, adminId: body.user.id };
}

// api calls the HTTP API as the account's administrator.
async function api(account, method, path, body) {
  const r = await fetch(env.httpURL + path, {
    method, headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await r.json().catch(() => ({}));
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(out)}`);
  return out;
}

const demoURL = (account, query = '') => `${env.httpURL}/widget/demo.html?account=${encodeURIComponent(account.id)}${query}`;
const isConfig = (r) => /\/v1\/widget\/[^/]+\/config$/.test(new URL(r.url()).pathname);

// openWidget loads a page with the widget (or reloads it) and returns the
// config the widget received, once its socket is open and hello answered
// (its form buttons enabled, though hidden while offline). Unless told
// not to (expand: false), it then opens the chat window as a visitor does,
// with a click on the launcher, when the window is not open already.
async function openWidget(page, url, { expand = true } = {}) {
  const config = page.waitForResponse(isConfig);
  await (url ? page.goto(url) : page.reload());
  const r = await config;
  assert.equal(r.status(), 200);
  await page.locator('#parley-send button:enabled').waitFor({ state: 'attached' });
  if (expand) await openWindow(page);
  return { body: await r.json(), sentToken: new URL(r.url()).searchParams.get('visitorToken') };
}

// openWindow clicks the launcher when the window is collapsed.
async function openWindow(page) {
  if (await page.locator('#parley-launcher').isVisible()) await page.locator('#parley-launcher').click();
  await page.locator('#parley-window').waitFor();
}

// connectOperator opens the administrator's staff socket in a page of its
// own and returns helpers: send a frame, wait for a received frame.
async function connectOperator(context, account) {
  const page = await context.newPage();
  await page.evaluate(async (url) => {
    window.received = [];
    window.operator = new WebSocket(url);
    window.operator.onmessage = (ev) => window.received.push(JSON.parse(ev.data));
    await new Promise((resolve, reject) => {
      window.operator.onopen = resolve;
      window.operator.onerror = () => reject(new Error('the operator socket failed to open'));
    });
  }, `${env.webSocketURL}?token=${encodeURIComponent(account.token)}`);
  return {
    page,
    send: (frame) => page.evaluate((f) => window.operator.send(JSON.stringify(f)), frame),
    // wait returns the first frame, from index `from` on, for which
    // pred(frame, arg) holds; pred runs in the page, so it uses arg only.
    wait: async (pred, arg = null, from = 0) => (await page.waitForFunction(
      ([src, arg, from]) => window.received.slice(from).find((f) => new Function(`return ${src}`)()(f, arg)),
      [pred.toString(), arg, from], { polling: 50 })).jsonValue(),
    count: () => page.evaluate(() => window.received.length),
    frames: () => page.evaluate(() => window.received),
  };
}

// session is a browser context with an operator of the account and a
// visitor page whose errors are collected.
async function session(account = acme) {
  const context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  const op = await connectOperator(context, account);
  const visitor = await context.newPage();
  return { context, op, visitor, errors: pageErrors(visitor) };
}

async function say(visitor, text) {
  await visitor.locator('#parley-text').fill(text);
  await visitor.locator('#parley-send button').click();
  await visitor.locator('#parley-log p.visitor', { hasText: text }).waitFor();
}

const messageIs = (f, text) => f.type === 'message' && f.text === text;
const sentAs = (f, clientId) => f.type === 'sent' && f.clientId === clientId;

test('widget: visitor and operator exchange messages; a returning visitor keeps its id', async () => {
  const { context, op, visitor, errors } = await session();
  const first = await openWidget(visitor, demoURL(acme));
  assert.equal(first.body.button, 'online', 'an operator is connected');
  assert.equal(first.body.websocketUrl, env.webSocketURL);
  await visitor.locator('#parley-state', { hasText: 'Operators are online' }).waitFor();

  // The visitor writes through the widget's form; the operator gets it.
  await say(visitor, 'Hello from a real browser');
  const got = await op.wait(messageIs, 'Hello from a real browser');
  assert.equal(got.from.kind, 'visitor');
  assert.equal(got.from.id, first.body.visitorId);

  // The operator's reply shows in the widget's log.
  await op.send({ action: 'sendMessage', clientId: 'op-1', to: first.body.visitorId, text: 'Hello, how can I help?' });
  await visitor.locator('#parley-log p.operator', { hasText: 'Hello, how can I help?' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget.png') });

  // The widget keeps the visitor's token; a reload sends it back and is
  // the same visitor, to the operator as well, and shows the chat again.
  const key = `parley.visitor.${acme.id}`;
  assert.equal(await visitor.evaluate((k) => localStorage.getItem(k), key), first.body.visitorToken);
  const again = await openWidget(visitor);
  assert.equal(again.sentToken, first.body.visitorToken, 'the reload sent the stored token');
  assert.equal(again.body.visitorId, first.body.visitorId, 'a returning visitor keeps its id');
  await visitor.locator('#parley-log p.operator', { hasText: 'Hello, how can I help?' }).waitFor();
  await say(visitor, 'Back again');
  const back = await op.wait(messageIs, 'Back again');
  assert.equal(back.from.id, first.body.visitorId);
  assert.equal(back.chatId, got.chatId, 'the same chat');

  // Without the stored token (another browser profile) it is someone else.
  const stranger = await browser.newContext();
  const other = await openWidget(await stranger.newPage(), demoURL(acme));
  assert.notEqual(other.body.visitorId, first.body.visitorId);
  await stranger.close();

  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: read marks reach the operator while the messages are visible, not while the window is minimised', async () => {
  const { context, op, visitor, errors } = await session();
  const { body } = await openWidget(visitor, demoURL(acme));
  await say(visitor, 'Is anyone there?');
  const got = await op.wait(messageIs, 'Is anyone there?');
  const chatId = got.chatId;

  await op.send({ action: 'sendMessage', clientId: 'read-1', chatId, text: 'Yes, I am here' });
  const answer = await op.wait(sentAs, 'read-1');
  await visitor.locator('#parley-log p.operator', { hasText: 'Yes, I am here' }).waitFor();
  const read = await op.wait((f, a) => f.type === 'read' && f.chatId === a.chatId && f.seq === a.seq, { chatId, seq: answer.seq });
  assert.deepEqual(read.from, { kind: 'visitor', id: body.visitorId });
  // The mark is stored: the chat says so.
  await op.send({ action: 'history', clientId: 'read-h1', chatId, since: 0 });
  assert.equal((await op.wait((f) => f.type === 'messages' && f.clientId === 'read-h1')).chat.visitorRead, answer.seq);

  // Collapsed to the launcher, a new message is counted as unread and not
  // marked read until the visitor opens the window again.
  await visitor.locator('#parley-head').click();
  await visitor.locator('#parley-window').waitFor({ state: 'hidden' });
  await op.send({ action: 'sendMessage', clientId: 'read-2', chatId, text: 'Are you still there?' });
  const later = await op.wait(sentAs, 'read-2');
  await visitor.locator('#parley-badge', { hasText: '1' }).waitFor();
  assert.ok(!(await op.frames()).some((f) => f.type === 'read' && f.seq >= later.seq), 'no read mark while minimised');
  await visitor.locator('#parley-launcher #parley-badge', { hasText: '1' }).waitFor();
  await visitor.locator('#parley-launcher').click();
  await op.wait((f, a) => f.type === 'read' && f.chatId === a.chatId && f.seq === a.seq, { chatId, seq: later.seq });
  await visitor.locator('#parley-badge').waitFor({ state: 'hidden' });

  // The operator's read mark ticks the visitor's line.
  await op.send({ action: 'read', clientId: 'read-3', chatId, seq: got.seq });
  await visitor.locator('#parley-log p.visitor.seen', { hasText: 'Is anyone there?' }).waitFor();
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: the page follows single-page navigation and sets and clears the chat priority', async () => {
  const pricing = `${env.httpURL}/widget/pricing`;
  const offers = `${demoURL(acme)}#offers`;
  await api(acme, 'PATCH', '/v1/settings/features', { priorityPages: [pricing, offers] });
  try {
    const { context, op, visitor, errors } = await session();
    await openWidget(visitor, demoURL(acme));
    // pushState before the chat: the chat starts on the priority page.
    await visitor.getByRole('link', { name: 'Pricing' }).click();
    await visitor.waitForURL(`${pricing}?account=${acme.id}`);
    await say(visitor, 'How much is it?');
    const { chatId } = await op.wait(messageIs, 'How much is it?');
    const flagged = (f, a) => f.type === 'chat' && f.chat.id === a.chatId && !!f.chat.priority === a.priority;
    let from = 0;
    const priority = async (want, step) => {
      const f = await op.wait(flagged, { chatId, priority: want }, from);
      assert.equal(!!f.chat.priority, want, step);
      from = await op.count();
      return f;
    };
    assert.equal((await priority(true, 'pushState')).chat.page, `${pricing}?account=${acme.id}`);
    // popstate: back on the home page, the flag clears.
    await visitor.evaluate(() => history.back());
    await priority(false, 'popstate');
    // hashchange: a priority anchor.
    await visitor.getByRole('link', { name: 'Offers' }).click();
    assert.equal((await priority(true, 'hashchange')).chat.page, offers);
    // replaceState away from it.
    await visitor.evaluate((url) => history.replaceState(null, '', url), demoURL(acme));
    assert.equal((await priority(false, 'replaceState')).chat.page, demoURL(acme));
    assert.deepEqual(errors, [], 'the widget ran without errors');
    await context.close();
  } finally {
    await api(acme, 'PATCH', '/v1/settings/features', { priorityPages: [] });
  }
});

test('widget: the pre-chat form starts the chat with the question, the department and the page', async () => {
  const department = await api(acme, 'POST', '/v1/departments', { name: 'Sales' });
  const { context, op, visitor, errors } = await session();
  const url = demoURL(acme, '&askQuestion=1&askDepartment=1');
  const { body } = await openWidget(visitor, url);
  assert.equal(body.askQuestion, true);
  await visitor.locator('#parley-prechat').waitFor();
  assert.equal(await visitor.locator('#parley-send').isHidden(), true, 'the question comes first');
  await visitor.locator('#parley-question').fill('Do you ship abroad?');
  await visitor.locator('#parley-department').selectOption({ label: 'Sales' });
  await visitor.locator('#parley-prechat button').click();
  await visitor.locator('#parley-log p.visitor', { hasText: 'Do you ship abroad?' }).waitFor();
  await visitor.locator('#parley-send').waitFor();
  const started = await op.wait((f) => f.type === 'chat' && f.chat.question === 'Do you ship abroad?');
  assert.equal(started.chat.departmentId, department.id);
  assert.equal(started.chat.page, url);
  assert.equal(started.chat.visitorId, body.visitorId);
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: typing is shown both ways', async () => {
  const { context, op, visitor, errors } = await session();
  await openWidget(visitor, demoURL(acme));
  await say(visitor, 'Let me explain');
  const { chatId } = await op.wait(messageIs, 'Let me explain');
  await op.send({ action: 'take', clientId: 'typing-take', chatId });
  await op.wait((f) => f.type === 'chat' && f.clientId === 'typing-take');

  await op.send({ action: 'typing', clientId: 'typing-1', chatId, typing: true });
  await visitor.locator('#parley-typing', { hasText: 'The operator is typing' }).waitFor();
  await op.send({ action: 'typing', clientId: 'typing-2', chatId, typing: false });
  await visitor.locator('#parley-typing').waitFor({ state: 'hidden' });

  const from = await op.count();
  const typing = (f, a) => f.type === 'typing' && f.chatId === a.chatId && f.from.kind === 'visitor' && f.typing === a.typing;
  const keys = 'It is about';
  const began = Date.now();
  await visitor.locator('#parley-text').pressSequentially(keys, { delay: 20 });
  const took = Date.now() - began;
  await op.wait(typing, { chatId, typing: true }, from);
  await visitor.locator('#parley-send button').click();
  await op.wait(typing, { chatId, typing: false }, from);
  await op.wait(messageIs, keys);
  // Throttled: a burst of keys makes one "typing" every 3 s, not one each.
  const started = (await op.frames()).slice(from).filter((f) => f.type === 'typing' && f.typing);
  assert.ok(started.length >= 1 && started.length <= 1 + Math.floor(took / 3000), `${started.length} typing frames for ${keys.length} keys in ${took} ms`);
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: a dropped socket reconnects and delivers a message sent meanwhile exactly once', async () => {
  const { context, op, visitor, errors } = await session();
  // The visitor's socket goes through a route the test can cut; while
  // blocked, every new socket is closed at once.
  let blocked = false;
  const sockets = [];
  await visitor.routeWebSocket((url) => url.searchParams.has('visitorToken'), (ws) => {
    if (blocked) { ws.close(); return; }
    sockets.push({ ws, server: ws.connectToServer() });
  });
  const hellos = [];
  visitor.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(f.payload);
    if (frame.action === 'hello') hellos.push(frame);
  }));
  await openWidget(visitor, demoURL(acme));
  await say(visitor, 'Before the drop');
  const { chatId } = await op.wait(messageIs, 'Before the drop');
  await op.send({ action: 'sendMessage', clientId: 'drop-1', chatId, text: 'First answer' });
  const first = await op.wait(sentAs, 'drop-1');
  await visitor.locator('#parley-log p.operator', { hasText: 'First answer' }).waitFor();

  blocked = true;
  const cut = sockets.at(-1);
  await cut.server.close();
  await cut.ws.close();
  await visitor.locator('#parley-state', { hasText: 'reconnecting' }).waitFor();
  await op.send({ action: 'sendMessage', clientId: 'drop-2', chatId, text: 'Sent while you were away' });
  await op.wait(sentAs, 'drop-2');
  blocked = false;

  await visitor.locator('#parley-log p.operator', { hasText: 'Sent while you were away' }).waitFor();
  await visitor.locator('#parley-send button:enabled').waitFor();
  assert.ok(sockets.length >= 2, 'a new socket');
  const hello = hellos.at(-1);
  assert.ok(hello.since >= first.seq, `hello after the drop asks from the last seq seen: ${JSON.stringify(hello)}`);

  // The chat goes on over the new socket, both ways.
  await op.send({ action: 'sendMessage', clientId: 'drop-3', chatId, text: 'After the reconnect' });
  await visitor.locator('#parley-log p.operator', { hasText: 'After the reconnect' }).waitFor();
  await say(visitor, 'Got them all');
  await op.wait(messageIs, 'Got them all');
  const lines = await visitor.locator('#parley-log p').allTextContents();
  assert.equal(lines.filter((l) => l === 'Sent while you were away').length, 1, `exactly once: ${JSON.stringify(lines)}`);
  assert.equal(new Set(lines).size, lines.length, `no line twice: ${JSON.stringify(lines)}`);
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: a long chat comes back whole after a reload, page by page', async () => {
  const { context, op, visitor, errors } = await session();
  await openWidget(visitor, demoURL(acme));
  await say(visitor, 'Tell me everything');
  const { chatId } = await op.wait(messageIs, 'Tell me everything');
  // More than one frame holds (about 96 KB of messages a frame).
  const n = 14;
  const text = (i) => `Line ${i}: ${'x'.repeat(10_000)}`;
  for (let i = 0; i < n; i++) await op.send({ action: 'sendMessage', clientId: `long-${i}`, chatId, text: text(i) });
  const last = await op.wait(sentAs, `long-${n - 1}`);
  await visitor.locator('#parley-log p.operator', { hasText: `Line ${n - 1}:` }).waitFor();

  const pages = [];
  visitor.on('websocket', (ws) => ws.on('framereceived', (f) => {
    const frame = JSON.parse(f.payload);
    if (frame.type === 'state' || frame.type === 'messages') pages.push(frame);
  }));
  await openWidget(visitor);
  await visitor.locator('#parley-log p.operator', { hasText: `Line ${n - 1}:` }).waitFor();
  assert.equal(pages[0].more, true, 'the state held only the first page');
  const lines = await visitor.locator('#parley-log p').allTextContents();
  assert.equal(lines.length, last.seq, 'every message once');
  assert.deepEqual(lines.slice(-n), Array.from({ length: n }, (_, i) => text(i)), 'in order');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: an oversize message is refused with a message, and the socket stays open', async () => {
  const { context, op, visitor, errors } = await session();
  const sockets = [];
  visitor.on('websocket', (ws) => { if (ws.url().includes('visitorToken')) sockets.push(ws); });
  await openWidget(visitor, demoURL(acme));
  await say(visitor, 'A short one first');
  await op.wait(messageIs, 'A short one first');

  // Over the service's 16 KB text limit.
  await visitor.locator('#parley-text').fill('a'.repeat(17_000));
  await visitor.locator('#parley-send button').click();
  await visitor.locator('#parley-note', { hasText: 'The message is too long (17 KB, at most 16 KB)' }).waitFor();
  assert.equal((await visitor.locator('#parley-text').inputValue()).length, 17_000, 'the text is kept to shorten');
  // Within the text limit, but a frame over the gateway's 32 KB once the
  // quotes are escaped.
  await visitor.locator('#parley-text').fill('"'.repeat(16 * 1024));
  await visitor.locator('#parley-send button').click();
  await visitor.locator('#parley-note', { hasText: 'The message is too long' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget-too-long.png') });

  await say(visitor, 'A short one again');
  await op.wait(messageIs, 'A short one again');
  await visitor.locator('#parley-note').waitFor({ state: 'hidden' });
  assert.equal(sockets.length, 1, 'the same socket');
  assert.equal(sockets[0].isClosed(), false, 'still open');
  assert.equal(await visitor.locator('#parley-log p.visitor').count(), 2, 'nothing else was sent');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: Russian for an account in ru, and for a ru placement in multilingual mode', async () => {
  // An account whose language is ru.
  const ru = await signUp('ru');
  const s = await session(ru);
  const { body } = await openWidget(s.visitor, demoURL(ru));
  assert.equal(body.language, 'ru');
  await s.visitor.locator('#parley-state', { hasText: 'Операторы в сети' }).waitFor();
  assert.equal(await s.visitor.locator('#parley-send button').textContent(), 'Отправить');
  assert.equal(await s.visitor.locator('#parley-text').getAttribute('placeholder'), 'Введите сообщение');
  assert.equal(await s.visitor.locator('#parley').getAttribute('lang'), 'ru');
  await say(s.visitor, 'Здравствуйте');
  const { chatId } = await s.op.wait(messageIs, 'Здравствуйте');
  assert.equal((await s.op.wait((f, id) => f.type === 'chat' && f.chat.id === id, chatId)).chat.language, 'ru');
  await s.op.send({ action: 'sendMessage', clientId: 'ru-1', chatId, text: 'Чем помочь?' });
  await s.visitor.locator('#parley-log p.operator', { hasText: 'Чем помочь?' }).waitFor();
  await s.visitor.screenshot({ path: join(env.artifacts, 'widget-ru.png') });
  assert.deepEqual(s.errors, [], 'the widget ran without errors');
  await s.context.close();

  // An English account in multilingual mode: the placement's data-language
  // picks the widget's language and is the chat's language.
  const multi = await signUp('en');
  await api(multi, 'PATCH', '/v1/settings/features', { multilingual: true });
  // The button is online for a ru placement while someone who speaks ru is.
  await api(multi, 'PATCH', `/v1/people/${multi.adminId}`, { languages: ['en', 'ru'] });
  const m = await session(multi);
  const placed = await openWidget(m.visitor, demoURL(multi, '&language=ru'));
  assert.equal(await m.visitor.locator('script[src="widget.js"]').getAttribute('data-language'), 'ru');
  assert.equal(placed.body.language, 'ru');
  await m.visitor.locator('#parley-state', { hasText: 'Операторы в сети' }).waitFor();
  await say(m.visitor, 'Нужна помощь');
  const started = await m.op.wait(messageIs, 'Нужна помощь');
  assert.equal((await m.op.wait((f, id) => f.type === 'chat' && f.chat.id === id, started.chatId)).chat.language, 'ru');
  // The same account's English placement speaks English (to another
  // visitor: this one's chat is in Russian for its life).
  const other = await browser.newContext();
  const en = await other.newPage();
  await openWidget(en, demoURL(multi, '&language=en'));
  await en.locator('#parley-state', { hasText: 'Operators are online' }).waitFor();
  assert.deepEqual(m.errors, [], 'the widget ran without errors');
  await other.close();
  await m.context.close();
});

test('widget: the queue position is shown in the widget\'s language', async () => {
  // Auto-assignment with room for one chat: the second visitor queues.
  const ru = await signUp('ru');
  await api(ru, 'PATCH', '/v1/settings/features', { autoAssign: true, maxChatsPerOperator: 1 });
  const s = await session(ru);
  await s.op.send({ action: 'hello', clientId: 'queue-hello' });
  await s.op.wait((f) => f.type === 'state' && f.clientId === 'queue-hello');
  await openWidget(s.visitor, demoURL(ru));
  await say(s.visitor, 'Первый');
  await s.visitor.locator('#parley-state', { hasText: 'Оператор подключился к чату' }).waitFor();

  // Started from the pre-chat form, the chat is told its place at once.
  const second = await browser.newContext();
  second.setDefaultTimeout(30_000);
  const visitor = await second.newPage();
  const errors = pageErrors(visitor);
  await openWidget(visitor, demoURL(ru, '&askQuestion=1'));
  await visitor.locator('#parley-question').fill('Второй');
  await visitor.locator('#parley-prechat button').click();
  await visitor.locator('#parley-state', { hasText: 'Все операторы заняты: ваше место в очереди — 1' }).waitFor();
  // Started by a first message, the chat shows as queued (the service does
  // not always tell its place then).
  const third = await browser.newContext();
  third.setDefaultTimeout(30_000);
  const late = await third.newPage();
  await openWidget(late, demoURL(ru));
  await say(late, 'Третий');
  await late.locator('#parley-state', { hasText: 'Все операторы заняты' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget-queue.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await third.close();
  await second.close();
  await s.context.close();
});

// sign is what a site's server computes (SPEC §4.11): hex HMAC-SHA256 of
// the fields' canonical form under the account's private key.
function sign(key, fields) {
  const canonical = Object.keys(fields).sort().map((k) => `${k}=${fields[k].normalize('NFC')}`).join('\n');
  return createHmac('sha256', key).update(canonical).digest('hex');
}
const escapeHTML = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

test('widget: signed identification attaches the visitor\'s fields, shown to the operator', async () => {
  const { privateKey } = await api(acme, 'POST', '/v1/settings/integration/private-key/regenerate');
  await api(acme, 'PATCH', '/v1/settings/integration', { crmUrlTemplate: 'https://crm.example/customers/{id}' });
  const fields = { id: '42', name: 'Ann Smith', email: 'ann@visitor.example' };

  // From the page's code: window.Parley.identify.
  const { context, op, visitor, errors } = await session();
  await openWidget(visitor, demoURL(acme));
  const refused = await visitor.evaluate((fields) => window.Parley.identify({ fields, signature: '00'.repeat(32) })
    .then(() => 'accepted', (e) => e.message), fields);
  assert.match(refused, /signature does not match/);
  const ok = await visitor.evaluate(([fields, signature]) => window.Parley.identify({ fields, signature }), [fields, sign(privateKey, fields)]);
  assert.equal(ok.identified, true);
  assert.deepEqual(ok.fields, fields);
  await say(visitor, 'It is Ann');
  const { chatId } = await op.wait(messageIs, 'It is Ann');
  await op.send({ action: 'take', clientId: 'id-take', chatId });
  const taken = await op.wait((f) => f.type === 'chat' && f.clientId === 'id-take');
  assert.deepEqual(taken.chat.visitor, fields);
  assert.equal(taken.chat.crmUrl, 'https://crm.example/customers/42');

  // From the script tag, as a site's server renders it: a page of the
  // site's own (on the site's origin, which the browser lets reach the
  // local API) whose markup holds the tag.
  const bob = { id: '7', name: 'Боб' };
  const bobs = await browser.newContext(); // another visitor
  bobs.setDefaultTimeout(30_000);
  const other = await bobs.newPage();
  const otherErrors = pageErrors(other);
  await other.goto(`${env.httpURL}/widget/demo.html`);
  const identified = other.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/identify'));
  const config = other.waitForResponse(isConfig);
  await other.setContent(`<!doctype html><meta charset="utf-8"><title>Shop</title><p>Signed in as Bob</p>
<script src="widget.js" async data-account="${escapeHTML(acme.id)}" data-visitor-fields="${escapeHTML(JSON.stringify(bob))}" data-visitor-signature="${sign(privateKey, bob)}"></script>`);
  assert.equal((await config).status(), 200);
  assert.equal((await identified).status(), 200);
  await other.locator('#parley-send button:enabled').waitFor({ state: 'attached' });
  await openWindow(other);
  await say(other, 'Bob here');
  const bobChat = await op.wait(messageIs, 'Bob here');
  await op.send({ action: 'take', clientId: 'id-take-2', chatId: bobChat.chatId });
  assert.deepEqual((await op.wait((f) => f.type === 'chat' && f.clientId === 'id-take-2')).chat.visitor, bob);
  assert.deepEqual(errors, [], 'the widget ran without errors');
  assert.notEqual(bobChat.chatId, chatId, 'another visitor, another chat');
  assert.deepEqual(otherErrors, [], 'the widget ran without errors');
  await bobs.close();
  await context.close();
});

test('widget: after the operator closes the chat the visitor rates it and may mail the transcript', async () => {
  const { context, op, visitor, errors } = await session();
  const { body } = await openWidget(visitor, demoURL(acme));
  assert.equal(body.button, 'online');
  await visitor.locator('#parley-rating').waitFor({ state: 'hidden' });

  await say(visitor, 'Please rate me');
  const got = await op.wait(messageIs, 'Please rate me');
  // Answering takes the chat; then the operator closes it.
  await op.send({ action: 'sendMessage', clientId: 'op-r1', to: body.visitorId, text: 'Done, anything else?' });
  await op.send({ action: 'closeChat', clientId: 'op-r2', chatId: got.chatId });
  await visitor.locator('#parley-log p.operator', { hasText: 'Done, anything else?' }).waitFor();
  await visitor.locator('#parley-rating').waitFor();
  await visitor.locator('#parley-transcript').waitFor();
  await visitor.locator('#parley-rating button', { hasText: 'Poor' }).click();
  await visitor.locator('#parley-state', { hasText: 'Thank you for your rating' }).waitFor();
  await visitor.locator('#parley-rating').waitFor({ state: 'hidden' });
  const rated = await op.wait((f, id) => f.type === 'chat' && f.chat.id === id && f.chat.rating, got.chatId);
  assert.equal(rated.chat.rating, 'poor');

  await visitor.locator('#parley-transcript-email').fill('ann@visitor.example');
  await visitor.locator('#parley-transcript button').click();
  await visitor.locator('#parley-log p.system', { hasText: 'The transcript is on its way' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget-rating.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: a new chat can be started after the operator closed the previous one', async () => {
  const { context, op, visitor, errors } = await session();
  await openWidget(visitor, demoURL(acme));
  await say(visitor, 'First question');
  const first = await op.wait(messageIs, 'First question');
  await op.send({ action: 'sendMessage', clientId: 'new-1', chatId: first.chatId, text: 'First answer' });
  const answer = await op.wait(sentAs, 'new-1');
  await op.send({ action: 'closeChat', clientId: 'new-2', chatId: first.chatId });
  await visitor.locator('#parley-state', { hasText: 'The chat has ended' }).waitFor();
  await visitor.locator('#parley-send').waitFor({ state: 'hidden' });
  // Everything was read, so the closed chat is not brought back as unread.
  await op.wait((f, a) => f.type === 'read' && f.chatId === a.chatId && f.seq === a.seq, { chatId: first.chatId, seq: answer.seq });

  await visitor.locator('#parley-new').click();
  await visitor.locator('#parley-state', { hasText: 'Operators are online' }).waitFor();
  assert.equal(await visitor.locator('#parley-log p').count(), 0, 'a fresh log');
  await say(visitor, 'Second question');
  const second = await op.wait(messageIs, 'Second question');
  assert.notEqual(second.chatId, first.chatId, 'a new chat');
  await op.wait((f, id) => f.type === 'chat' && f.chat.id === id && f.chat.status === 'waiting', second.chatId);

  // Closed and read, the second chat stays closed on the next visit: the
  // visitor may write at once.
  await op.send({ action: 'sendMessage', clientId: 'new-3', chatId: second.chatId, text: 'Second answer' });
  const answer2 = await op.wait(sentAs, 'new-3');
  await op.send({ action: 'closeChat', clientId: 'new-4', chatId: second.chatId });
  await op.wait((f, a) => f.type === 'read' && f.chatId === a.chatId && f.seq === a.seq, { chatId: second.chatId, seq: answer2.seq });
  await visitor.locator('#parley-new').waitFor();
  await openWidget(visitor);
  await visitor.locator('#parley-send').waitFor();
  await visitor.locator('#parley-state', { hasText: 'Operators are online' }).waitFor();
  assert.equal(await visitor.locator('#parley-rating').isHidden(), true);
  await say(visitor, 'Third question');
  const third = await op.wait(messageIs, 'Third question');
  assert.notEqual(third.chatId, second.chatId, 'another new chat');

  // Closed with the visitor's own message last: read up to it too, so
  // the next visit starts afresh as well.
  await op.send({ action: 'take', clientId: 'new-5', chatId: third.chatId });
  await op.send({ action: 'closeChat', clientId: 'new-6', chatId: third.chatId });
  await visitor.locator('#parley-state', { hasText: 'The chat has ended' }).waitFor();
  // The operator no longer follows the closed chat: its history tells.
  for (let i = 0; ; i++) {
    await op.send({ action: 'history', clientId: `new-h${i}`, chatId: third.chatId, since: third.seq });
    const h = await op.wait((f, id) => f.type === 'messages' && f.clientId === id, `new-h${i}`);
    if (h.chat.visitorRead === third.seq) break;
    assert.ok(i < 50, `the visitor's read mark reaches the closed chat: ${JSON.stringify(h.chat)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await openWidget(visitor);
  await visitor.locator('#parley-send').waitFor();
  assert.equal(await visitor.locator('#parley-log p').count(), 0, 'the closed chat is not brought back');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: with nobody online the visitor leaves a message through the offline form', async () => {
  // An account nobody has signed in to the workplace of.
  const quiet = await signUp('en');
  const context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  const { body } = await openWidget(visitor, demoURL(quiet));
  assert.equal(body.button, 'offline');
  await visitor.locator('#parley-offline').waitFor();
  await visitor.locator('#parley-state', { hasText: 'No operator online' }).waitFor();
  assert.equal(await visitor.locator('#parley-send').isHidden(), true, 'no chat form while offline');

  // An incomplete form: each missing field is marked beside itself, in
  // the widget's words, and the first gets the cursor; nothing goes to
  // the chat's log.
  await visitor.locator('#parley-offline button').click();
  for (const [id, text] of [['name', 'Please give your name'], ['contact', 'Please give an e-mail address or a phone number'],
    ['text', 'Please write your message']]) {
    await visitor.locator(`#parley-offline-${id}-error`, { hasText: text }).waitFor();
    assert.equal(await visitor.locator(`#parley-offline-${id}`).getAttribute('aria-invalid'), 'true', id);
  }
  await visitor.locator('#parley-note', { hasText: 'Please correct the marked fields' }).waitFor();
  await visitor.locator('#parley-offline-name:focus').waitFor();
  assert.equal(await visitor.locator('#parley-log p').count(), 0, 'no grey line in the log');
  await shot(visitor, 'offline-errors');

  // Real labels: the fields are found by them. A field filled in loses its
  // mark at the next try; a successful send clears every mark and the note.
  await visitor.getByLabel('Your name').fill('Bob');
  await visitor.locator('#parley-offline button').click();
  await visitor.locator('#parley-offline-name-error').waitFor({ state: 'hidden' });
  assert.equal(await visitor.locator('#parley-offline-contact').getAttribute('aria-invalid'), 'true');
  await visitor.getByLabel('E-mail or phone').fill('bob@visitor.example');
  await visitor.getByLabel('Your message').fill('Please call me back');
  await visitor.locator('#parley-offline button').click();
  await visitor.locator('#parley-state', { hasText: 'we will get back to you' }).waitFor();
  await visitor.locator('#parley-offline').waitFor({ state: 'hidden' });
  await visitor.locator('#parley-note').waitFor({ state: 'hidden' });
  assert.equal(await visitor.locator('.parley-field-error:visible').count(), 0, 'no field stays marked');
  await visitor.screenshot({ path: join(env.artifacts, 'widget-offline.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

// --- the launcher, the logo and the invitation ---

// Small PNGs for the uploads: 16x16 and 24x24, within the 100x100 limit.
const LOGO_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mNQMfMnCTGMahjVMHw1AACvLqkBFMGAQgAAAABJRU5ErkJggg==', 'base64');
const AVATAR_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAAH0lEQVR42mN4UCVPFcQwatCoQaMGjRo0atCoQQNvEAD+QFBubCAt8gAAAABJRU5ErkJggg==', 'base64');

// upload stores an image setting as the console does: the bytes as the
// body with their Content-Type. It returns the section as read back.
async function upload(account, path, png) {
  const r = await fetch(env.httpURL + path, {
    method: 'PUT', headers: { authorization: `Bearer ${account.token}`, 'content-type': 'image/png' }, body: png,
  });
  const out = await r.json().catch(() => ({}));
  assert.equal(r.status, 200, `PUT ${path}: ${JSON.stringify(out)}`);
  return out;
}

// loaded waits for an img to have loaded, and returns its natural width.
async function loaded(locator) {
  await locator.evaluate((img) => (img.complete ? null : new Promise((resolve) => { img.onload = img.onerror = resolve; })));
  return locator.evaluate((img) => img.naturalWidth);
}

// visitorPage is a new visitor: a browser context of its own.
async function visitorPage() {
  const context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  return { context, page, errors: pageErrors(page) };
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
// The invitation's delay in these tests, and long enough after it to say
// that it did not come.
const INVITE = '&inviteDelay=0.3';
const AFTER_INVITE = 1500;

test('widget: starts as the launcher, opens on a click, collapses back, and keeps its state across reloads', async () => {
  const { context, op, visitor, errors } = await session();
  const { body } = await openWidget(visitor, demoURL(acme, INVITE), { expand: false });
  assert.equal(body.button, 'online');
  const launcher = visitor.locator('#parley-launcher');
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute('data-button'), 'online');
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  assert.match(await launcher.textContent(), /Chat with us/);
  assert.equal(await visitor.locator('#parley-window').isHidden(), true, 'collapsed at first');
  await pause(AFTER_INVITE);
  assert.equal(await visitor.locator('#parley-invite').isHidden(), true, 'no invitation while an operator is online');
  await visitor.screenshot({ path: join(env.artifacts, 'widget-launcher.png') });

  // A click opens the window, ready to type in.
  await launcher.click();
  await visitor.locator('#parley-window').waitFor();
  await launcher.waitFor({ state: 'hidden' });
  await visitor.locator('#parley-text:focus').waitFor();
  // Open survives a reload...
  await openWidget(visitor, undefined, { expand: false });
  await visitor.locator('#parley-window').waitFor();
  assert.equal(await launcher.isHidden(), true);
  // ...and so does collapsed, from the header.
  await visitor.locator('#parley-head').click();
  await launcher.waitFor();
  await visitor.locator('#parley-window').waitFor({ state: 'hidden' });
  await openWidget(visitor, undefined, { expand: false });
  await pause(300); // time to (wrongly) open
  assert.equal(await visitor.locator('#parley-window').isHidden(), true, 'still collapsed after a reload');
  assert.equal(await launcher.isVisible(), true);

  // With a chat going on, another tab of the site (no choice made there)
  // opens with the window expanded and the chat in it.
  await launcher.click();
  await say(visitor, 'Keep me open');
  await op.wait(messageIs, 'Keep me open');
  const tab = await context.newPage();
  const tabErrors = pageErrors(tab);
  await openWidget(tab, demoURL(acme), { expand: false });
  await tab.locator('#parley-window').waitFor();
  await tab.locator('#parley-log p.visitor', { hasText: 'Keep me open' }).waitFor();
  assert.equal(await tab.locator('#parley-launcher').isHidden(), true);
  // Collapsed there by the visitor, it stays so on that tab's reload.
  await tab.locator('#parley-head').click();
  await openWidget(tab, undefined, { expand: false });
  await pause(300);
  assert.equal(await tab.locator('#parley-window').isHidden(), true, 'the visitor\'s choice wins over the chat');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  assert.deepEqual(tabErrors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: no launcher at all when the config says the button is hidden', async () => {
  const hidden = await signUp('en');
  await api(hidden, 'PATCH', '/v1/settings/misc', { buttonProbability: 0 });
  const { context, page, errors } = await visitorPage();
  const config = page.waitForResponse(isConfig);
  await page.goto(demoURL(hidden));
  assert.equal((await (await config).json()).button, 'hidden');
  await pause(500);
  assert.equal(await page.locator('#parley-launcher').count(), 0);
  assert.equal(await page.locator('#parley-window').count(), 0);
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: a hidden button still shows the visitor the chat they have going on', async () => {
  const company = await signUp('en');
  const { context, op, visitor, errors } = await session(company);
  await openWidget(visitor, demoURL(company));
  await say(visitor, 'Before the button hid');
  await op.wait(messageIs, 'Before the button hid');
  await api(company, 'PATCH', '/v1/settings/misc', { buttonProbability: 0 });
  const { body } = await openWidget(visitor, undefined, { expand: false });
  assert.equal(body.button, 'hidden');
  assert.equal(body.openChat, true);
  await visitor.locator('#parley-log p.visitor', { hasText: 'Before the button hid' }).waitFor();
  await openWindow(visitor);
  await say(visitor, 'Still here');
  await op.wait(messageIs, 'Still here');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: the company logo shows in the window\'s header once uploaded, and not without one', async () => {
  const company = await signUp('en');
  const before = await visitorPage();
  const { body: none } = await openWidget(before.page, demoURL(company));
  assert.equal(none.logoUrl, null);
  await before.page.locator('#parley-head').waitFor();
  assert.equal(await before.page.locator('#parley-head img').count(), 0, 'no logo without one');

  const { logoUrl } = await upload(company, '/v1/settings/company/logo', LOGO_PNG);
  assert.ok(logoUrl, 'the company section reads back the logo URL');
  const after = await visitorPage();
  const { body } = await openWidget(after.page, demoURL(company));
  assert.equal(body.logoUrl, logoUrl, 'the config gives the logo');
  const logo = after.page.locator('#parley-head img#parley-logo');
  await logo.waitFor();
  assert.equal(await logo.getAttribute('src'), logoUrl);
  assert.equal(await logo.getAttribute('alt'), body.companyName || 'Company logo');
  assert.equal(await loaded(logo), 16, 'the uploaded image itself');
  await after.page.screenshot({ path: join(env.artifacts, 'widget-logo.png') });

  // Deleted, it is gone from the next page.
  const r = await fetch(`${env.httpURL}/v1/settings/company/logo`, { method: 'DELETE', headers: { authorization: `Bearer ${company.token}` } });
  assert.equal(r.status, 200);
  await openWidget(after.page);
  await after.page.locator('#parley-head').waitFor();
  assert.equal(await after.page.locator('#parley-logo').count(), 0);
  assert.deepEqual(before.errors, [], 'the widget ran without errors');
  assert.deepEqual(after.errors, [], 'the widget ran without errors');
  await before.context.close();
  await after.context.close();
});

test('widget: with nobody online an invitation with the avatar opens the offline form, and stays away for a day once used or dismissed', async () => {
  const quiet = await signUp('en');

  // The default avatar, while the account has none; a click on the
  // invitation opens the offline form.
  const first = await visitorPage();
  const { body } = await openWidget(first.page, demoURL(quiet, INVITE), { expand: false });
  assert.equal(body.button, 'offline');
  assert.equal(body.inviteAvatarUrl, null);
  const launcher = first.page.locator('#parley-launcher');
  assert.equal(await launcher.getAttribute('data-button'), 'offline');
  assert.match(await launcher.textContent(), /Leave a message/);
  const invite = first.page.locator('#parley-invite');
  await invite.waitFor();
  assert.match(await invite.textContent(), /Leave us a message/);
  assert.equal(await first.page.locator('#parley-invite svg#parley-invite-avatar').count(), 1, 'the default avatar, drawn inline');
  await first.page.screenshot({ path: join(env.artifacts, 'widget-invite-default.png') });
  await first.page.locator('#parley-invite-text').click();
  await first.page.locator('#parley-offline').waitFor();
  await first.page.locator('#parley-offline-name:focus').waitFor();
  await invite.waitFor({ state: 'hidden' });
  // Used: neither collapsing nor a reload brings it back.
  await first.page.locator('#parley-head').click();
  await launcher.waitFor();
  await openWidget(first.page, undefined, { expand: false });
  await pause(AFTER_INVITE);
  assert.equal(await invite.isHidden(), true, 'not again after use');

  // The uploaded avatar, for another visitor, who dismisses it.
  const { inviteAvatarUrl } = await upload(quiet, '/v1/settings/leads/invite-avatar', AVATAR_PNG);
  assert.ok(inviteAvatarUrl);
  const second = await visitorPage();
  const { body: config } = await openWidget(second.page, demoURL(quiet, INVITE), { expand: false });
  assert.equal(config.inviteAvatarUrl, inviteAvatarUrl);
  const invite2 = second.page.locator('#parley-invite');
  await invite2.waitFor();
  const avatar = second.page.locator('#parley-invite img#parley-invite-avatar');
  assert.equal(await avatar.getAttribute('src'), inviteAvatarUrl);
  assert.equal(await loaded(avatar), 24, 'the uploaded avatar itself');
  // In the invitation's top-left corner.
  const [box, corner] = [await invite2.boundingBox(), await avatar.boundingBox()];
  assert.ok(corner.x < box.x + box.width / 4 && corner.y < box.y + box.height / 4, `avatar at ${JSON.stringify(corner)} in ${JSON.stringify(box)}`);
  await second.page.screenshot({ path: join(env.artifacts, 'widget-invite.png') });
  await second.page.locator('#parley-invite-close').click();
  await invite2.waitFor({ state: 'hidden' });
  assert.equal(await second.page.locator('#parley-window').isHidden(), true, 'dismissing opens nothing');
  await openWidget(second.page, undefined, { expand: false });
  await pause(AFTER_INVITE);
  assert.equal(await invite2.isHidden(), true, 'not again after dismissal, across a reload');
  // A day later it may come again.
  await second.page.evaluate((key) => localStorage.setItem(key, String(Date.now() - 25 * 3600 * 1000)), `parley.invited.${quiet.id}`);
  await openWidget(second.page, undefined, { expand: false });
  await invite2.waitFor();

  // Not while the window is open: opened before the delay, no invitation
  // once collapsed again either.
  const third = await visitorPage();
  await openWidget(third.page, demoURL(quiet, '&inviteDelay=2'));
  await third.page.locator('#parley-head').click();
  await pause(2000 + AFTER_INVITE);
  assert.equal(await third.page.locator('#parley-invite').isHidden(), true, 'not after the window was opened');

  // Nor with an operator online.
  const staff = await browser.newContext();
  await connectOperator(staff, quiet);
  const fourth = await visitorPage();
  const { body: online } = await openWidget(fourth.page, demoURL(quiet, INVITE), { expand: false });
  assert.equal(online.button, 'online');
  await pause(AFTER_INVITE);
  assert.equal(await fourth.page.locator('#parley-invite').isHidden(), true, 'not with an operator online');

  // The Russian interface invites in Russian.
  const ru = await signUp('ru');
  const fifth = await visitorPage();
  await openWidget(fifth.page, demoURL(ru, INVITE), { expand: false });
  await fifth.page.locator('#parley-invite', { hasText: 'Оставьте нам сообщение' }).waitFor();
  assert.match(await fifth.page.locator('#parley-launcher').textContent(), /Оставить сообщение/);

  for (const v of [first, second, third, fourth, fifth]) {
    assert.deepEqual(v.errors, [], 'the widget ran without errors');
    await v.context.close();
  }
  await staff.close();
});

// --- the dialog as a visitor sees it, and every state's screenshot ---

// shot saves the page at a desktop's and a phone's width, under
// widget-states/ in the test folder.
async function shot(page, name) {
  const size = page.viewportSize();
  for (const [width, height] of [[1366, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(env.artifacts, 'widget-states', `${name}-${width}.png`) });
  }
  await page.setViewportSize(size);
}

// windowHeight is the chat window's height in pixels.
const windowHeight = (page) => page.locator('#parley-window').evaluate((e) => Math.round(e.getBoundingClientRect().height));

test('widget: the dialog shows the operator\'s name and photo, messages as bubbles with their times, in a window of one height', async () => {
  const team = await signUp('en');
  await api(team, 'PATCH', `/v1/people/${team.adminId}`, { name: 'Anna Petrova' });
  await upload(team, `/v1/people/${team.adminId}/photo`, AVATAR_PNG);
  await api(team, 'POST', '/v1/departments', { name: 'Sales' });
  const { context, op, visitor, errors } = await session(team);
  const { body } = await openWidget(visitor, demoURL(team, '&askDepartment=1'));
  await shot(visitor, 'online');
  // The department picker is there with its label.
  await visitor.getByLabel('Department').waitFor();
  await shot(visitor, 'prechat');
  const before = await windowHeight(visitor);
  await visitor.locator('#parley-prechat button').click();
  await visitor.locator('#parley-state', { hasText: 'Waiting for an operator' }).waitFor();
  assert.equal(await visitor.locator('#parley-operator').isHidden(), true, 'no operator before one answers');
  await say(visitor, 'Where is my parcel?');
  await shot(visitor, 'waiting');

  await op.send({ action: 'sendMessage', clientId: 'card-1', to: body.visitorId, text: 'Let me look it up.' });
  await visitor.locator('#parley-operator-name', { hasText: 'Anna Petrova' }).waitFor();
  const photo = visitor.locator('#parley-operator-photo');
  assert.equal(await loaded(photo), 24, 'the operator\'s photo loaded');
  assert.equal(await photo.getAttribute('alt'), 'Photo of Anna Petrova');
  const answer = visitor.locator('#parley-log p.operator', { hasText: 'Let me look it up.' });
  await answer.waitFor();
  // Each message is a bubble with its time (the visitor's clock), the
  // visitor's on the right, the operator's on the left.
  const time = await answer.getAttribute('data-time');
  assert.match(time, /^\d{1,2}:\d{2}/, `the message's time: ${time}`);
  const mine = visitor.locator('#parley-log p.visitor', { hasText: 'Where is my parcel?' });
  assert.match(await mine.getAttribute('data-time'), /^\d{1,2}:\d{2}/);
  const [left, right] = [await answer.boundingBox(), await mine.boundingBox()];
  assert.ok(right.x > left.x, 'the visitor\'s bubble is to the right of the operator\'s');
  assert.notEqual(await answer.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgba(0, 0, 0, 0)', 'a bubble has a background');
  assert.equal(await answer.textContent(), 'Let me look it up.', 'the time is not part of the text');
  await shot(visitor, 'dialog');
  // The window kept its height from the pre-chat form to the dialog.
  assert.equal(await windowHeight(visitor), before, 'the window does not jump between states');

  // Rated after the operator closed the chat.
  await op.send({ action: 'closeChat', clientId: 'card-2', chatId: (await op.wait(messageIs, 'Where is my parcel?')).chatId });
  await visitor.locator('#parley-rating button', { hasText: 'Excellent' }).click();
  await visitor.locator('#parley-state', { hasText: 'Thank you for your rating' }).waitFor();
  await shot(visitor, 'rated');
  assert.equal(await windowHeight(visitor), before, 'nor after the chat');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: screenshots of the offline, invitation, queued and reconnecting states', async () => {
  // Offline, and the invitation.
  const quiet = await signUp('en');
  const off = await visitorPage();
  await openWidget(off.page, demoURL(quiet, INVITE), { expand: false });
  await off.page.locator('#parley-invite').waitFor();
  await shot(off.page, 'invitation');
  await off.page.locator('#parley-launcher').click();
  await off.page.locator('#parley-offline').waitFor();
  await shot(off.page, 'offline');
  await off.context.close();

  // Queued with its position: room for one chat.
  const busy = await signUp('en');
  await api(busy, 'PATCH', '/v1/settings/features', { autoAssign: true, maxChatsPerOperator: 1 });
  const s = await session(busy);
  await s.op.send({ action: 'hello', clientId: 'shots-hello' });
  await s.op.wait((f) => f.type === 'state' && f.clientId === 'shots-hello');
  await openWidget(s.visitor, demoURL(busy));
  await say(s.visitor, 'First in');
  await s.visitor.locator('#parley-state', { hasText: 'An operator has joined the chat' }).waitFor();
  const second = await visitorPage();
  await openWidget(second.page, demoURL(busy, '&askQuestion=1'));
  await second.page.locator('#parley-question').fill('Second in');
  await second.page.locator('#parley-prechat button').click();
  const queued = second.page.locator('#parley-state[data-state=queue]', { hasText: 'you are number 1 in the queue' });
  await queued.waitFor();
  await shot(second.page, 'queued');

  // Reconnecting: the visitor's socket is cut and every new one refused.
  let blocked = false;
  const sockets = [];
  await second.page.routeWebSocket((url) => url.searchParams.has('visitorToken'), (ws) => {
    if (blocked) { ws.close(); return; }
    sockets.push({ ws, server: ws.connectToServer() });
  });
  await openWidget(second.page);
  await queued.waitFor();
  blocked = true;
  const cut = sockets.at(-1);
  await cut.server.close();
  await cut.ws.close();
  await second.page.locator('#parley-state[data-state=reconnecting]', { hasText: 'Connection lost: reconnecting' }).waitFor();
  await shot(second.page, 'reconnecting');
  assert.deepEqual(second.errors, [], 'the widget ran without errors');
  await second.context.close();
  await s.context.close();
});

test('widget: the button follows the operators\' presence live, without a reload (SPEC §4.16)', async () => {
  const team = await signUp('en');
  const v = await visitorPage();
  const { body } = await openWidget(v.page, demoURL(team), { expand: false });
  assert.equal(body.button, 'offline');
  const launcher = v.page.locator('#parley-launcher');
  await v.page.locator('#parley-launcher[data-button=offline]').waitFor();
  const configs = [];
  v.page.on('response', (r) => { if (isConfig(r)) configs.push(r); });

  // An operator signs in to the workplace: the visitor's button turns online.
  const opContext = await browser.newContext();
  const op = await connectOperator(opContext, team);
  await op.send({ action: 'hello', clientId: 'live-hello' });
  await v.page.locator('#parley-launcher[data-button=online]', { hasText: 'Chat with us' }).waitFor();
  assert.ok(configs.length >= 1, 'the widget asked its config again');
  await launcher.click();
  await v.page.locator('#parley-send').waitFor();
  await shot(v.page, 'presence-online');

  // They leave: the window offers the offline form again.
  await op.page.evaluate(() => window.operator.close());
  await v.page.locator('#parley-offline').waitFor();
  await v.page.locator('#parley-state', { hasText: 'No operator online' }).waitFor();
  await v.page.locator('#parley-launcher[data-button=offline]').waitFor({ state: 'attached' });
  assert.deepEqual(v.errors, [], 'the widget ran without errors');
  await opContext.close();
  await v.context.close();
});

test('widget: screenshot of the busy message (SPEC §4.4) a visitor gets when nobody answers in time', async () => {
  const team = await signUp('en');
  const busyText = 'All our operators are busy right now; we will answer as soon as we can.';
  await api(team, 'PATCH', '/v1/settings/autoMessages', { firstResponseTimeout: 2, busyMessage: busyText });
  const { context, visitor, errors } = await session(team);
  await openWidget(visitor, demoURL(team));
  await say(visitor, 'Hello? Anyone?');
  await visitor.locator('#parley-log p.system', { hasText: busyText }).waitFor();
  await shot(visitor, 'busy');
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

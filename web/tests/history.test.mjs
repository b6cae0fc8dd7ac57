// The chat history and the offline requests pages in a real browser. An
// account of this file's own (Corporate, for categories) in Asia/Tokyo,
// whose browser pages run in New York time so that a time shown in the
// browser's zone would not pass for the account's. An operator with a
// Russian interface is invited through the API. The chats are made as the
// other tests make them: visitors and staff on raw WebSockets (hosted by a
// page of their own, since this node has no WebSocket), the offline
// requests sent as the widget's offline form sends them (leaveMessage).
// Everything else is done through the console's pages, and checked on what
// they show and against the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, env, launch, linkSecret, ok, pageErrors, signIn } from './browser.mjs';

const stamp = Date.now();
const zone = 'Asia/Tokyo';
const admin = { email: `hist-admin-${stamp}@example.com`, name: 'Ada Admin', password: 'history admin password' };
const operator = { email: `hist-op-${stamp}@example.com`, name: 'Oscar Operator', password: 'history operator password' };
const olga = { name: 'Olga Offline', contact: 'olga@visitor.example', text: 'Please call me back about my order' };
const pavel = { name: 'Pavel Later', contact: '+7 900 000-00-00', text: 'Do you ship abroad?' };

let browser;
let accountId;
let adminToken;
let sockets; // the page that holds the raw WebSockets
const chats = {}; // name -> chat id

// socket opens a raw WebSocket in the sockets page under a name; its
// call sends a frame with a clientId and returns the answer to it, failing
// on an error frame.
async function socket(name, url) {
  await sockets.evaluate(([name, url]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.socks[name] = { ws, frames: [] };
    ws.onmessage = (ev) => window.socks[name].frames.push(JSON.parse(ev.data));
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`the socket ${name} did not open`));
  }), [name, url]);
  const s = {
    call: async (frame) => {
      const clientId = name + '-' + Math.random().toString(36).slice(2);
      await sockets.evaluate(([name, f]) => window.socks[name].ws.send(JSON.stringify(f)), [name, { ...frame, clientId }]);
      const answer = await (await sockets.waitForFunction(([name, id]) => window.socks[name].frames.find((f) => f.clientId === id), [name, clientId])).jsonValue();
      assert.notEqual(answer.type, 'error', `${frame.action}: ${JSON.stringify(answer)}`);
      return answer;
    },
    close: () => sockets.evaluate((name) => window.socks[name].ws.close(), name),
  };
  return s;
}

async function visitor(name) {
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  const v = await socket(name, `${config.websocketUrl}?visitorToken=${encodeURIComponent(config.visitorToken)}`);
  await v.call({ action: 'hello' });
  v.id = config.visitorId;
  return v;
}

async function staffSocket(name, token) {
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  const s = await socket(name, `${config.websocketUrl}?token=${encodeURIComponent(token)}`);
  await s.call({ action: 'hello' });
  return s;
}

// hhmm is the hour and minute of an instant in the account's time zone,
// as the pages write it.
function hhmm(iso) {
  return new Intl.DateTimeFormat('en', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

before(async () => {
  browser = await launch();
  const signUp = await ok(call('POST', '/v1/accounts', { companyName: 'History Ltd', email: admin.email, password: admin.password, plan: 'corporate', language: 'en' }), 201);
  accountId = signUp.account.id;
  adminToken = signUp.token;
  admin.id = signUp.user.id;
  await ok(call('PATCH', '/v1/people/' + admin.id, { name: admin.name }, adminToken));
  await ok(call('PATCH', '/v1/settings/company', { name: 'History Ltd', timezone: zone }, adminToken));
  await ok(call('PATCH', '/v1/settings/classification', { categories: 'Billing\n Refunds\nTechnical' }, adminToken));
  const p = await ok(call('POST', '/v1/people', { email: operator.email, name: operator.name, role: 'operator', interfaceLanguage: 'ru' }, adminToken), 201);
  operator.id = p.id;
  await ok(call('POST', '/v1/auth/password', { token: await linkSecret(operator.email), password: operator.password }));
  const login = await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }));

  const context = await browser.newContext();
  sockets = await context.newPage();
  sockets.setDefaultTimeout(20_000);
  await sockets.evaluate(() => { window.socks = {}; });

  // A refund, answered by the operator, categorised, closed and rated.
  const op = await staffSocket('op', login.token);
  const a = await visitor('visitor-a');
  chats.refund = (await a.call({ action: 'sendMessage', text: 'I need a refund', language: 'en' })).chatId;
  await op.call({ action: 'take', chatId: chats.refund });
  await op.call({ action: 'sendMessage', chatId: chats.refund, text: 'Which order is it?' });
  await a.call({ action: 'sendMessage', chatId: chats.refund, text: 'Order 1234' });
  await op.call({ action: 'sendMessage', chatId: chats.refund, text: 'Your refund is on its way.' });
  await op.call({ action: 'setCategory', chatId: chats.refund, category: 'Billing / Refunds' });
  await op.call({ action: 'closeChat', chatId: chats.refund });
  await a.call({ action: 'rate', chatId: chats.refund, rating: 'excellent' });

  // A technical question, answered by the administrator.
  const ad = await staffSocket('admin', adminToken);
  const b = await visitor('visitor-b');
  chats.crash = (await b.call({ action: 'sendMessage', text: 'The app crashes', language: 'en' })).chatId;
  await ad.call({ action: 'take', chatId: chats.crash });
  await ad.call({ action: 'sendMessage', chatId: chats.crash, text: 'Please update the app.' });
  await ad.call({ action: 'setCategory', chatId: chats.crash, category: 'Technical' });
  await ad.call({ action: 'closeChat', chatId: chats.crash });

  // Two offline requests, sent as the widget's offline form sends them.
  const c = await visitor('visitor-c');
  chats.olga = (await c.call({ action: 'leaveMessage', ...olga })).chat.id;
  const d = await visitor('visitor-d');
  chats.pavel = (await d.call({ action: 'leaveMessage', ...pavel })).chat.id;

  // Nobody stays online: the pages' own sockets are the only staff ones.
  for (const s of [op, ad, a, b, c, d]) await s.close();
});

after(async () => { await browser?.close(); });

async function staffPage(person) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: 'America/New_York' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, person);
  await page.locator('#logout:not([hidden])').waitFor();
  return { page, errors, close: () => context.close() };
}

const texts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));
const ids = (page) => page.locator('#history-table tbody tr').evaluateAll((els) => els.map((e) => e.dataset.chat));

// show submits the history's filters and waits for the answer.
async function show(page) {
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await page.locator('#history-table:is([data-state="loaded"], [data-state="error"])').waitFor();
}

test('history: the chats with their operators and categories, filters, paging, field errors and a transcript', async () => {
  const { page, errors, close } = await staffPage(admin);
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.locator('#history-table[data-state="loaded"]').waitFor();
  assert.equal(await page.locator('#nav-records button[data-view="history-view"]').getAttribute('aria-current'), 'true');
  assert.match(await page.locator('#history-zone').textContent(), /Asia\/Tokyo/);

  // Every chat of the last 7 days, newest first, each with its operator's
  // name, category, rating, status and offline mark.
  assert.deepEqual(await ids(page), [chats.pavel, chats.olga, chats.crash, chats.refund]);
  const row = (id) => page.locator(`#history-table tr[data-chat="${id}"]`);
  const cells = async (id) => Object.fromEntries(await row(id).locator('td').evaluateAll((tds) => tds.map((td) => [td.className, td.textContent.trim()])));
  const refund = await cells(chats.refund);
  assert.equal(refund.operator, operator.name);
  assert.equal(refund.category, 'Billing / Refunds');
  assert.equal(refund.rating, 'excellent');
  assert.equal(refund.status, 'closed');
  assert.equal(refund.offline, '');
  const crash = await cells(chats.crash);
  assert.equal(crash.operator, admin.name);
  assert.equal(crash.category, 'Technical');
  const offline = await cells(chats.olga);
  assert.equal(offline.visitor, olga.name);
  assert.equal(offline.offline, 'offline, unanswered');
  assert.equal(offline.operator, '');
  // The start shown is in the account's time zone, not the browser's.
  const refundChat = (await ok(call('GET', '/v1/chats/' + chats.refund, undefined, adminToken))).chat;
  assert.ok(refund.started.includes(hhmm(refundChat.startedAt)), `${refund.started} shows ${hhmm(refundChat.startedAt)} (${zone})`);
  assert.equal(refund.messages, String(refundChat.messages));
  await page.screenshot({ path: join(env.artifacts, 'history.png'), fullPage: true });

  // Filters narrow the list: an operator, a category (a top-level one
  // takes in its sub-categories), a rating.
  await page.getByLabel('Operator', { exact: true }).selectOption({ label: operator.name });
  await show(page);
  assert.deepEqual(await ids(page), [chats.refund]);
  await page.getByLabel('Operator', { exact: true }).selectOption('');
  await page.getByLabel('Category', { exact: true }).selectOption('Technical');
  await show(page);
  assert.deepEqual(await ids(page), [chats.crash]);
  await page.getByLabel('Category', { exact: true }).selectOption('Billing');
  await show(page);
  assert.deepEqual(await ids(page), [chats.refund]);
  await page.getByLabel('Category', { exact: true }).selectOption('');
  await page.getByLabel('Rating', { exact: true }).selectOption('excellent');
  await show(page);
  assert.deepEqual(await ids(page), [chats.refund]);
  await page.getByLabel('Rating', { exact: true }).selectOption('');

  // Refused filters: the API's message beside the field it is about.
  const fieldError = (label) => page.locator('#history-form .filter', { has: page.getByLabel(label, { exact: true }) }).locator('.field-error');
  await page.getByLabel('Per page').fill('500');
  await show(page);
  assert.match(await fieldError('Per page').textContent(), /1 to 100/);
  assert.equal(await page.locator('#history-table tbody tr').count(), 0);
  assert.match(await page.locator('#history-status').textContent(), /see the messages beside them/);
  await page.getByLabel('Per page').fill('50');
  await page.getByLabel('From', { exact: true }).fill('2030-01-10');
  await page.getByLabel('To', { exact: true }).fill('2030-01-01');
  await show(page);
  assert.match(await fieldError('To').textContent(), /after from/);
  assert.equal(await fieldError('Per page').textContent(), '', 'a fixed field loses its message');
  await page.screenshot({ path: join(env.artifacts, 'history-errors.png'), fullPage: true });
  // A day range in the past holds none of these chats.
  await page.getByLabel('From', { exact: true }).fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await show(page);
  assert.equal(await fieldError('To').textContent(), '');
  assert.equal(await page.locator('#history-table tbody tr').count(), 0);
  assert.equal(await page.locator('#history-status').textContent(), 'No chats match these filters.');
  await page.getByLabel('From', { exact: true }).fill('');
  await page.getByLabel('To', { exact: true }).fill('');

  // Paging: one chat a page, More until there is no more, every chat once.
  await page.getByLabel('Per page').fill('1');
  await show(page);
  assert.deepEqual(await ids(page), [chats.pavel]);
  for (let n = 2; n <= 4; n++) {
    await page.getByRole('button', { name: 'More', exact: true }).click();
    await page.waitForFunction((n) => document.querySelectorAll('#history-table tbody tr').length === n, n);
  }
  assert.deepEqual(await ids(page), [chats.pavel, chats.olga, chats.crash, chats.refund]);
  // A last page may come empty with no cursor after it; then More goes.
  if (await page.locator('#history-more').isVisible()) {
    await page.getByRole('button', { name: 'More', exact: true }).click();
    await page.locator('#history-more').waitFor({ state: 'hidden' });
  }
  assert.equal((await ids(page)).length, 4);

  // A click opens the transcript: every message in order, with who wrote
  // it and when, in the account's time zone.
  await row(chats.refund).locator('td.visitor').click();
  await page.locator(`#history-chat[data-chat="${chats.refund}"][data-state="loaded"]`).waitFor();
  assert.equal(await row(chats.refund).getAttribute('aria-current'), 'true');
  const lines = await page.locator('#history-transcript li.msg').evaluateAll((els) => els.map((e) => ({
    kind: e.className.replace('msg ', ''), seq: Number(e.dataset.seq), who: e.querySelector('.who').textContent,
    at: e.querySelector('time').getAttribute('datetime'), time: e.querySelector('time').textContent, text: e.querySelector('.text').textContent })));
  const said = lines.filter((l) => l.kind !== 'system');
  assert.deepEqual(said.map((l) => [l.kind, l.text]), [
    ['visitor', 'I need a refund'], ['operator', 'Which order is it?'], ['visitor', 'Order 1234'], ['operator', 'Your refund is on its way.']]);
  assert.deepEqual(lines.map((l) => l.seq), lines.map((l) => l.seq).slice().sort((x, y) => x - y), 'in seq order');
  assert.equal(said[1].who, operator.name);
  assert.equal(said[0].who, refund.visitor);
  for (const l of lines) assert.ok(l.time.includes(hhmm(l.at)), `${l.time} shows ${hhmm(l.at)}`);
  assert.match(await page.locator('#history-chat-meta').textContent(), /Billing \/ Refunds/);
  await page.screenshot({ path: join(env.artifacts, 'history-transcript.png'), fullPage: true });
  // The keyboard way in: the start's button opens another.
  await row(chats.crash).getByRole('button').click();
  await page.locator(`#history-chat[data-chat="${chats.crash}"][data-state="loaded"]`).waitFor();
  assert.deepEqual(await texts(page.locator('#history-transcript li.msg:not(.system) .text')), ['The app crashes', 'Please update the app.']);
  await page.getByRole('button', { name: 'Close the transcript' }).click();
  await page.locator('#history-chat').waitFor({ state: 'hidden' });

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('offline requests: unanswered first, marked handled over the socket, and the API agrees', async () => {
  const { page, errors, close } = await staffPage(admin);
  await page.getByRole('button', { name: 'Offline requests' }).click();
  await page.locator('#offline-unanswered[data-state="loaded"]').waitFor();

  // Both requests wait, oldest first, with their name, contact, text and time.
  const unanswered = page.locator('#offline-unanswered li.request');
  assert.deepEqual(await unanswered.evaluateAll((els) => els.map((e) => e.dataset.chat)), [chats.olga, chats.pavel]);
  assert.equal(await page.locator('#offline-unanswered .count').textContent(), '2');
  assert.equal(await page.locator('#offline-handled li').count(), 0);
  const item = page.locator(`#offline-unanswered li[data-chat="${chats.olga}"]`);
  assert.equal(await item.locator('.name').textContent(), olga.name);
  assert.equal(await item.locator('.contact').getAttribute('href'), 'mailto:' + olga.contact);
  assert.equal(await item.locator('.text').textContent(), olga.text);
  const olgaChat = (await ok(call('GET', '/v1/chats/' + chats.olga, undefined, adminToken))).chat;
  assert.equal(olgaChat.unanswered, true);
  assert.ok((await item.locator('time').textContent()).includes(hhmm(olgaChat.startedAt)));
  assert.equal(await page.locator('#offline-handled .empty').isVisible(), true);
  await page.screenshot({ path: join(env.artifacts, 'offline.png'), fullPage: true });

  // Marked handled: the administrator has not opened the workplace, so
  // the page starts its socket to send the close.
  await page.getByRole('button', { name: `Mark handled: the request of ${olga.name}` }).click();
  await page.locator(`#offline-handled li[data-chat="${chats.olga}"]`).waitFor();
  assert.equal(await page.locator(`#offline-handled li[data-chat="${chats.olga}"] .badge.handled`).textContent(), 'Handled');
  assert.deepEqual(await unanswered.evaluateAll((els) => els.map((e) => e.dataset.chat)), [chats.pavel]);
  assert.equal(await page.locator('#offline-status').textContent(), `The request of ${olga.name} is marked handled.`);
  assert.equal((await ok(call('GET', '/v1/chats/' + chats.olga, undefined, adminToken))).chat.unanswered, false, 'the API has it handled');
  assert.equal((await ok(call('GET', '/v1/chats/' + chats.pavel, undefined, adminToken))).chat.unanswered, true, 'the other one still waits');
  await page.screenshot({ path: join(env.artifacts, 'offline-handled.png'), fullPage: true });

  // A reload reads them afresh from the server: the same two lists.
  await page.reload();
  await page.locator('#offline-unanswered[data-state="loaded"]').waitFor();
  assert.deepEqual(await page.locator('#offline-handled li').evaluateAll((els) => els.map((e) => e.dataset.chat)), [chats.olga]);
  assert.deepEqual(await unanswered.evaluateAll((els) => els.map((e) => e.dataset.chat)), [chats.pavel]);
  // And the history's offline mark says so too.
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.locator('#history-table[data-state="loaded"]').waitFor();
  assert.equal(await page.locator(`#history-table tr[data-chat="${chats.olga}"] td.offline`).textContent(), 'offline');
  assert.equal(await page.locator(`#history-table tr[data-chat="${chats.pavel}"] td.offline`).textContent(), 'offline, unanswered');

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('history and offline requests in Russian, for an operator whose workplace is open', async () => {
  const { page, errors, close } = await staffPage(operator);
  await page.locator('#ws-status[data-state="open"]').waitFor(); // operators land on the workplace
  await page.getByRole('button', { name: 'История' }).click();
  await page.locator('#history-table[data-state="loaded"]').waitFor();
  assert.equal(await page.locator('#history-view h2').textContent(), 'История чатов');
  assert.deepEqual(await texts(page.locator('#history-table th')),
    ['Начат', 'Посетитель', 'Оператор', 'Отдел', 'Категория', 'Оценка', 'Сообщений', 'Состояние', 'Офлайн', 'Итог']);
  const refund = page.locator(`#history-table tr[data-chat="${chats.refund}"]`);
  assert.equal(await refund.locator('td.rating').textContent(), 'отлично');
  assert.equal(await refund.locator('td.status').textContent(), 'закрыт');
  assert.match(await page.locator('#history-zone').textContent(), /часовом поясе компании, Asia\/Tokyo/);
  await page.getByLabel('На странице').fill('0');
  await page.getByRole('button', { name: 'Показать' }).click();
  await page.locator('#history-status', { hasText: 'Некоторые условия заданы неверно' }).waitFor();
  await page.screenshot({ path: join(env.artifacts, 'history-ru.png'), fullPage: true });

  // The operator marks the other request handled through the workplace's
  // socket, already open.
  await page.getByRole('button', { name: 'Офлайн-заявки' }).click();
  await page.locator('#offline-unanswered[data-state="loaded"]').waitFor();
  assert.equal(await page.locator('#offline-view h2').textContent(), 'Офлайн-заявки');
  await page.getByRole('button', { name: `Отметить обработанной: заявка ${pavel.name}` }).click();
  await page.locator(`#offline-handled li[data-chat="${chats.pavel}"]`).waitFor();
  assert.equal(await page.locator('#offline-unanswered .empty').textContent(), 'Заявок без ответа нет.');
  assert.equal(await page.locator(`#offline-handled li[data-chat="${chats.pavel}"] .contact`).getAttribute('href'), 'tel:+79000000000');
  assert.equal((await ok(call('GET', '/v1/chats/' + chats.pavel, undefined, adminToken))).chat.unanswered, false);
  await page.screenshot({ path: join(env.artifacts, 'offline-ru.png'), fullPage: true });

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

// The operator workplace in a real browser. An account of this file's own
// (Corporate, for categories) with a required category, teleport, new-
// visitor notices, a CRM link and global templates; an operator and a
// Russian-speaking colleague invited through the API, their passwords set
// through the mailed links. A visitor is a raw WebSocket client on a page
// of its own, with the token the widget config hands out, so the test can
// type and read as the widget would. The operator works only through the
// console's interface, and every assertion is on what the page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { call, env, launch, linkSecret, ok, pageErrors, signIn } from './browser.mjs';

const stamp = Date.now();
const admin = { email: `wp-admin-${stamp}@example.com`, password: 'workplace admin password' };
const operator = { email: `wp-op-${stamp}@example.com`, name: 'Oscar Operator', password: 'operator password 1' };
const russian = { email: `wp-ru-${stamp}@example.com`, name: 'Ирина Операторова', password: 'operator password 2' };
const refundText = 'Refunds reach your card within 5 business days.';
const goodbyeText = 'Thank you for contacting us!';

let browser;
let accountId;
let adminToken;
let privateKey;
// The operator's page lives through both tests: the second redirects a
// chat from it to the Russian colleague.
let op;

async function invite(person, interfaceLanguage) {
  const p = await ok(call('POST', '/v1/people', { email: person.email, name: person.name, role: 'operator', interfaceLanguage }, adminToken), 201);
  await ok(call('POST', '/v1/auth/password', { token: await linkSecret(person.email), password: person.password }));
  person.id = p.id;
}

before(async () => {
  browser = await launch();
  const signUp = await ok(call('POST', '/v1/accounts', { companyName: 'Workplace Ltd', email: admin.email, password: admin.password, plan: 'corporate', language: 'en' }), 201);
  accountId = signUp.account.id;
  adminToken = signUp.token;
  await ok(call('PATCH', '/v1/settings/classification', { categories: 'Billing\n Refunds\n Invoices\nTechnical', required: true }, adminToken));
  await ok(call('PATCH', '/v1/settings/features', { teleport: true, notifyNewVisitors: true, priorityPages: ['https://shop.example/vip'] }, adminToken));
  await ok(call('PATCH', '/v1/settings/integration', { crmUrlTemplate: 'https://crm.example/contacts/{id}' }, adminToken));
  privateKey = (await ok(call('POST', '/v1/settings/integration/private-key/regenerate', undefined, adminToken))).privateKey;
  await ok(call('POST', '/v1/templates', { level: 'global', language: 'en', section: 'Billing', title: 'Refund policy', text: refundText }, adminToken), 201);
  await ok(call('POST', '/v1/templates', { level: 'global', language: 'en', title: 'Goodbye', text: goodbyeText }, adminToken), 201);
  await Promise.all([invite(operator, 'en'), invite(russian, 'ru')]);
});

after(async () => { await browser?.close(); });

// staffPage signs a person in through the console, in a context of its
// own whose WebSockets the test can reach (to cut one).
async function staffPage(person) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 950 } });
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.testSockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) { super(...args); window.testSockets.push(this); }
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, person);
  await page.locator('#workplace-view').waitFor();
  await page.locator('#ws-status[data-state="open"]').waitFor();
  return { page, errors, close: () => context.close() };
}

// visitor opens a raw visitor socket on a page of its own, with the token
// of the widget config, optionally identified by the site.
async function visitor(fields) {
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  assert.equal(config.button, 'online', 'an operator is online');
  if (fields) {
    const canonical = Object.keys(fields).sort().map((k) => `${k}=${fields[k]}`).join('\n');
    const signature = createHmac('sha256', privateKey).update(canonical).digest('hex');
    await ok(call('POST', `/v1/widget/${accountId}/identify`, { visitorToken: config.visitorToken, fields, signature }));
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.evaluate((url) => new Promise((resolve, reject) => {
    window.frames_ = [];
    window.visitor = new WebSocket(url);
    window.visitor.onmessage = (ev) => window.frames_.push(JSON.parse(ev.data));
    window.visitor.onopen = resolve;
    window.visitor.onerror = () => reject(new Error('the visitor socket did not open'));
  }), `${config.websocketUrl}?visitorToken=${encodeURIComponent(config.visitorToken)}`);
  const v = {
    id: config.visitorId,
    page,
    send: (frame) => page.evaluate((f) => window.visitor.send(JSON.stringify(f)), frame),
    // frame waits for the first frame matching every member of want
    // (one level deep: chat: {status: 'closed'} matches f.chat.status).
    frame: async (want) => (await page.waitForFunction((want) => window.frames_.find((f) => Object.entries(want).every(([k, v]) =>
      v && typeof v === 'object' ? f[k] && Object.entries(v).every(([k2, v2]) => f[k][k2] === v2) : f[k] === v)), want)).jsonValue(),
    frames: () => page.evaluate(() => window.frames_),
    // forget drops the frames seen so far, so frame() waits for new ones.
    forget: () => page.evaluate(() => { window.frames_.length = 0; }),
    close: () => context.close(),
  };
  // say sends a message and waits until it is stored, as a careful client does.
  v.say = async (text) => {
    const clientId = 'v-' + Math.random().toString(36).slice(2);
    await v.send({ action: 'sendMessage', clientId, text, language: 'en' });
    const sent = await v.frame({ type: 'sent', clientId });
    return sent;
  };
  return v;
}

const texts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));

test('workplace: an operator takes a visitor\'s chat, answers with a template, categorises and closes it', async () => {
  op = await staffPage(operator);
  const { page } = op;
  assert.equal(await page.locator('#nav button[data-view="workplace-view"]').getAttribute('aria-current'), 'true', 'operators land on the workplace');
  assert.equal(await page.locator('#ws-status').textContent(), 'Connected');
  assert.equal(await page.locator('#presence').inputValue(), 'online');
  for (const list of ['Waiting', 'Common queue', 'My chats', 'Other operators\' chats']) {
    await page.locator('.wp-list h3', { hasText: list }).waitFor();
  }

  // A new visitor on the site is announced (features.notifyNewVisitors).
  const v = await visitor({ id: '42', name: 'Ann Visitor', email: 'ann@visitor.example' });
  await v.send({ action: 'hello', page: 'https://shop.example/pricing' });
  await v.frame({ type: 'state' });
  await page.locator('#wp-notices li', { hasText: 'New visitor on https://shop.example/pricing' }).waitFor();

  // The visitor writes: the chat waits, flagged with its language.
  const first = await v.say('Hello, I need a refund');
  const chatId = first.chatId;
  const item = page.locator(`#list-waiting li[data-chat="${chatId}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /Hello, I need a refund/);
  assert.equal(await item.locator('.badge.lang').textContent(), 'EN');
  assert.equal(await page.locator('#list-waiting .count').textContent(), '1');
  await page.locator('#wp-notices li[data-kind="chat"]', { hasText: 'New chat' }).waitFor();
  assert.equal(await item.locator('.badge.priority').count(), 0);

  // The visitor moves to a priority page: the chat is flagged.
  await v.send({ action: 'page', url: 'https://shop.example/vip/offers' });
  await item.locator('.badge.priority', { hasText: 'Priority' }).waitFor();

  // Opening it shows the transcript; taking it makes it the operator's,
  // with the visitor's signed fields and the CRM link.
  await item.locator('button').click();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Hello, I need a refund' }).waitFor();
  await page.getByRole('button', { name: 'Take the chat' }).click();
  await page.locator(`#list-mine li[data-chat="${chatId}"]`).waitFor();
  assert.equal(await page.locator('#list-waiting li').count(), 0);
  await page.locator('#chat-title', { hasText: 'Ann Visitor' }).waitFor();
  assert.match(await page.locator('#chat-visitor').textContent(), /ann@visitor\.example/);
  assert.equal(await page.getByRole('link', { name: 'Open in the CRM' }).getAttribute('href'), 'https://crm.example/contacts/42');
  assert.equal(await page.locator('#open-teleport').isVisible(), true, 'teleport is on for this account');
  await v.frame({ type: 'chat', chat: { status: 'active' } });

  // The visitor's messages show in the order written.
  for (const text of ['one', 'two', 'three']) await v.say(text);
  await page.locator('#transcript li.msg.visitor', { hasText: 'three' }).waitFor();
  assert.deepEqual((await texts(page.locator('#transcript li.msg.visitor .text'))).slice(-4), ['Hello, I need a refund', 'one', 'two', 'three']);

  // The visitor types: the operator sees it, until they stop.
  await v.send({ action: 'typing', chatId, typing: true });
  await page.locator('#typing', { hasText: 'The visitor is typing' }).waitFor();
  await v.send({ action: 'typing', chatId, typing: false });
  await page.waitForFunction(() => document.querySelector('#typing').textContent === '');

  // Two answers sent at once reach the visitor in the order typed.
  const reply = page.getByLabel('Reply');
  await reply.fill('First answer');
  await reply.press('Enter');
  await reply.fill('Second answer');
  await reply.press('Enter');
  await page.locator('#transcript li.msg.operator:not(.pending)', { hasText: 'Second answer' }).waitFor();
  const a1 = await v.frame({ type: 'message', text: 'First answer' });
  const a2 = await v.frame({ type: 'message', text: 'Second answer' });
  assert.ok(a1.seq < a2.seq, `first answer seq ${a1.seq} before the second's ${a2.seq}`);
  assert.equal(a1.from.kind, 'operator');
  const shown = await texts(page.locator('#transcript li.msg .text'));
  assert.ok(shown.indexOf('three') < shown.indexOf('First answer') && shown.indexOf('First answer') < shown.indexOf('Second answer'), shown.join(' | '));

  // Typing a question's words: the visitor sees the operator typing, and
  // the closest template is suggested; a click puts it in the reply.
  await v.forget();
  await reply.pressSequentially('card refund');
  await v.frame({ type: 'typing', typing: true });
  const suggestion = page.locator('#suggestions button', { hasText: 'Refund policy' });
  await suggestion.waitFor();
  await page.screenshot({ path: join(env.artifacts, 'workplace-suggestions.png'), fullPage: true });
  await suggestion.click();
  assert.equal(await reply.inputValue(), refundText);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const templated = await v.frame({ type: 'message', text: refundText });

  // The visitor reads it: the operator's message is marked read.
  await v.send({ action: 'read', chatId, seq: templated.seq });
  await page.locator(`#transcript li.msg[data-seq="${templated.seq}"] .read-mark`, { hasText: 'Read' }).waitFor();

  // The templates of the chat's language, grouped by section; a click
  // inserts one. The answer typed is kept as a personal template.
  await page.getByRole('button', { name: 'Templates' }).click();
  await page.locator('#templates-panel .tpl-section[data-section="Billing"] button', { hasText: 'Refund policy' }).waitFor();
  assert.deepEqual(await texts(page.locator('#templates-panel h4')), ['General', 'Billing']);
  await page.locator('#templates-panel button', { hasText: 'Goodbye' }).click();
  assert.equal(await reply.inputValue(), goodbyeText);
  await reply.fill('Our office opens at 9 am.');
  await page.getByRole('button', { name: 'Save as template' }).click();
  await page.getByLabel('Title').fill('Office hours');
  await page.getByRole('button', { name: 'Save the answer as my template' }).click();
  await page.locator('#wp-notices li', { hasText: 'Saved as your template: Office hours' }).waitFor();
  await page.locator('#templates-panel button[data-level="personal"]', { hasText: 'Office hours' }).waitFor();
  await reply.fill('');

  // A refused teleport shows the server's error; a good one reaches the visitor.
  await page.getByRole('button', { name: 'Teleport…' }).click();
  await page.getByLabel('Send the visitor\'s browser to').fill('not a url');
  await page.getByRole('button', { name: 'Send the visitor', exact: true }).click();
  await page.locator('#wp-errors li[data-code="invalid"]').waitFor();
  await page.getByLabel('Send the visitor\'s browser to').fill('https://shop.example/checkout');
  await page.getByRole('button', { name: 'Send the visitor', exact: true }).click();
  assert.equal((await v.frame({ type: 'teleport' })).url, 'https://shop.example/checkout');

  // The socket drops: the workplace says so, reconnects by itself, and
  // the open chat gets what the visitor wrote meanwhile.
  await page.evaluate(() => window.testSockets.filter((s) => s.readyState === WebSocket.OPEN).forEach((s) => s.close()));
  await page.locator('#ws-status[data-state="retry"]').waitFor();
  assert.match(await page.locator('#ws-status').textContent(), /reconnecting/);
  await v.say('Are you still there?');
  await page.locator('#ws-status[data-state="open"]').waitFor();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Are you still there?' }).waitFor();
  await reply.fill('Yes, still here.');
  await reply.press('Enter');
  await v.frame({ type: 'message', text: 'Yes, still here.' });

  // Closing without a category is refused (classification.required): the
  // error shows and so does the category picker; with one it closes.
  await page.getByRole('button', { name: 'Close the chat' }).click();
  await page.locator('#wp-errors li[data-code="conflict"]').waitFor();
  await page.locator('#close-category').waitFor();
  await page.screenshot({ path: join(env.artifacts, 'workplace-category.png'), fullPage: true });
  await page.getByLabel('Category of the chat').selectOption('Billing / Refunds');
  await page.getByRole('button', { name: 'Set the category and close' }).click();
  await page.locator('#chat-view[data-status="closed"]').waitFor();
  assert.match(await page.locator('#chat-meta').textContent(), /Billing \/ Refunds/);
  assert.equal(await page.locator('#list-mine li').count(), 0);
  await v.frame({ type: 'chat', chat: { status: 'closed' } });
  await page.screenshot({ path: join(env.artifacts, 'workplace.png'), fullPage: true });

  assert.deepEqual(op.errors, [], 'the workplace ran without errors');
  await v.close();
});

test('workplace: a Russian-speaking operator gets the interface in Russian and a chat redirected to them', async () => {
  const ru = await staffPage(russian);
  const { page } = ru;
  assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
  assert.equal(await page.locator('#workplace-view h2').textContent(), 'Рабочее место');
  assert.equal(await page.locator('#ws-status').textContent(), 'Подключено');
  assert.deepEqual(await texts(page.locator('#nav button')), ['Рабочее место', 'Настройки', 'Сотрудники']);
  assert.deepEqual(await texts(page.locator('.wp-list h3 > span:first-child')), ['Ожидают', 'Общая очередь', 'Мои чаты', 'Чаты других операторов', 'Пропущенные']);

  // The English-speaking operator takes a new chat and redirects it to them.
  const v = await visitor();
  await v.send({ action: 'hello' });
  const { chatId } = await v.say('Can someone help me?');
  const o = op.page;
  await o.locator(`#list-waiting li[data-chat="${chatId}"] button`).click();
  await o.getByRole('button', { name: 'Take the chat' }).click();
  await o.locator(`#list-mine li[data-chat="${chatId}"]`).waitFor();
  const announced = page.locator('#wp-notices li', { hasText: 'Новый чат' });
  await announced.first().waitFor(); // a new chat, waiting for anyone
  const before = await announced.count();
  await o.getByRole('button', { name: 'Redirect…' }).click();
  await o.getByLabel('Redirect to').selectOption('operatorId:' + russian.id);
  await o.getByRole('button', { name: 'Redirect', exact: true }).click();
  await o.locator('#wp-notices li', { hasText: 'The chat was redirected.' }).waitFor();

  // It is theirs now, announced and listed in Russian.
  const mine = page.locator(`#list-mine li[data-chat="${chatId}"]`);
  await mine.waitFor();
  await page.waitForFunction(([n]) => Array.from(document.querySelectorAll('#wp-notices li')).filter((li) => li.textContent.includes('Новый чат')).length > n, [before]);
  await mine.locator('button').click();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Can someone help me?' }).waitFor();
  assert.equal(await page.locator('#chat-meta .status-text').textContent(), 'Идёт диалог');
  await page.getByLabel('Ответ').fill('Здравствуйте! Чем помочь?');
  await page.getByRole('button', { name: 'Отправить', exact: true }).click();
  await v.frame({ type: 'message', text: 'Здравствуйте! Чем помочь?' });

  // The category set from the chat's own menu lets it close at once.
  await page.locator('#category').selectOption('Technical');
  await page.locator('#chat-meta .badge.cat', { hasText: 'Technical' }).waitFor();
  await page.getByRole('button', { name: 'Закрыть чат' }).click();
  await page.locator('#chat-view[data-status="closed"]').waitFor();
  assert.equal(await page.locator('#transcript .closed-note').textContent(), 'Чат закрыт.');
  await page.screenshot({ path: join(env.artifacts, 'workplace-ru.png'), fullPage: true });

  // Every page of the console speaks Russian to them.
  await page.getByRole('button', { name: 'Настройки' }).click();
  await page.getByLabel('Название компании').waitFor();
  assert.equal(await page.locator('#settings-view h2').textContent(), 'Общие настройки: компания');
  await page.getByRole('button', { name: 'Сотрудники' }).click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  assert.deepEqual(await texts(page.locator('#people-table th:not(:empty)')), ['Имя', 'Эл. почта', 'Роль', 'Состояние']);
  assert.match(await page.locator(`tr[data-email="${operator.email}"]`).textContent(), /оператор/);
  await page.screenshot({ path: join(env.artifacts, 'people-ru.png'), fullPage: true });

  // Signing out closes the workplace's socket for good.
  await page.getByRole('button', { name: 'Выйти' }).click();
  await page.locator('#login-view').waitFor();
  assert.equal(await page.evaluate(() => window.testSockets.some((s) => s.readyState !== WebSocket.CLOSED && s.readyState !== WebSocket.CLOSING)), false);

  assert.deepEqual(ru.errors, [], 'the Russian workplace ran without errors');
  assert.deepEqual(op.errors, [], 'the operator\'s workplace ran without errors');
  await v.close();
  await ru.close();
  await op.close();
});

test('workplace: with auto-assignment full, chats queue oldest first and the next one comes on close; away hides the button', async () => {
  await ok(call('PATCH', '/v1/settings/features', { autoAssign: true, maxChatsPerOperator: 1 }, adminToken));
  const o = await staffPage(operator);
  const { page } = o;
  assert.equal(await page.locator('#list-mine li').count(), 0);

  // The first chat is the operator's at once, and announced.
  const a = await visitor();
  await a.send({ action: 'hello' });
  const { chatId: first } = await a.say('First in line');
  await page.locator(`#list-mine li[data-chat="${first}"]`).waitFor();
  await page.locator('#wp-notices li[data-kind="chat"]', { hasText: 'New chat' }).waitFor();

  // The operator is full: the next two wait in the common queue, oldest first.
  const b = await visitor();
  await b.send({ action: 'hello' });
  const { chatId: second } = await b.say('Second in line');
  await page.locator(`#list-queued li[data-chat="${second}"]`).waitFor();
  const c = await visitor();
  await c.send({ action: 'hello' });
  const { chatId: third } = await c.say('Third in line');
  await page.locator(`#list-queued li[data-chat="${third}"]`).waitFor();
  assert.deepEqual(await page.locator('#list-queued li').evaluateAll((els) => els.map((e) => e.dataset.chat)), [second, third]);
  assert.equal(await page.locator('#list-queued .count').textContent(), '2');
  await page.screenshot({ path: join(env.artifacts, 'workplace-queue.png'), fullPage: true });

  // Closing the first (with its category) brings the oldest queued chat.
  await page.locator(`#list-mine li[data-chat="${first}"] button`).click();
  await page.locator('#category').selectOption('Billing / Invoices');
  await page.locator('#chat-meta .badge.cat', { hasText: 'Billing / Invoices' }).waitFor();
  await page.getByRole('button', { name: 'Close the chat' }).click();
  await page.locator(`#list-mine li[data-chat="${second}"]`).waitFor();
  assert.deepEqual(await page.locator('#list-queued li').evaluateAll((els) => els.map((e) => e.dataset.chat)), [third]);

  // The last one is taken from the queue by hand, beyond the limit.
  await page.locator(`#list-queued li[data-chat="${third}"] button`).click();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Third in line' }).waitFor();
  await page.getByRole('button', { name: 'Take the chat' }).click();
  await page.locator(`#list-mine li[data-chat="${third}"]`).waitFor();
  assert.equal(await page.locator('#list-queued li').count(), 0);

  // Away: the widget offers no chat while nobody else is online; back online, it does.
  const button = async () => (await ok(call('GET', `/v1/widget/${accountId}/config`))).button;
  await page.getByLabel('My status').selectOption('away');
  for (let i = 0; i < 50 && (await button()) !== 'offline'; i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await button(), 'offline');
  await page.getByLabel('My status').selectOption('online');
  for (let i = 0; i < 50 && (await button()) !== 'online'; i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await button(), 'online');

  assert.deepEqual(o.errors, [], 'the workplace ran without errors');
  for (const v of [a, b, c]) await v.close();
  await o.close();
});

test('workplace: at 1366×900 the templates and the reply box are within the screen; notices are sentences that do not pile up; times in the account\'s zone', async () => {
  // A zone far from the browser's (UTC here), so the two cannot agree.
  await ok(call('PATCH', '/v1/settings/company', { timezone: 'Asia/Tokyo' }, adminToken));
  await ok(call('PATCH', '/v1/settings/features', { autoAssign: false }, adminToken));
  const s = await staffPage(operator);
  const { page } = s;
  await page.setViewportSize({ width: 1366, height: 900 });
  const v = await visitor();
  const sent = await v.say('Checking the layout');
  const item = page.locator(`#list-waiting li[data-chat="${sent.chatId}"]`);
  await item.locator('button').click();
  await page.getByRole('button', { name: 'Take the chat' }).click();
  await page.locator(`#list-mine li[data-chat="${sent.chatId}"]`).waitFor();

  // The message's time is the account's hour, as History shows it.
  const shownTime = await page.locator('#transcript li.msg.visitor', { hasText: 'Checking the layout' }).locator('time').textContent();
  const [tokyo, local] = await page.evaluate((at) => [
    new Date(at).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Tokyo' }),
    new Date(at).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' })], sent.at);
  assert.equal(shownTime.trim(), tokyo, 'the time in Asia/Tokyo');
  assert.notEqual(shownTime.trim(), local, 'not the browser\'s zone');

  // The reply box keeps clear of the bottom edge; the templates open
  // within the screen, beside the chat.
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = async (sel) => page.locator(sel).boundingBox();
  const replyBox = await box('#reply');
  assert.ok(replyBox.y + replyBox.height <= 900 - 24, `the reply box ends at ${replyBox.y + replyBox.height} of 900`);
  await page.getByRole('button', { name: 'Templates' }).click();
  await page.locator('#templates-panel button', { hasText: 'Refund policy' }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  const panel = await box('#templates-panel');
  assert.ok(panel.y >= 0 && panel.y + Math.min(panel.height, 200) <= 900, `the templates panel at ${panel.y}..${panel.y + panel.height}`);
  assert.ok((await box('#reply')).y + (await box('#reply')).height <= 900 - 24, 'the reply box still on screen with the templates open');
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'templates-1366.png') });

  // The operator edits and deletes their own template (saved in the
  // first test) from the panel; global ones have no such buttons.
  assert.equal(await page.locator('#templates-panel li:has(button[data-level="global"]) .tpl-tools').count(), 0);
  await page.getByRole('button', { name: 'Edit my template Office hours' }).click();
  const editor = page.locator('#templates-panel form.tpl-editor');
  assert.equal(await editor.getByLabel('Text').inputValue(), 'Our office opens at 9 am.');
  await editor.getByLabel('Text').fill('Our office opens at 8 am.');
  await editor.getByRole('button', { name: 'Save the template' }).click();
  await page.locator('#wp-notices li', { hasText: 'Your template is saved: Office hours' }).waitFor();
  await page.locator('#templates-panel button[data-level="personal"]', { hasText: 'Our office opens at 8 am.' }).waitFor();
  // An empty text is refused beside the field, nothing changes.
  await page.getByRole('button', { name: 'Edit my template Office hours' }).click();
  await editor.getByLabel('Text').fill('');
  await editor.getByRole('button', { name: 'Save the template' }).click();
  await editor.locator('.field-error[data-field="text"]:not(:empty)').waitFor();
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'template-edit-1366.png') });
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Delete my template Office hours' }).click();
  await page.getByRole('button', { name: 'Delete for good' }).click();
  await page.locator('#wp-notices li', { hasText: 'Your template is deleted: Office hours' }).waitFor();
  await page.locator('#templates-panel button[data-level="personal"]').waitFor({ state: 'detached' });
  await page.locator('#templates-panel button', { hasText: 'Refund policy' }).waitFor();

  // Redirect offers the colleagues who can take the chat now, with their
  // presence: not the administrator who never opened a workplace, nor
  // someone still invited.
  const invited = await ok(call('POST', '/v1/people', { email: `wp-invited-${stamp}@example.com`, name: 'Ivy Invited', role: 'operator' }, adminToken), 201);
  const everyone = (await ok(call('GET', '/v1/people', undefined, adminToken))).items;
  const adminId = everyone.find((p) => p.email === admin.email).id;
  await page.getByRole('button', { name: 'Redirect…' }).click();
  const options = page.locator('#redirect-target optgroup:first-child option');
  await page.locator('#redirect-form').waitFor();
  const values = await options.evaluateAll((os) => os.map((o) => [o.value, o.dataset.presence, o.textContent]));
  for (const [value, presence, text] of values) {
    assert.ok(presence === 'online' || presence === 'away', `${text} is marked online or away`);
    assert.match(text, /, (online|away)\)$/);
    assert.notEqual(value, 'operatorId:' + adminId, 'the administrator is offline');
    assert.notEqual(value, 'operatorId:' + invited.id, 'an invited person cannot take chats');
  }
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'redirect-1366.png') });
  await page.locator('#redirect-form .cancel').click();

  // A refused close is a sentence in the person's language, without the
  // service's code or setting key; trying again does not add another.
  for (let i = 0; i < 2; i++) {
    await page.getByRole('button', { name: 'Close the chat' }).click();
    await page.locator('#wp-errors li', { hasText: 'Pick the chat\'s category first' }).waitFor();
  }
  const errorsShown = (await texts(page.locator('#wp-errors li span'))).filter((x) => x.includes('category'));
  assert.equal(errorsShown.length, 1, `one notice: ${JSON.stringify(errorsShown)}`);
  assert.doesNotMatch(errorsShown[0], /conflict|classification|required\)/);
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'category-needed-1366.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'category-needed-390.png'), fullPage: true });
  await page.getByLabel('Category of the chat').selectOption('Billing / Refunds');
  await page.getByRole('button', { name: 'Set the category and close' }).click();
  await page.locator('#chat-view[data-status="closed"]').waitFor();

  // The same visitor comes back: the operator who opens the new chat sees
  // the earlier one with its category (SPEC §2.3).
  await page.setViewportSize({ width: 1366, height: 900 });
  const again = await v.say('Me again about that refund');
  assert.notEqual(again.chatId, sent.chatId, 'a new chat');
  await page.locator(`#list-waiting li[data-chat="${again.chatId}"] button`).click();
  const past = page.locator(`#chat-past li[data-chat="${sent.chatId}"]`);
  // (what was read when the first chat was opened shows until the fresh read)
  await past.locator('.badge.cat', { hasText: 'Billing / Refunds' }).waitFor();
  assert.equal(await page.locator(`#chat-past li[data-chat="${again.chatId}"]`).count(), 0, 'not the chat itself');
  await page.screenshot({ path: join(env.artifacts, 'workplace-states', 'past-chats-1366.png') });
  await ok(call('PATCH', '/v1/settings/company', { timezone: 'Europe/Moscow' }, adminToken));
  assert.deepEqual(s.errors, [], 'the workplace ran without errors');
  await v.close();
  await s.close();
});

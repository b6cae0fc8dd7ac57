// The statistics page in a real browser: an account of this file's own
// with an answered, categorised, rated chat, a refusal and an offline
// request (made on raw WebSockets, as history.test.mjs makes them). The
// page shows the same totals and rows as GET /v1/stats, draws its charts,
// downloads the CSV, and shows an operator only their own row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, env, launch, linkSecret, ok, pageErrors, signIn } from './browser.mjs';

const stamp = Date.now();
const admin = { email: `stats-admin-${stamp}@example.com`, password: 'stats admin password 1' };
const operator = { email: `stats-op-${stamp}@example.com`, name: 'Olga Operator', password: 'stats operator password 1' };
let browser;
let accountId;
let adminToken;
let sockets;

async function socket(name, url) {
  await sockets.evaluate(([name, url]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.socks[name] = { ws, frames: [] };
    ws.onmessage = (ev) => window.socks[name].frames.push(JSON.parse(ev.data));
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`the socket ${name} did not open`));
  }), [name, url]);
  return {
    call: async (frame) => {
      const clientId = name + '-' + Math.random().toString(36).slice(2);
      await sockets.evaluate(([name, f]) => window.socks[name].ws.send(JSON.stringify(f)), [name, { ...frame, clientId }]);
      const answer = await (await sockets.waitForFunction(([name, id]) => window.socks[name].frames.find((f) => f.clientId === id), [name, clientId])).jsonValue();
      assert.notEqual(answer.type, 'error', `${frame.action}: ${JSON.stringify(answer)}`);
      return answer;
    },
    close: () => sockets.evaluate((name) => window.socks[name].ws.close(), name),
  };
}

async function connect(name, token) {
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  const q = token ? `token=${encodeURIComponent(token)}` : `visitorToken=${encodeURIComponent(config.visitorToken)}`;
  const s = await socket(name, `${config.websocketUrl}?${q}`);
  await s.call({ action: 'hello' });
  return s;
}

// counted waits until the API's totals show what the script did (the
// stream consumer counts a moment after each change).
async function counted() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await ok(call('GET', '/v1/stats?groupBy=day', undefined, adminToken));
    const t = r.totals;
    if (t.chats === 2 && t.answered === 1 && t.refusals === 1 && t.offline === 1 && t.ratings.good === 1) return r;
    if (Date.now() > deadline) throw new Error('the statistics never counted the script: ' + JSON.stringify(t));
    await new Promise((res) => setTimeout(res, 300));
  }
}

before(async () => {
  browser = await launch();
  const signUp = await ok(call('POST', '/v1/accounts', { companyName: 'Stats Ltd', email: admin.email, password: admin.password, plan: 'corporate', language: 'en' }), 201);
  accountId = signUp.account.id;
  adminToken = signUp.token;
  await ok(call('PATCH', '/v1/settings/classification', { categories: 'Billing\nTechnical' }, adminToken));
  const p = await ok(call('POST', '/v1/people', { email: operator.email, name: operator.name, role: 'operator' }, adminToken), 201);
  operator.id = p.id;
  await ok(call('POST', '/v1/auth/password', { token: await linkSecret(operator.email), password: operator.password }));
  const login = await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }));

  const context = await browser.newContext();
  sockets = await context.newPage();
  sockets.setDefaultTimeout(20_000);
  await sockets.evaluate(() => { window.socks = {}; });
  const op = await connect('op', login.token);
  const a = await connect('visitor-a');
  const chat = (await a.call({ action: 'sendMessage', text: 'Where is my invoice?', language: 'en' })).chatId;
  await op.call({ action: 'take', chatId: chat });
  await op.call({ action: 'sendMessage', chatId: chat, text: 'Sent it again.' });
  await op.call({ action: 'setCategory', chatId: chat, category: 'Billing' });
  await op.call({ action: 'closeChat', chatId: chat });
  await a.call({ action: 'rate', chatId: chat, rating: 'good' });
  const b = await connect('visitor-b');
  const gone = (await b.call({ action: 'sendMessage', text: 'hello?', language: 'en' })).chatId;
  await b.call({ action: 'closeChat', chatId: gone });
  for (const s of [op, a, b]) await s.close();
  const c = await connect('visitor-c');
  await c.call({ action: 'leaveMessage', name: 'Carl', contact: 'carl@visitor.example', text: 'Call me' });
  await c.close();
});

after(async () => { await browser?.close(); });

async function staffPage(person) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 1100 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, person);
  await page.locator('#logout:not([hidden])').waitFor();
  return { page, errors, close: () => context.close() };
}

const stat = (page, name) => page.locator(`#stats-totals [data-stat="${name}"] .stat-value`).textContent();

test('statistics: the page shows what the API counts, charts it, and downloads it as CSV', async () => {
  const api = await counted();
  const { page, errors, close } = await staffPage(admin);
  await page.getByRole('button', { name: 'Statistics' }).click();
  await page.locator('#stats-page[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/stats');
  await page.getByRole('button', { name: 'Today' }).click();
  await page.waitForFunction(() => document.querySelector('#stats-page').dataset.state === 'loaded' && document.querySelector('#stats-custom').hidden);
  for (const [name, want] of [['chats', api.totals.chats], ['answered', 1], ['refusals', 1], ['missed', 0], ['offline', 1], ['busyFirst', 0]]) {
    assert.equal(await stat(page, name), String(want), name);
  }
  assert.equal(await page.locator('.stats-chart canvas').count(), 4, 'four charts drawn');
  const ops = await ok(call('GET', '/v1/stats?groupBy=operator', undefined, adminToken));
  const row = page.locator(`#stats-operators tbody tr[data-key="${operator.id}"] td`);
  assert.equal(await row.first().textContent(), operator.name);
  assert.equal(await row.nth(1).textContent(), String(ops.rows.find((r) => r.key === operator.id).chats));
  assert.equal(await page.locator('#stats-categories tbody tr[data-key="Billing"] td').nth(1).textContent(), '1');
  await page.screenshot({ path: join(env.artifacts, 'stats.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const text = await new Promise((res, rej) => download.createReadStream().then((s) => { let d = ''; s.on('data', (c) => { d += c; }); s.on('end', () => res(d)); s.on('error', rej); }));
  const lines = text.trim().split('\n');
  assert.match(lines[0], /^key,chats,answered,missed,refusals,offline/);
  assert.match(lines[lines.length - 1], /^total,2,1,0,1,1,/);

  // A custom range the API refuses shows its message beside the field.
  await page.getByRole('button', { name: 'Custom' }).click();
  await page.locator('#stats-custom input[name="from"]').fill('2020-01-01');
  await page.locator('#stats-custom input[name="to"]').fill('2026-01-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForFunction(() => document.querySelector('#stats-custom .field-error[data-field="from"]').textContent !== '');
  assert.deepEqual(errors, []);
  await close();
});

test('statistics: an operator sees their own row only', async () => {
  await counted();
  const { page, errors, close } = await staffPage(operator);
  await page.getByRole('button', { name: 'Statistics' }).click();
  await page.locator('#stats-page[data-state="loaded"]').waitFor();
  assert.equal(await stat(page, 'chats'), '1', 'the operator\'s own chat only');
  assert.equal(await page.locator('#stats-operators tbody tr').count(), 1);
  assert.equal(await page.locator('#stats-categories').count(), 0, 'no category table for operators');
  await page.screenshot({ path: join(env.artifacts, 'stats-operator.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await close();
});

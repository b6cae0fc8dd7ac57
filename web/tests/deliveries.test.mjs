// Webhook deliveries in a real browser: an administrator regenerates the
// signing secret (shown once, then masked), sends test events to a
// receiver on loopback (one answering 200, one 500), sees each delivery's
// status, attempts and response code, redelivers one under the same
// webhook-id, and finds the failing handler on the home page. The receiver
// checks every signature with the secret the page showed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { env, launch, pageErrors, call, ok, signIn } from './browser.mjs';

let browser;
let receiver;
let base;
const hits = [];
const admin = { email: `dlv-admin-${Date.now()}@example.com`, password: 'deliveries admin password 1' };
let token;

before(async () => {
  browser = await launch();
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = req.url.startsWith('/fail') ? 500 : 200;
      res.end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://hook:pw-never-shown@127.0.0.1:${receiver.address().port}`;
  token = (await ok(call('POST', '/v1/accounts', { companyName: 'Hooks Ltd', email: admin.email, password: admin.password, language: 'en' }), 201)).token;
  await ok(call('PATCH', '/v1/settings/integration', { webhooks: { chatClose: base + '/ok', chatStart: base + '/fail' } }, token));
});
after(async () => { await browser?.close(); receiver?.close(); });

// verified is the Standard Webhooks check a receiver makes.
function verified(secret, h) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${h.headers['webhook-id']}.${h.headers['webhook-timestamp']}.`).update(h.body).digest();
  return h.headers['webhook-signature'].split(' ').some((s) => {
    const [v, sig] = s.split(',');
    const got = Buffer.from(sig || '', 'base64');
    return v === 'v1' && got.length === mac.length && timingSafeEqual(got, mac);
  });
}

test('deliveries: signing secret, test events, statuses, redeliver, failing handler on the home page', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 950 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  page.on('dialog', (d) => d.accept());
  await page.goto(env.httpURL + '/');
  await signIn(page, admin);
  await page.locator('#home-view').waitFor();
  await page.getByRole('button', { name: 'Webhook deliveries' }).click();
  await page.locator('#dlv-table[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/deliveries');

  // The handlers: two set, chatAssign not; no credential shown.
  assert.equal(await page.locator('#dlv-handlers tr[data-event="chatAssign"]').getAttribute('data-state'), 'notSet');
  assert.match(await page.locator('#dlv-handlers tr[data-event="chatClose"] .url').textContent(), /^http:\/\/127\.0\.0\.1:\d+\/ok$/);
  assert.ok(!(await page.content()).includes('pw-never-shown'), 'the URL password is nowhere in the page');

  // Regenerate: the secret shows once, the field stays masked.
  assert.match(await page.locator('#dlv-secret').inputValue(), /^••••/);
  await page.getByRole('button', { name: 'Regenerate' }).click();
  await page.locator('#dlv-new-secret:not([hidden])').waitFor();
  const secret = await page.locator('#dlv-new-secret code').textContent();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(await page.locator('#dlv-secret').inputValue(), '••••' + secret.slice(-4));

  // A test chatClose reaches the receiver signed and shows delivered.
  await page.getByRole('button', { name: 'Send a test event chatClose' }).click();
  const closeRow = page.locator('#dlv-table tbody tr[data-event="chatClose"]').first();
  await page.locator('#dlv-table tbody tr[data-event="chatClose"][data-status="delivered"]').waitFor();
  const cells = await closeRow.locator('td').allTextContents();
  assert.equal(cells[3], '1', 'one attempt');
  assert.equal(cells[4], '200');
  assert.match(cells[5], /^\d+ ms$/);
  const first = hits.find((h) => h.path === '/ok');
  assert.ok(first && verified(secret, first), 'the receiver verifies the signature');
  assert.equal(first.headers.authorization, 'Basic ' + Buffer.from('hook:pw-never-shown').toString('base64'));
  const body = JSON.parse(first.body);
  assert.equal(body.type, 'chatClose');
  assert.equal(body.test, true);
  assert.equal(body.id, first.headers['webhook-id']);

  // Redeliver: the same webhook-id a second time.
  const id = await closeRow.getAttribute('data-id');
  await page.getByRole('button', { name: 'Redeliver ' + id }).click();
  await page.locator('#dlv-status', { hasText: 'queued again' }).waitFor();
  await page.locator(`#dlv-table tbody tr[data-id="${id}"][data-status="delivered"] td.attempts`, { hasText: '2' }).waitFor();
  const again = hits.filter((h) => h.path === '/ok');
  assert.equal(again.length, 2);
  assert.equal(again[1].headers['webhook-id'], id);

  // A test chatStart to a receiver answering 500: retried, the handler failing.
  await page.getByRole('button', { name: 'Send a test event chatStart' }).click();
  await page.locator('#dlv-table tbody tr[data-event="chatStart"] td.code', { hasText: '500' }).waitFor();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('#dlv-handlers tr[data-event="chatStart"][data-state="failing"]').waitFor();
  assert.match(await page.locator('#dlv-table tbody tr[data-event="chatStart"] .error-text').textContent(), /500/);
  await page.screenshot({ path: join(env.artifacts, 'deliveries.png'), fullPage: true });

  // The home page names it, linking here.
  await page.getByRole('button', { name: 'Home' }).click();
  const line = page.locator('#home-checklist li[data-check="webhooks-failing"]');
  await line.waitFor();
  assert.match(await line.textContent(), /chatStart event handler is failing: the receiver answered 500/);
  await line.getByRole('link').click();
  await page.locator('#dlv-table[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/deliveries');

  assert.deepEqual(errors, []);
  await context.close();
});

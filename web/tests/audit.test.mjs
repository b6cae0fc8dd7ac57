// The audit trail in a real browser: an administrator's settings changes
// listed newest first with who, when, the key and both values, a secret
// only masked, 50 entries a page with More for the rest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors, call, ok, signIn } from './browser.mjs';

let browser;
const admin = { email: `audit-admin-${Date.now()}@example.com`, password: 'audit admin password 1' };
const botToken = '7012345678:AAF1kz9Qx_3mPz-8YtQwErTyUiOpAsDfGhJ';
let token;

before(async () => {
  browser = await launch();
  token = (await ok(call('POST', '/v1/accounts', { companyName: 'Audit Ltd', email: admin.email, password: admin.password, language: 'en', name: 'Anna Admin' }), 201)).token;
});
after(async () => { await browser?.close(); });

// entries waits until the trail holds n entries (the stream consumer
// writes them a moment after each change).
async function entries(n) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let all = [];
    let page = await ok(call('GET', '/v1/audit', undefined, token));
    all = all.concat(page.items);
    while (page.next) {
      page = await ok(call('GET', '/v1/audit?before=' + page.next, undefined, token));
      all = all.concat(page.items);
    }
    if (all.length >= n) return all;
    if (Date.now() > deadline) throw new Error(`the audit trail has ${all.length} entries, want ${n}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('audit: who changed which key from what to what, secrets masked, paged', async () => {
  // 52 changes: 50 of the website, then a Telegram token, then the name.
  for (let i = 1; i <= 50; i++) await ok(call('PATCH', '/v1/settings/company', { website: `https://audit${i}.example` }, token));
  await ok(call('PATCH', '/v1/settings/integration', { telegram: { botToken } }, token));
  await ok(call('PATCH', '/v1/settings/company', { name: 'Audit Group' }, token));
  await entries(52);

  const context = await browser.newContext({ viewport: { width: 1100, height: 950 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, admin);
  await page.locator('#home-view').waitFor();
  await page.getByRole('button', { name: 'Audit trail' }).click();
  await page.locator('#audit-table[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/audit');

  const rows = page.locator('#audit-table tbody tr');
  assert.equal(await rows.count(), 50, 'one page of 50');
  const cells = (i) => rows.nth(i).locator('td').allTextContents();
  const [when, who, key, was, now] = await cells(0);
  assert.equal(key, 'company.name');
  assert.equal(was, 'Audit Ltd');
  assert.equal(now, 'Audit Group');
  assert.equal(who, `Anna Admin · ${admin.email}`);
  assert.match(when, /\d/);
  const secret = await cells(1);
  assert.equal(secret[2], 'integration.telegram.botToken');
  assert.equal(secret[3], '(empty)');
  assert.match(secret[4], /^••••fGhJ$/, 'the token shows masked');
  assert.ok(!(await page.content()).includes(botToken), 'the token is nowhere in the page');
  await page.screenshot({ path: join(env.artifacts, 'audit.png'), fullPage: true });

  // More brings the oldest: the first website change, from empty.
  await page.getByRole('button', { name: 'More' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#audit-table tbody tr').length === 52);
  const oldest = await cells(51);
  assert.deepEqual(oldest.slice(2), ['company.website', '(empty)', 'https://audit1.example']);
  assert.equal(await page.getByRole('button', { name: 'More' }).isVisible(), false, 'nothing further');

  // A reload stays on the trail.
  await page.reload();
  await page.locator('#audit-table[data-state="loaded"]').waitFor();
  assert.deepEqual(errors, [], 'the page ran without errors');
  await context.close();
});

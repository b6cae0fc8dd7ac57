// The embed code page in a real browser: the tag with the account's id and
// the placement's options, copied by its button; and the signed
// identification example, whose server code, run as shown with a real
// private key, makes a signature the API accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { env, launch, pageErrors, call, ok, signIn } from './browser.mjs';

let browser;
const admin = { email: `embed-admin-${Date.now()}@example.com`, password: 'embed admin password 1' };
let signedUp;

before(async () => {
  browser = await launch();
  signedUp = await ok(call('POST', '/v1/accounts', { companyName: 'Embed Ltd', email: admin.email, password: admin.password, language: 'en' }), 201);
});
after(async () => { await browser?.close(); });

test('embed: the tag to copy, and a signed identification example that works', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.httpURL });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, admin);
  await page.locator('#home-view').waitFor();
  await page.getByRole('link', { name: 'Put the chat on your site: copy the embed code.' }).click();
  await page.locator('#embed-code').waitFor();
  assert.equal(new URL(page.url()).hash, '#/embed');

  const accountId = signedUp.account.id;
  const code = () => page.locator('#embed-code').textContent();
  assert.equal(await code(), `<script src="${env.httpURL}/widget/widget.js" async\n        data-account="${accountId}"></script>`);
  await page.getByLabel('Language of this placement').selectOption('en');
  await page.getByLabel('Ask the visitor\'s question before the chat starts').check();
  await page.getByLabel('Invitation to leave a message after (seconds; 0: never)').fill('0');
  const tag = await code();
  assert.match(tag, /data-language="en"/);
  assert.match(tag, /data-ask-question="1"/);
  assert.match(tag, /data-invite-delay="0"/);
  assert.doesNotMatch(tag, /data-ask-department/);
  await page.getByRole('button', { name: 'Copy: Embed code' }).click();
  await page.locator('[data-block="embed-code"] .status', { hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), tag);
  await page.screenshot({ path: join(env.artifacts, 'embed.png'), fullPage: true });

  // The server example, run as shown: its signature is accepted.
  const key = (await ok(call('POST', '/v1/settings/integration/private-key/regenerate', undefined, signedUp.token))).privateKey;
  const server = await page.locator('#embed-server').textContent();
  assert.ok(!(await page.content()).includes(key), 'the private key is not on the page');
  const signature = new Function('require', 'process', server + '\nreturn signature;')(createRequire(import.meta.url), { env: { PARLEY_PRIVATE_KEY: key } });
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  const fields = { id: '42', name: 'Ann', email: 'ann@example.com' };
  await ok(call('POST', `/v1/widget/${accountId}/identify`, { visitorToken: config.visitorToken, fields, signature }));
  // The tag's example carries the same fields as the server's.
  const signedTag = await page.locator('#embed-signed-tag').textContent();
  assert.deepEqual(JSON.parse(/data-visitor-fields='([^']*)'/.exec(signedTag)[1]), fields);
  assert.match(await page.locator('#embed-call').textContent(), /window\.Parley\.identify/);

  assert.deepEqual(errors, [], 'the page ran without errors');
  await context.close();
});

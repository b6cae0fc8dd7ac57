// The Unisender contact export in a real browser: on the integration
// settings page an administrator of an account with 2,000 identified
// visitors (seeded by the Go harness) presses "Export contacts" and sees
// the progress bar move through the batches to 2,000 of 2,000, at the
// harness's local Unisender.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors, call, ok, need } from './browser.mjs';
import { open, section } from './settings.mjs';

let browser;
let token;
const admin = { email: need('PARLEY_EXPORT_EMAIL'), password: env.password };

before(async () => {
  browser = await launch();
  token = (await ok(call('POST', '/v1/auth/login', { email: admin.email, password: admin.password }))).token;
  await ok(call('PATCH', '/v1/settings/integration', { unisender: { apiKey: need('PARLEY_UNISENDER_KEY'), listName: 'Parley export' } }, token));
});
after(async () => { await browser?.close(); });

test('unisender export: the progress bar moves to 2,000 of 2,000', async () => {
  const page = await open(browser, admin);
  const errors = pageErrors(page);
  await section(page, 'integration');
  const box = page.locator('.unisender-export');
  await box.getByRole('button', { name: 'Export contacts' }).click();
  const bar = box.locator('progress.export-progress');
  await bar.waitFor();
  // Watch the bar until the export is done: it must pass through values
  // between the start and the end.
  const seen = new Set();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const [done, status] = await bar.evaluate((b) => [Number(b.dataset.done), b.dataset.status]);
    seen.add(done);
    if (status === 'done') break;
    assert.ok(status === 'running', `status ${status}: ${await box.locator('.export-status').textContent()}`);
    assert.ok(Date.now() < deadline, `the export did not finish; seen ${[...seen]}`);
    await page.waitForTimeout(200);
  }
  const between = [...seen].filter((d) => d > 0 && d < 2000);
  assert.ok(between.length >= 2, `the bar moved through ${[...seen].sort((a, b) => a - b)}`);
  assert.match(await box.locator('.export-status').textContent(), /Export finished\. 2000 of 2000 contacts/);
  assert.equal(await bar.evaluate((b) => b.value === b.max), true);
  assert.equal(await box.getByRole('button', { name: 'Cancel export' }).isVisible(), false);
  await page.screenshot({ path: join(env.artifacts, 'unisender-export.png'), fullPage: true });

  // A wrong key: the export fails at once with the setting to fix, and the
  // home page names the failing integration.
  await ok(call('PATCH', '/v1/settings/integration', { unisender: { apiKey: 'a-revoked-unisender-key' } }, token));
  await box.getByRole('button', { name: 'Export contacts' }).click();
  await box.locator('progress.export-progress[data-status="failed"]').waitFor({ timeout: 30_000 });
  assert.match(await box.locator('.export-status').textContent(), /Export failed: Unisender refused the key \(invalid_api_key\): check integration\.unisender\.apiKey/);
  await page.getByRole('button', { name: 'Home' }).click();
  const line = page.locator('#home-checklist li[data-check="services-failing"]');
  await line.waitFor();
  assert.match(await line.textContent(), /The Unisender integration is failing: Unisender refused the key/);
  assert.deepEqual(errors, []);
});

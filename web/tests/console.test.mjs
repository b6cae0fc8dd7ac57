// The console in a real browser: sign-in, the company settings form with
// its per-field errors, saving, and signing out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// loaded waits for the settings form to be filled and enabled, which the
// console does only once GET /v1/settings/company has answered.
async function loaded(page) {
  await page.locator('#company-fields:not([disabled])').waitFor();
}

async function values(page) {
  return {
    name: await page.getByLabel('Company name').inputValue(),
    timezone: await page.getByLabel('Time zone').inputValue(),
    website: await page.getByLabel('Website').inputValue(),
    language: await page.getByLabel('Language').inputValue(),
  };
}

// fieldError returns the error shown for a setting key, after checking it
// sits right under its field, where the administrator is looking.
async function fieldError(page, key, label) {
  const error = page.locator(`.field-error[data-field="${key}"]`);
  const input = page.getByLabel(label);
  const [e, i] = [await error.boundingBox(), await input.boundingBox()];
  assert.ok(e && i, `${key}: the error and its field are both shown`);
  assert.ok(e.y >= i.y + i.height - 1 && e.y - (i.y + i.height) < 30, `${key}: error at y=${e.y}, field ends at y=${i.y + i.height}`);
  return (await error.textContent()).trim();
}

test('console: sign in, company settings with field errors, save, sign out', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.setDefaultTimeout(20_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');

  // A wrong password is refused with a message, and the settings stay hidden.
  await page.getByLabel('E-mail').fill(env.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.trim() !== '');
  assert.equal(await page.locator('#settings-view').isVisible(), false);

  await page.getByLabel('Password').fill(env.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#home-view').waitFor();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await loaded(page);
  assert.equal(await page.locator('#login-error').textContent(), '');
  assert.match(await page.locator('#who').textContent(), new RegExp(env.email.replace(/[.+]/g, '\\$&')));
  const before = await values(page);
  assert.equal(before.timezone, 'Europe/Moscow', 'the default time zone');

  // Bad values next to a good one: each refused key gets its message
  // beside its field, and nothing is saved, not even the good value. (A new
  // account's company name is empty, and required on save.)
  await page.getByLabel('Company name').fill('Acme Browser Ltd');
  await page.getByLabel('Website').fill('ftp://x');
  await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => document.querySelector('[data-field="company.website"]').textContent.trim() !== '');
  assert.notEqual(await fieldError(page, 'company.website', 'Website'), '');
  assert.notEqual(await fieldError(page, 'company.timezone', 'Time zone'), '');
  assert.equal(await fieldError(page, 'company.name', 'Company name'), '', 'no error on a good field');
  assert.notEqual(await page.locator('#company-status').textContent(), 'Saved.');
  await page.screenshot({ path: join(env.artifacts, 'settings-errors.png'), fullPage: true });
  await page.reload();
  await loaded(page);
  assert.deepEqual(await values(page), before, 'a refused save changed nothing');

  // Good values are saved and survive a reload.
  const after = { name: 'Acme Browser Ltd', timezone: 'Europe/Berlin', website: 'https://acme.example', language: 'ru' };
  await page.getByLabel('Company name').fill(after.name);
  await page.getByLabel('Time zone').fill(after.timezone);
  await page.getByLabel('Website').fill(after.website);
  await page.getByLabel('Language').selectOption(after.language);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#company-status', { hasText: 'Saved.' }).waitFor();
  assert.equal((await page.locator('.field-error').allTextContents()).join(''), '', 'no field errors after a good save');
  await page.screenshot({ path: join(env.artifacts, 'settings.png'), fullPage: true });
  await page.reload();
  await loaded(page);
  assert.deepEqual(await values(page), after);

  // Signing out forgets the session: a reload stays on the sign-in form.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#login-view').waitFor();
  assert.equal(await page.locator('#settings-view').isVisible(), false);
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not left in the form');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.token')), null);
  await page.reload();
  await page.locator('#login-view').waitFor();
  assert.equal(await page.locator('#settings-view').isVisible(), false);

  assert.deepEqual(errors, [], 'the page ran without errors');
  await page.close();
});

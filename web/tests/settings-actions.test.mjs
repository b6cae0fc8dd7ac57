// The settings pages' own actions in a real browser: image upload, preview
// and delete; regenerated keys shown once, with a copy button; a 412 when
// a second session saved first, reloaded without losing what was typed;
// the unsaved-changes guard; the global templates; and the confirmation
// before an allowed-address list locks the administrator out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, call, ok, launch, pageErrors } from './browser.mjs';
import { newAdmin, open, section, save, fieldError, read, png } from './settings.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const box = (page, key) => page.locator(`.setting[data-key="${key}"]`);

test('settings: logo and invite avatar upload, preview, delete; keys regenerated and shown once', async () => {
  const admin = await newAdmin('Settings Images');
  const page = await open(browser, admin, { permissions: ['clipboard-read', 'clipboard-write'] });
  const errors = pageErrors(page);

  // A logo too large is refused beside its field and nothing is stored.
  const logo = box(page, 'company.logo');
  await logo.locator('input[type="file"]').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: png(120, 40) });
  await page.waitForFunction(() => document.querySelector('.field-error[data-field="company.logo"]').textContent.trim() !== '');
  assert.match(await fieldError(page, 'company.logo'), /100/);
  assert.equal((await read(admin, 'company')).logoUrl, null, 'a refused logo is not stored');

  // A good one is stored at once and previewed from the URL the API gives.
  await logo.locator('input[type="file"]').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(40, 30) });
  await logo.locator('img.uploaded').waitFor();
  await page.waitForFunction(() => document.querySelector('.setting[data-key="company.logo"] img').naturalWidth === 40);
  const company = await read(admin, 'company');
  assert.equal(await logo.locator('img.uploaded').getAttribute('src'), company.logoUrl);
  assert.equal(await fieldError(page, 'company.logo'), '');
  await page.screenshot({ path: join(env.artifacts, 'settings-company-logo.png'), fullPage: true });
  // The form's ETag follows the upload: saving the form next is no 412.
  await box(page, 'company.name').locator('input').fill('Images Ltd');
  assert.equal(await save(page, 'company'), 'Saved.');
  await logo.getByRole('button', { name: 'Delete' }).click();
  await logo.locator('.none').waitFor();
  assert.equal((await read(admin, 'company')).logoUrl, null, 'the logo is deleted');

  // The invitation's avatar: uploaded, then back to the default.
  await section(page, 'leads');
  const avatar = box(page, 'leads.inviteAvatar');
  assert.equal((await avatar.locator('.none').textContent()).trim(), 'The default avatar is shown.');
  await avatar.locator('input[type="file"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(64, 64, [20, 120, 200]) });
  await avatar.locator('img.uploaded').waitFor();
  assert.equal(await avatar.locator('img.uploaded').getAttribute('src'), (await read(admin, 'leads')).inviteAvatarUrl);
  await page.screenshot({ path: join(env.artifacts, 'settings-leads-en.png'), fullPage: true });
  await avatar.getByRole('button', { name: 'Reset to the default' }).click();
  await avatar.locator('.none').waitFor();
  assert.equal((await read(admin, 'leads')).inviteAvatarUrl, null);

  // The private key: regenerated after a confirmation, shown once in clear
  // with a copy button, masked everywhere else.
  await section(page, 'integration');
  const keys = [['integration.privateKey', 'privateKey'], ['integration.vk.secretKey', 'secretKey'], ['integration.webhooks.signingSecret', 'signingSecret']];
  for (const [key, group] of keys) {
    const b = box(page, key);
    page.once('dialog', (d) => d.accept());
    await b.getByRole('button', { name: 'Regenerate' }).click();
    await b.locator('.new-secret code.secret').waitFor();
    const secret = (await b.locator('.new-secret code.secret').textContent()).trim();
    assert.match(secret, group === 'signingSecret' ? /^whsec_[A-Za-z0-9+/]{43}=$/ : /^[0-9a-f]{48}$/, `${group}: the new key in clear`);
    const integration = await read(admin, 'integration');
    const shown = { privateKey: integration.privateKey, secretKey: integration.vk.secretKey, signingSecret: integration.webhooks.signingSecret }[group];
    assert.equal(shown, '••••' + secret.slice(-4), 'the API reads it masked');
    assert.equal((await b.locator('code.masked').textContent()).trim(), shown);
    await b.getByRole('button', { name: 'Copy' }).click();
    await b.locator('.copied', { hasText: 'Copied.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, 'the copy button copies the key');
  }
  await page.screenshot({ path: join(env.artifacts, 'settings-integration-regenerated.png'), fullPage: true });
  // Shown once: a reload shows it masked only.
  const privateShown = await box(page, 'integration.privateKey').locator('.new-secret code.secret').textContent();
  // The address keeps the section: a reload opens it again.
  await page.reload();
  await page.locator('#integration-form[data-loaded="true"]').waitFor();
  assert.equal(await page.locator('.new-secret:not([hidden])').count(), 0);
  assert.equal((await page.locator('body').textContent()).includes(privateShown.trim()), false, 'the key is not on the page any more');

  // Dismissing the confirmation regenerates nothing.
  const before = (await read(admin, 'integration')).privateKey;
  page.once('dialog', (d) => d.dismiss());
  await box(page, 'integration.privateKey').getByRole('button', { name: 'Regenerate' }).click();
  assert.equal((await read(admin, 'integration')).privateKey, before);

  assert.deepEqual(errors, [], 'the page ran without errors');
  await page.context().close();
});

test('settings: a 412 from a second session keeps what was typed; the unsaved-changes guard; secrets replaced and removed', async () => {
  const admin = await newAdmin('Settings Conflict');
  await ok(call('PATCH', '/v1/settings/company', { name: 'Conflict Ltd' }, admin.token));
  const a = await open(browser, admin);
  const b = await open(browser, admin);
  const errors = pageErrors(a);

  // Both sessions read the company; b saves first.
  await a.reload();
  await a.locator('#company-form[data-loaded="true"]').waitFor();
  await box(b, 'company.name').locator('input').fill('Renamed by B');
  assert.equal(await save(b, 'company'), 'Saved.');
  await box(a, 'company.website').locator('input').fill('https://typed-by-a.example');
  assert.equal(await save(a, 'company'), 'Not saved.');
  await a.locator('#company-form .conflict:not([hidden])').waitFor();
  assert.match(await a.locator('#company-form .conflict').textContent(), /Another administrator saved this section/);
  assert.deepEqual([(await read(admin, 'company')).name, (await read(admin, 'company')).website], ['Renamed by B', ''], 'nothing of a was saved');
  await a.screenshot({ path: join(env.artifacts, 'settings-conflict.png'), fullPage: true });
  // Reloading takes b's name and keeps a's website as typed.
  await a.getByRole('button', { name: 'Reload, keeping what I typed' }).click();
  await a.locator('#company-form .conflict[hidden]').waitFor({ state: 'attached' });
  assert.equal(await box(a, 'company.name').locator('input').inputValue(), 'Renamed by B');
  assert.equal(await box(a, 'company.website').locator('input').inputValue(), 'https://typed-by-a.example');
  assert.equal(await save(a, 'company'), 'Saved.');
  const company = await read(admin, 'company');
  assert.deepEqual([company.name, company.website], ['Renamed by B', 'https://typed-by-a.example']);
  await b.context().close();

  // Leaving a page with changes asks; staying keeps them.
  await box(a, 'company.website').locator('input').fill('https://not-saved.example');
  let asked = null;
  a.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await a.locator('#settings-nav button[data-section="emails"]').click();
  await a.waitForFunction(() => true);
  assert.match(asked || '', /not saved/);
  assert.equal(await a.locator('#company-form').count(), 1, 'still on the company page');
  assert.equal(await box(a, 'company.website').locator('input').inputValue(), 'https://not-saved.example');
  // The console's own menu asks too.
  asked = null;
  a.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await a.getByRole('button', { name: 'People', exact: true }).click();
  assert.match(asked || '', /not saved/);
  assert.equal(await a.locator('#settings-view').isVisible(), true);
  // Leaving without saving changes nothing on the server.
  a.once('dialog', (d) => d.accept());
  await section(a, 'emails');
  assert.equal((await read(admin, 'company')).website, 'https://typed-by-a.example');

  // A secret is replaced through an empty field, never shown, and removed.
  await section(a, 'integration');
  const token = box(a, 'integration.telegram.botToken');
  assert.equal((await token.locator('code.masked').textContent()).trim(), 'not set');
  await token.getByRole('button', { name: 'Replace' }).click();
  assert.equal(await token.locator('input[type="password"]').inputValue(), '', 'the field starts empty');
  await token.locator('input[type="password"]').fill('12345:short');
  assert.equal(await save(a, 'integration'), 'Not saved. Some values are not valid.');
  assert.notEqual(await fieldError(a, 'integration.telegram.botToken'), '');
  assert.equal((await read(admin, 'integration')).telegram.botToken, '');
  const good = '987654321:' + 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsXyZ';
  await token.locator('input[type="password"]').fill(good);
  assert.equal(await save(a, 'integration'), 'Saved.');
  assert.equal((await token.locator('code.masked').textContent()).trim(), '••••sXyZ');
  assert.equal((await read(admin, 'integration')).telegram.botToken, '••••sXyZ');
  await token.getByRole('button', { name: 'Remove' }).click();
  assert.equal((await token.textContent()).includes('It will be removed when you save.'), true);
  assert.equal(await save(a, 'integration'), 'Saved.');
  assert.equal((await read(admin, 'integration')).telegram.botToken, '');

  assert.deepEqual(errors, [], 'the page ran without errors');
  await a.context().close();
});

test('settings: global templates per language and section; the lockout confirmation', async () => {
  const admin = await newAdmin('Settings Templates');
  const page = await open(browser, admin);
  const errors = pageErrors(page);
  await section(page, 'templates');

  // A template without text is refused beside the field.
  const add = page.locator('form.template-form[data-template="new"]');
  await add.getByLabel('Title (optional)').fill('Hello');
  await add.getByRole('button', { name: 'Add the template' }).click();
  await page.waitForFunction(() => document.querySelector('form[data-template="new"] .field-error[data-field="text"]').textContent.trim() !== '');
  assert.equal((await ok(call('GET', '/v1/templates?level=global', undefined, admin.token))).items.length, 0);
  // Two English templates in two sections.
  for (const [title, text, sec] of [['Hello', 'Hello! How can I help?', 'Greetings'], ['', 'We ship in 3 days.', 'Delivery']]) {
    await add.getByLabel('Title (optional)').fill(title);
    await add.getByLabel('Text').fill(text);
    await add.getByLabel('Section (optional)').fill(sec);
    await add.getByRole('button', { name: 'Add the template' }).click();
    await page.locator('.template-row', { hasText: text }).waitFor();
  }
  assert.deepEqual(await page.locator('.template-section h4').allTextContents(), ['Delivery', 'Greetings']);
  // Edited in place.
  const id = await page.locator('li.template', { hasText: 'We ship in 3 days.' }).getAttribute('data-id');
  const row = page.locator(`li.template[data-id="${id}"]`);
  await row.getByRole('button', { name: 'Edit' }).click();
  await row.getByLabel('Text').fill('We ship in 2 days.');
  await row.getByRole('button', { name: 'Save' }).click();
  await page.locator('.template-row', { hasText: 'We ship in 2 days.' }).waitFor();
  await page.screenshot({ path: join(env.artifacts, 'settings-templates-en.png'), fullPage: true });
  let items = (await ok(call('GET', '/v1/templates?level=global&language=en', undefined, admin.token))).items;
  assert.deepEqual(items.map((x) => [x.title, x.text, x.section]).sort(), [['', 'We ship in 2 days.', 'Delivery'], ['Hello', 'Hello! How can I help?', 'Greetings']]);
  // Someone else changes the template while it is open here: the save is
  // refused (412), and a reload keeps the text typed here to save again.
  await row.getByRole('button', { name: 'Edit' }).click();
  await row.getByLabel('Text').fill('We ship tomorrow.');
  const stored = items.find((x) => x.text === 'We ship in 2 days.');
  const put = await fetch(env.httpURL + '/v1/templates/' + stored.id, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + admin.token, 'if-match': `"v${stored.version}"` },
    body: JSON.stringify({ level: 'global', language: 'en', section: 'Delivery', title: '', text: 'We ship in 1 day.' }) });
  assert.equal(put.status, 200);
  await row.getByRole('button', { name: 'Save' }).click();
  await row.locator('.conflict:not([hidden])').waitFor();
  await row.getByRole('button', { name: 'Reload, keeping what I typed' }).click();
  await row.locator('.conflict[hidden]').waitFor({ state: 'attached' });
  assert.equal(await row.getByLabel('Text').inputValue(), 'We ship tomorrow.');
  await row.getByRole('button', { name: 'Save' }).click();
  await page.locator('.template-row', { hasText: 'We ship tomorrow.' }).waitFor();
  items = (await ok(call('GET', '/v1/templates?level=global&language=en', undefined, admin.token))).items;
  assert.ok(items.some((x) => x.text === 'We ship tomorrow.'));

  // Russian has its own set, empty so far.
  await page.locator('#templates-language').selectOption('ru');
  await page.locator('.tpl-list .hint', { hasText: 'No templates in this language yet.' }).waitFor();
  await add.getByLabel('Text').fill('Здравствуйте!');
  await add.getByRole('button', { name: 'Add the template' }).click();
  await page.locator('.template-row', { hasText: 'Здравствуйте!' }).waitFor();
  assert.equal((await ok(call('GET', '/v1/templates?level=global&language=ru', undefined, admin.token))).items[0].language, 'ru');
  // Deleted after a confirmation.
  await page.locator('#templates-language').selectOption('en');
  await page.locator('.template-row', { hasText: 'Hello! How can I help?' }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.locator('li.template', { hasText: 'Hello! How can I help?' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('.template-row', { hasText: 'Hello! How can I help?' }).waitFor({ state: 'detached' });
  items = (await ok(call('GET', '/v1/templates?level=global&language=en', undefined, admin.token))).items;
  assert.deepEqual(items.map((x) => x.text), ['We ship tomorrow.']);

  // The allowed addresses: a list without this browser's address asks
  // before saving; cancelling saves nothing, confirming saves it.
  await section(page, 'security');
  const ips = box(page, 'security.allowedIps').locator('textarea');
  await ips.fill('10.0.0.1-10.0.0.9');
  assert.equal(await save(page, 'security'), 'Not saved. Some values are not valid.');
  const dialog = page.locator('#lockout-dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /lock yourself out/);
  assert.match(await dialog.locator('.why').textContent(), /127\.0\.0\.1/);
  await page.screenshot({ path: join(env.artifacts, 'settings-security-lockout.png'), fullPage: true });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await read(admin, 'security')).allowedIps, '', 'cancelled: nothing saved');
  // A list with this address needs no confirmation.
  await ips.fill('127.0.0.1, 10.0.0.1-10.0.0.9');
  assert.equal(await save(page, 'security'), 'Saved.');
  assert.equal(await dialog.isVisible(), false);
  // Confirmed: saved, and this administrator is shut out from here.
  await ips.fill('10.0.0.1-10.0.0.9');
  await save(page, 'security');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Save anyway' }).click();
  await page.locator('#security-status', { hasText: /^Saved\.$/ }).waitFor();
  assert.equal(await ips.inputValue(), '10.0.0.1-10.0.0.9');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await call('GET', '/v1/settings/security', undefined, admin.token);
    if (r.status === 403) break;
    assert.equal(r.status, 200);
    assert.equal(r.data.allowedIps, '10.0.0.1-10.0.0.9', 'the confirmed list is saved');
    assert.ok(Date.now() < deadline, 'locked out in time');
    await new Promise((res) => setTimeout(res, 300));
  }

  assert.deepEqual(errors, [], 'the page ran without errors');
  await page.context().close();
});

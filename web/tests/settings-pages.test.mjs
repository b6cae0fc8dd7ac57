// Every settings page in a real browser, in English and in Russian: each
// key of SPEC §2 has its field with its help text; a refused value is
// shown beside its field with nothing changed on the server; every key is
// then set through its field and read back through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, call, ok, launch, pageErrors } from './browser.mjs';
import { description, fieldsOf, newAdmin, open, section, save, fieldError, read } from './settings.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const box = (page, key) => page.locator(`.setting[data-key="${key}"]`);
const input = (page, key) => box(page, key).locator('input:not([type="file"]), textarea, select').first();

// One refused value per section, beside a good change: the save must
// change nothing at all.
const refused = {
  company: { good: { 'company.name': 'Half Saved Ltd' }, bad: { 'company.website': 'ftp://x' } },
  emails: { good: { 'emails.leftMessages': 'ok@example.com', 'emails.negativeReviews': 'ok@example.com' }, bad: { 'emails.dailyReports': 'not an address' } },
  classification: { good: {}, bad: { 'classification.categories': 'Sales\nsales' } },
  autoMessages: { good: { 'autoMessages.greeting': 'Half saved' }, bad: { 'autoMessages.answerTimeout': '-5' } },
  features: { good: { 'features.teleport': true }, bad: { 'features.maxChatsPerOperator': '0' } },
  integration: { good: { 'integration.vk.confirmationString': 'halfsaved' }, bad: { 'integration.crmUrlTemplate': 'https://crm.example.com/' } },
  security: { good: {}, bad: { 'security.allowedIps': '1.2.3' } },
  misc: { good: { 'misc.onlineQueueLimit': '9' }, bad: { 'misc.buttonProbability': '101' } },
};

// What each key is set to through its field, and what the API then reads.
const token = '123456789:' + 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const values = {
  company: { 'company.name': 'Acme Settings Ltd', 'company.timezone': 'Europe/Berlin', 'company.website': 'https://acme.example', 'company.language': 'en' },
  emails: { 'emails.leftMessages': ['left@example.com', 'left2@example.com'], 'emails.negativeReviews': ['reviews@example.com'], 'emails.dailyReports': ['reports@example.com'] },
  classification: { 'classification.categories': 'Sales\n Upgrades\n Refunds\nSupport', 'classification.required': true },
  autoMessages: { 'autoMessages.greeting': 'Hello from Acme', 'autoMessages.greetingByLanguage': { ru: 'Здравствуйте, это Acme', en: 'Hello from Acme, in English' }, 'autoMessages.firstResponseTimeout': 90, 'autoMessages.answerTimeout': 150, 'autoMessages.busyMessage': 'All busy, hold on', 'autoMessages.refusalTimeout': 20 },
  features: { 'features.hideOthersChats': true, 'features.hiddenProfiles': true, 'features.notifyNewVisitors': true, 'features.multilingual': true, 'features.autoAssign': true,
    'features.maxChatsPerOperator': 7, 'features.teleport': true, 'features.visitorTranscriptEmail': false, 'features.priorityPages': ['https://acme.example/pricing', 'https://acme.example/buy'] },
  integration: { 'integration.crmUrlTemplate': 'https://crm.example.com/?id={id}', 'integration.telegram.botToken': token, 'integration.vk.accessKey': 'vk1.a.accesskey42',
    'integration.vk.confirmationString': 'a1b2c3d4', 'integration.webhooks.chatStart': 'https://user:secretpw@hooks.example.com/start',
    'integration.webhooks.chatAssign': 'https://hooks.example.com/assign', 'integration.webhooks.chatClose': 'https://hooks.example.com/close',
    'integration.zendesk.subdomain': 'acme', 'integration.zendesk.login': 'agent@example.com', 'integration.zendesk.apiToken': 'zendesktoken99',
    'integration.amocrm.account': 'acme', 'integration.amocrm.email': 'amo@example.com', 'integration.amocrm.apiKey': 'amokey1234567890',
    'integration.zoho.email': 'zoho@example.com', 'integration.zoho.password': 'zoho pass 1', 'integration.zoho.authToken': 'f8c0cbfd8e69f542eb500680b0ad4e12', 'integration.zoho.leadSource': 'Parley',
    'integration.unisender.apiKey': 'oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu', 'integration.unisender.listName': 'Parley visitors' },
  security: { 'security.allowedIps': '127.0.0.1, 10.0.0.1-10.0.0.5' },
  misc: { 'misc.buttonProbability': 80, 'misc.onlineQueueLimit': 10, 'misc.offlineQueueLimit': 3 },
};
// A read of a secret shows its last four characters only.
const masked = (v) => (v.length < 12 ? '••••' : '••••' + v.slice(-4));
const readForm = {
  'integration.telegram.botToken': masked(token), 'integration.vk.accessKey': masked('vk1.a.accesskey42'), 'integration.webhooks.chatStart': 'https://user:••••@hooks.example.com/start',
  'integration.zendesk.apiToken': masked('zendesktoken99'), 'integration.amocrm.apiKey': masked('amokey1234567890'), 'integration.zoho.password': masked('zoho pass 1'),
  'integration.zoho.authToken': masked('f8c0cbfd8e69f542eb500680b0ad4e12'), 'integration.unisender.apiKey': masked('oaea9ni6znjm97a3w4fy55jwakpgdz8qgfctznsu'),
};

// type puts a value in a key's field, whatever kind of field it is.
async function type(page, key, v) {
  const f = fieldsOf(key.split('.')[0]).find((x) => x.key === key);
  if (f.type === 'bool') return input(page, key).setChecked(!!v);
  if (f.type === 'select') return input(page, key).selectOption(String(v));
  if (f.type === 'secret') {
    await box(page, key).locator('button.replace').click();
    return box(page, key).locator('input[type="password"]').fill(String(v));
  }
  if (f.type === 'languageTexts') {
    for (const [lang, text] of Object.entries(v)) await box(page, key).locator(`textarea[data-lang="${lang}"]`).fill(text);
    return;
  }
  const text = Array.isArray(v) ? v.join(f.type === 'urls' ? '\n' : ', ') : String(v);
  return input(page, key).fill(text);
}
const get = (data, key) => key.split('.').slice(1).reduce((o, p) => o?.[p], data);

test('settings: every page in both languages; refusals beside their fields; every key set and read back', async () => {
  const admin = await newAdmin('Settings Pages');
  const page = await open(browser, admin);
  const errors = pageErrors(page);

  // The menu lists the sections in the source document's order.
  assert.deepEqual(await page.locator('#settings-nav button').allTextContents(), description.map((s) => s.title.en));

  for (const s of description) {
    await section(page, s.id);
    assert.equal(await page.locator('#settings-title').textContent(), 'General settings: ' + s.title.en.toLowerCase());
    // Every described key has its field, labelled, with its help text.
    for (const f of fieldsOf(s.id)) {
      const b = box(page, f.key);
      assert.equal(await b.count(), 1, `${f.key} has a field`);
      assert.match(await b.textContent(), new RegExp(f.label.en.replace(/[().?*+[\]{}]/g, '\\$&')), `${f.key} is labelled`);
      assert.equal((await b.locator('.help').textContent()).trim(), f.help.en, `${f.key} has its help`);
    }
    if (!refused[s.id]) continue;

    // A refused value beside a good change: the message is under the bad
    // field, the good one has none, and the server keeps what it had.
    const before = await read(admin, s.id);
    for (const [k, v] of Object.entries({ ...refused[s.id].good, ...refused[s.id].bad })) await type(page, k, v);
    assert.match(await save(page, s.id), /^Not saved\./);
    for (const k of Object.keys(refused[s.id].bad)) assert.notEqual(await fieldError(page, k), '', `${k} is refused beside its field`);
    for (const k of Object.keys(refused[s.id].good)) assert.equal(await fieldError(page, k), '', `${k} has no error`);
    await page.screenshot({ path: join(env.artifacts, `settings-${s.id}-refused.png`), fullPage: true });
    assert.deepEqual(await read(admin, s.id), before, `${s.id}: a refused save changed nothing`);

    // Every key of the section set through its field, saved, read back.
    // Leaving with the refused values still typed asks first.
    const asked = new Promise((resolve) => page.once('dialog', (d) => { resolve(d.message()); d.accept(); }));
    await section(page, 'templates'); // leave the page (confirming the guard)…
    assert.match(await asked, /not saved/);
    await section(page, s.id); // …and come back to what the server has
    for (const [k, v] of Object.entries(values[s.id])) await type(page, k, v);
    if (s.id === 'classification') {
      // The tree the text will be saved as, before saving.
      assert.deepEqual(await page.locator('.tree-preview > ul > li').evaluateAll((ls) => ls.map((l) => l.firstChild.textContent)), ['Sales', 'Support']);
      assert.deepEqual(await page.locator('.tree-preview > ul > li > ul > li').allTextContents(), ['Upgrades', 'Refunds']);
    }
    assert.equal(await save(page, s.id), 'Saved.');
    assert.equal((await page.locator('.field-error').allTextContents()).join(''), '', 'no field errors after a good save');
    const got = await read(admin, s.id);
    for (const [k, v] of Object.entries(values[s.id])) assert.deepEqual(get(got, k), readForm[k] ?? v, k);
    if (s.id === 'classification') assert.deepEqual(got.categoryTree, [{ name: 'Sales', children: [{ name: 'Upgrades' }, { name: 'Refunds' }] }, { name: 'Support' }]);
    // The secrets are shown as the API reads them, never in clear.
    for (const k of Object.keys(readForm)) if (k.startsWith(s.id + '.') && !k.includes('webhooks')) {
      assert.equal((await box(page, k).locator('code.masked').textContent()).trim(), readForm[k], `${k} shown masked`);
    }
    await page.screenshot({ path: join(env.artifacts, `settings-${s.id}-en.png`), fullPage: true });
  }

  // VK's callback address is the API's, ready to copy.
  await section(page, 'integration');
  const integration = await read(admin, 'integration');
  assert.equal(await input(page, 'integration.vk.callbackUrl').inputValue(), integration.vk.callbackUrl);
  assert.equal(await page.locator('body').textContent().then((t) => t.includes(token)), false, 'the bot token is nowhere on the page');

  // The same pages in Russian, for a person whose interface is Russian.
  await ok(call('PATCH', '/v1/people/' + admin.id, { interfaceLanguage: 'ru' }, admin.token));
  await page.reload();
  await page.locator('#integration-form[data-loaded="true"]').waitFor();
  await page.locator('#settings-nav button', { hasText: 'Компания' }).waitFor();
  for (const s of description) {
    await section(page, s.id);
    assert.equal(await page.locator('#settings-title').textContent(), 'Общие настройки: ' + s.title.ru.toLowerCase());
    for (const f of fieldsOf(s.id)) assert.equal((await box(page, f.key).locator('.help').textContent()).trim(), f.help.ru, `${f.key} has its Russian help`);
    await page.screenshot({ path: join(env.artifacts, `settings-${s.id}-ru.png`), fullPage: true });
  }
  assert.equal(await page.getByRole('button', { name: 'Сохранить' }).count(), 1);
  // A refusal speaks the person's language too, beside its field.
  const misc = await read(admin, 'misc');
  await input(page, 'misc.buttonProbability').fill('101');
  assert.match(await save(page, 'misc'), /^Не сохранено\./);
  assert.match(await fieldError(page, 'misc.buttonProbability'), /[а-яё]/i);
  assert.deepEqual(await read(admin, 'misc'), misc);
  await page.screenshot({ path: join(env.artifacts, 'settings-misc-refused-ru.png'), fullPage: true });
  await input(page, 'misc.buttonProbability').fill(String(misc.buttonProbability));

  // On a 390 px phone the widest page fits without sideways scrolling.
  await page.setViewportSize({ width: 390, height: 800 });
  await section(page, 'integration');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the integration page fits 390 px');
  await page.screenshot({ path: join(env.artifacts, 'settings-integration-390.png'), fullPage: true });

  assert.deepEqual(errors, [], 'the pages ran without errors');
  await page.context().close();
});

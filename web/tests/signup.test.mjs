// Sign-up and the console's addresses in a real browser: a new company signs
// up from the sign-in page (refused fields beside their fields first), lands
// on its home checklist, finds its company name in the settings and itself
// on the notification lists; every view has its own address, the back
// button moves between views and a reload stays; /config.json is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors, call, ok } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign-up: a new company signs up, lands on its checklist, with its name in the settings', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  // Every answer of the site itself is a success: no 404 for config.json.
  const missing = [];
  page.on('response', (r) => { if (r.status() === 404 && !new URL(r.url()).pathname.startsWith('/v1/')) missing.push(r.url()); });
  await page.goto(env.httpURL + '/');
  await page.locator('#login-view').waitFor();
  await page.getByRole('link', { name: 'New to Parley? Create an account' }).click();
  await page.locator('#signup-form').waitFor();
  assert.equal(new URL(page.url()).hash, '#/signup');

  // Refused: a blank company name and a short password, beside their fields;
  // nothing is created (the address stays free, as the second try shows).
  const email = `signup-${Date.now()}@example.com`;
  const form = page.locator('#signup-form');
  await form.getByLabel('Company name').fill('   ');
  await form.getByLabel('Your e-mail').fill(email);
  await form.getByLabel('Password', { exact: true }).fill('short');
  await form.getByLabel('Repeat the password').fill('short');
  await form.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#signup-form [data-field="companyName"]:not(:empty)').waitFor();
  assert.notEqual(await form.locator('[data-field="password"]').textContent(), '');
  assert.equal(await form.locator('[data-field="email"]').textContent(), '', 'no error on a good field');
  assert.match(await page.locator('#signup-status').textContent(), /beside the fields/);
  await page.screenshot({ path: join(env.artifacts, 'signup-errors.png'), fullPage: true });

  // A repeat that differs is caught before anything is sent.
  await form.getByLabel('Company name').fill('Sila Trading');
  await form.getByLabel('Your name').fill('Sofia Founder');
  await form.getByLabel('Password', { exact: true }).fill('a long enough password');
  await form.getByLabel('Repeat the password').fill('another password');
  await form.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#signup-form [data-field="repeat"]:not(:empty)').waitFor();

  await form.getByLabel('Repeat the password').fill('a long enough password');
  await form.getByLabel('Language of the account').selectOption('en');
  await page.screenshot({ path: join(env.artifacts, 'signup.png'), fullPage: true });
  await form.getByRole('button', { name: 'Create the account' }).click();

  // Signed in at once, on the home checklist: no operator, no logo, no
  // website, no event handlers; the notification lists are not on it (the
  // founder is on them).
  await page.locator('#home-checklist[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/home');
  assert.match(await page.locator('#who').textContent(), new RegExp(email.replace(/[.+]/g, '\\$&')));
  const checks = await page.locator('#home-checklist li').evaluateAll((lis) => lis.map((li) => li.dataset.check));
  assert.deepEqual(checks, ['operator', 'logo', 'website', 'webhooks']);
  await page.screenshot({ path: join(env.artifacts, 'home-checklist.png'), fullPage: true });

  // The API agrees: the name typed is company.name, the founder is on
  // every list.
  const token = await page.evaluate(() => sessionStorage.getItem('parley.token'));
  const company = await ok(call('GET', '/v1/settings/company', undefined, token));
  assert.equal(company.name, 'Sila Trading');
  const emails = await ok(call('GET', '/v1/settings/emails', undefined, token));
  assert.deepEqual(emails, { leftMessages: [email], negativeReviews: [email], dailyReports: [email] });

  // A line leads to its page, which has its own address; the website set
  // there takes its line off the list.
  await ok(call('PATCH', '/v1/settings/company', { website: 'https://sila.example' }, token));
  await page.locator('#home-checklist li[data-check="operator"] a').click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/people');

  // History, then back twice: People, then home again, which reads afresh.
  await page.getByRole('button', { name: 'History', exact: true }).click();
  await page.locator('#history-view').waitFor();
  assert.equal(new URL(page.url()).hash, '#/history');
  await page.goBack();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/people');
  await page.goBack();
  await page.locator('#home-checklist[data-state="loaded"]').waitFor();
  assert.equal(await page.locator('#home-checklist li[data-check="website"]').count(), 0, 'the website is set now');
  await page.goForward();
  await page.locator('#people-table[data-loaded="true"]').waitFor();

  // A reload stays on the view; a deep link opens its view; an unknown
  // route lands on home.
  await page.getByRole('button', { name: 'My profile', exact: true }).click();
  await page.locator('#profile-view[data-state="loaded"]').waitFor();
  await page.reload();
  await page.locator('#profile-view[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/profile');
  await page.goto(env.httpURL + '/#/offline');
  await page.locator('#offline-view').waitFor();
  await page.goto(env.httpURL + '/#/no-such-page');
  await page.locator('#home-checklist[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/home');

  // Signed out, a deep link asks for the sign-in and then opens.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#login-view').waitFor();
  await page.goto(env.httpURL + '/#/people');
  await page.locator('#login-view').waitFor();
  await page.locator('#login-form input[name="email"]').fill(email);
  await page.locator('#login-form input[name="password"]').fill('a long enough password');
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/people');

  // The same address again is refused as taken, beside the e-mail.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(env.httpURL + '/#/signup');
  await form.getByLabel('Company name').fill('Sila Again');
  await form.getByLabel('Your e-mail').fill(email);
  await form.getByLabel('Password', { exact: true }).fill('a long enough password');
  await form.getByLabel('Repeat the password').fill('a long enough password');
  await form.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#signup-form [data-field="email"]:not(:empty)').waitFor();

  const config = await (await fetch(env.httpURL + '/config.json')).json();
  assert.equal(config.websocketUrl, env.webSocketURL);
  assert.deepEqual(missing, [], 'the site answered every request of its own');
  assert.deepEqual(errors, [], 'the page ran without errors');
  await context.close();
});

test('field errors come in the person\'s interface language, not the account\'s', async () => {
  // An English account whose administrator reads the console in Russian.
  const email = `signup-ru-${Date.now()}@example.com`;
  const r = await ok(call('POST', '/v1/accounts', { companyName: 'English Ltd', email, password: 'a long enough password', language: 'en' }), 201);
  await ok(call('PATCH', '/v1/people/' + r.user.id, { interfaceLanguage: 'ru' }, r.token));
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/#/departments');
  await page.locator('#login-form input[name="email"]').fill(email);
  await page.locator('#login-form input[name="password"]').fill('a long enough password');
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#departments-list[data-state="loaded"]').waitFor();
  await page.locator('html[lang="ru"]').waitFor();
  await page.getByRole('button', { name: 'Создать отдел' }).click();
  const error = page.locator('#department-create [data-field="name"]');
  await page.locator('#department-create [data-field="name"]:not(:empty)').waitFor();
  assert.equal(await error.textContent(), 'должно быть от 1 до 100 символов');
  await page.screenshot({ path: join(env.artifacts, 'errors-ru.png'), fullPage: true });

  // Signed out, the sign-up page speaks the browser's last language.
  await page.getByRole('button', { name: 'Выйти' }).click();
  await page.getByRole('link', { name: 'Впервые в Parley? Создайте аккаунт' }).click();
  await page.getByRole('button', { name: 'Создать аккаунт' }).click();
  await page.locator('#signup-form [data-field="password"]:not(:empty)').waitFor();
  assert.equal(await page.locator('#signup-form [data-field="password"]').textContent(), 'должно быть не короче 10 символов');
  assert.deepEqual(errors, [], 'the page ran without errors');
  await context.close();
});

// People in a real browser: an administrator invites an operator, the
// invitation mail's link sets the operator's password, the operator signs
// in and sees no administrator's controls; and a forgotten password is
// reset through the mailed link. The mails are read from the local SES.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, mailsTo, pageErrors } from './browser.mjs';

let browser;
// An account of this file's own: the other browser tests change the shared
// account's settings (its language among them, which the mails follow).
const admin = { email: `people-admin-${Date.now()}@example.com`, password: 'people admin password 1' };

before(async () => {
  browser = await launch();
  const r = await fetch(env.httpURL + '/v1/accounts', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ companyName: 'People Ltd', email: admin.email, password: admin.password, plan: 'basic', language: 'en' }),
  });
  assert.equal(r.status, 201, await r.text());
});
after(async () => { await browser?.close(); });

// mailLink waits for the newest mail to `to` whose subject matches and
// returns the set-password link in it. The stream consumer sends mail a
// moment after the request that queued it.
async function mailLink(to, subject) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mail = (await mailsTo(to, subject)).pop();
    if (mail) {
      const link = /(https?:\/\/\S+#set-password=\S+)/.exec(mail.body.text);
      assert.ok(link, `a set-password link in: ${mail.body.text}`);
      return link[1];
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function newPage() {
  // A context of its own per person: its own sessionStorage.
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { page, errors: pageErrors(page), close: () => context.close() };
}

// signIn signs in and waits for the page the person lands on: the
// home checklist for administrators, the workplace for everyone else.
async function signIn(page, email, password, landing = '#home-view') {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(landing).waitFor();
}

async function openPeople(page) {
  await page.getByRole('button', { name: 'People', exact: true }).click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
}

// setPassword opens a mailed link and sets the password through it,
// landing on the sign-in form.
async function setPassword(page, link, password) {
  await page.goto(link);
  await page.locator('#set-password-view').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the secret is taken out of the address bar');
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat it').fill(password);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.locator('#login-status', { hasText: 'Your password is set' }).waitFor();
}

test('people: invite an operator, who sets a password and signs in without admin controls', async () => {
  const operator = { email: `people-op-${Date.now()}@example.com`, name: 'Olga Operator', password: 'operator password 1' };
  const a = await newPage();
  await a.page.goto(env.httpURL + '/');
  await signIn(a.page, admin.email, admin.password);

  // An expired or otherwise refused access token is renewed with the
  // refresh token, without signing the administrator out.
  await a.page.evaluate(() => sessionStorage.setItem('parley.token', 'no longer valid'));
  await openPeople(a.page);
  assert.notEqual(await a.page.evaluate(() => sessionStorage.getItem('parley.token')), 'no longer valid');
  assert.equal(await a.page.locator(`tr[data-email="${admin.email}"]`).count(), 1, 'the administrator is listed');

  // A bad e-mail is refused beside its field.
  const invite = a.page.locator('#invite-form');
  await invite.getByLabel('E-mail').fill('not-an-address');
  await invite.getByRole('button', { name: 'Send the invitation' }).click();
  await a.page.waitForFunction(() => document.querySelector('#invite-form [data-field="email"]').textContent.trim() !== '');

  await invite.getByLabel('E-mail').fill(operator.email);
  await invite.getByLabel('Name').fill(operator.name);
  await invite.getByLabel('Role').selectOption('operator');
  await invite.getByRole('button', { name: 'Send the invitation' }).click();
  await a.page.locator('#invite-status', { hasText: 'on its way' }).waitFor();
  assert.equal(await a.page.locator('#invite-form [data-field="email"]').textContent(), '', 'the field error is gone');
  const row = a.page.locator(`tr[data-email="${operator.email}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /invited/);
  await a.page.screenshot({ path: join(env.artifacts, 'people-admin.png'), fullPage: true });

  // The mail links to the console, where the invitee sets a password.
  const link = await mailLink(operator.email, /invited/i);
  assert.ok(link.startsWith(env.httpURL + '/#set-password='), `the link ${link} opens the local console`);
  const o = await newPage();
  await o.page.goto(link);
  await o.page.locator('#set-password-view').waitFor();
  await o.page.getByLabel('New password').fill('short');
  await o.page.getByLabel('Repeat it').fill('short');
  await o.page.getByRole('button', { name: 'Set the password' }).click();
  await o.page.waitForFunction(() => document.querySelector('#set-password-form [data-field="password"]').textContent.trim() !== '');
  await setPassword(o.page, link, operator.password);
  assert.equal(await o.page.getByLabel('E-mail').inputValue(), operator.email, 'the e-mail is filled in');

  // The link worked once.
  await o.page.goto(link);
  await o.page.locator('#set-password-view').waitFor();
  await o.page.getByLabel('New password').fill('another password 1');
  await o.page.getByLabel('Repeat it').fill('another password 1');
  await o.page.getByRole('button', { name: 'Set the password' }).click();
  await o.page.waitForFunction(() => document.querySelector('#set-password-form [data-field="token"]').textContent.trim() !== '');

  // The operator signs in to the workplace, reads the settings and People
  // without any control to change them.
  await o.page.getByRole('link', { name: 'Back to sign-in' }).click();
  await signIn(o.page, operator.email, operator.password, '#workplace-view');
  assert.match(await o.page.locator('#who').textContent(), /\(operator\)/);
  await o.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await o.page.locator('#company-form[data-loaded="true"]').waitFor();
  assert.equal(await o.page.getByLabel('Company name').isDisabled(), true, 'operators read the settings');
  await openPeople(o.page);
  assert.equal(await o.page.locator('#invite-form').count(), 0, 'no invitation form');
  assert.equal(await o.page.getByRole('button', { name: 'Remove' }).count(), 0, 'no Remove buttons');
  assert.equal(await o.page.locator('#people-table select').count(), 0, 'no role menus');
  await o.page.screenshot({ path: join(env.artifacts, 'people-operator.png'), fullPage: true });
  // Signing out closes the workplace's socket before the operator is
  // changed and removed below.
  await o.page.getByRole('button', { name: 'Sign out' }).click();
  await o.page.locator('#login-view').waitFor();

  // The administrator makes the operator a supervisor, then removes them.
  await a.page.getByLabel('Role of ' + operator.email).selectOption('supervisor');
  await a.page.locator('#people-status', { hasText: 'is now supervisor' }).waitFor();
  a.page.once('dialog', (d) => d.accept());
  await a.page.getByRole('button', { name: 'Remove ' + operator.email }).click();
  await a.page.locator('#people-status', { hasText: 'was removed' }).waitFor();
  assert.equal(await row.count(), 0);
  await openPeople(a.page);
  assert.equal(await a.page.locator(`tr[data-email="${operator.email}"]`).count(), 0, 'gone after a reload too');

  // The last administrator cannot stop being one: the refusal is shown.
  await a.page.getByLabel('Role of ' + admin.email).selectOption('operator');
  await a.page.locator('#people-status.error').waitFor();
  assert.equal(await a.page.getByLabel('Role of ' + admin.email).inputValue(), 'administrator');

  assert.deepEqual(a.errors, [], 'the administrator\'s page ran without errors');
  assert.deepEqual(o.errors, [], 'the operator\'s page ran without errors');
  await a.close();
  await o.close();
});

test('people: a forgotten password is reset through the mailed link', async () => {
  const newPassword = 'a brand new password 2';
  const p = await newPage();
  await p.page.goto(env.httpURL + '/');
  await p.page.getByLabel('E-mail').fill(admin.email);
  await p.page.getByRole('link', { name: 'Forgot your password?' }).click();
  await p.page.locator('#forgot-view').waitFor();
  const forgot = p.page.locator('#forgot-view');
  assert.equal(await forgot.getByLabel('E-mail').inputValue(), admin.email, 'the e-mail typed at sign-in is kept');
  await p.page.getByRole('button', { name: 'Send the link' }).click();
  await p.page.locator('#forgot-status', { hasText: 'on its way' }).waitFor();

  const link = await mailLink(admin.email, /reset/i);
  assert.ok(link.startsWith(env.httpURL + '/#set-password='), `the link ${link} opens the local console`);
  await setPassword(p.page, link, newPassword);

  // The old password no longer works; the new one does.
  await p.page.getByLabel('Password').fill(admin.password);
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.waitForFunction(() => document.querySelector('#login-error').textContent.trim() !== '');
  await signIn(p.page, admin.email, newPassword);
  await p.page.locator('#home-checklist[data-state="loaded"]').waitFor();

  assert.deepEqual(p.errors, [], 'the page ran without errors');
  await p.close();
});

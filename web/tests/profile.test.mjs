// My profile and the workplace's alerts in a real browser. An account of
// this file's own with new-visitor notices on; an operator invited through
// the API, their password set through the mailed link. The operator works
// only through the console, and what it saves is checked against the API.
// Desktop notifications are granted through the browser context and
// recorded by a stand-in for window.Notification put in the page before
// its scripts run; the sounds are counted on the page's AudioContext.
// Visitors are raw WebSocket clients on a page of their own, as in the
// workplace's tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, env, launch, linkSecret, mailsTo, ok, pageErrors, signIn } from './browser.mjs';

const stamp = Date.now();
const admin = { email: `profile-admin-${stamp}@example.com`, password: 'profile admin password' };
const operator = { email: `profile-op-${stamp}@example.com`, name: 'Paula Profile', password: 'profile operator password' };
const title = 'Parley console';
// A 1x1 PNG, and bytes that only claim to be one.
const goodPNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const notPNG = Buffer.from('this is not an image at all');

let browser;
let accountId;
let adminToken;

const person = () => ok(call('GET', '/v1/people/' + operator.id, undefined, adminToken));

before(async () => {
  browser = await launch();
  const signUp = await ok(call('POST', '/v1/accounts', { companyName: 'Profile Ltd', email: admin.email, password: admin.password, plan: 'basic', language: 'en' }), 201);
  accountId = signUp.account.id;
  adminToken = signUp.token;
  admin.id = signUp.user.id;
  await ok(call('PATCH', '/v1/settings/features', { notifyNewVisitors: true }, adminToken));
  const p = await ok(call('POST', '/v1/people', { email: operator.email, name: operator.name, role: 'operator', interfaceLanguage: 'en' }, adminToken), 201);
  operator.id = p.id;
  await ok(call('POST', '/v1/auth/password', { token: await linkSecret(operator.email), password: operator.password }));
});

after(async () => { await browser?.close(); });

// alertStub runs in the page before its scripts. Notification records what
// the page shows instead of showing it; its permission is the browser's
// (mode "browser": what the context granted) or its own, "default" until
// asked and granted when asked (mode "ask"). Every sound the page makes
// starts an oscillator: they are counted.
function alertStub(mode) {
  const Native = window.Notification;
  let own = 'default';
  window.notes = [];
  window.permissionAsks = 0;
  window.beeps = 0;
  window.Notification = class {
    static get permission() { return mode === 'browser' ? Native.permission : own; }
    static requestPermission() {
      window.permissionAsks++;
      if (mode === 'browser') return Native.requestPermission();
      own = 'granted';
      return Promise.resolve(own);
    }
    constructor(title, options = {}) {
      Object.assign(this, { title, body: options.body || '', tag: options.tag || '', closed: false });
      window.notes.push(this);
    }
    close() { this.closed = true; }
  };
  const NativeAudio = window.AudioContext;
  if (NativeAudio) {
    window.AudioContext = class extends NativeAudio {
      createOscillator() { window.beeps++; return super.createOscillator(); }
    };
  }
}

// staffPage signs a person in through the console in a context of its own.
async function staffPage(who, { alerts, grant } = {}) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 950 } });
  if (grant) await context.grantPermissions(['notifications'], { origin: env.httpURL });
  if (alerts) await context.addInitScript(alertStub, alerts);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, who);
  await page.locator('#logout:not([hidden])').waitFor();
  return { page, errors, close: () => context.close() };
}

async function openProfile(page) {
  await page.locator('#nav-me button[data-view="profile-view"]').click();
  await page.locator('#profile-view[data-state="loaded"]').waitFor();
}

// visitor opens a raw visitor socket on a page of its own, with the token
// of the widget config.
async function visitor() {
  const config = await ok(call('GET', `/v1/widget/${accountId}/config`));
  assert.equal(config.button, 'online', 'an operator is online');
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.evaluate((url) => new Promise((resolve, reject) => {
    window.frames_ = [];
    window.visitor = new WebSocket(url);
    window.visitor.onmessage = (ev) => window.frames_.push(JSON.parse(ev.data));
    window.visitor.onopen = resolve;
    window.visitor.onerror = () => reject(new Error('the visitor socket did not open'));
  }), `${config.websocketUrl}?visitorToken=${encodeURIComponent(config.visitorToken)}`);
  const v = {
    id: config.visitorId,
    send: (frame) => page.evaluate((f) => window.visitor.send(JSON.stringify(f)), frame),
    frame: async (want) => (await page.waitForFunction((want) => window.frames_.find((f) => Object.entries(want).every(([k, x]) => f[k] === x)), want)).jsonValue(),
    close: () => context.close(),
  };
  // say sends a message and waits until it is stored.
  v.say = async (text) => {
    const clientId = 'v-' + Math.random().toString(36).slice(2);
    await v.send({ action: 'sendMessage', clientId, text, language: 'en' });
    return v.frame({ type: 'sent', clientId });
  };
  return v;
}

const texts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));
const notes = (page) => page.evaluate(() => window.notes.map((n) => ({ title: n.title, body: n.body, tag: n.tag, closed: n.closed })));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('profile: an operator changes their name, languages, photo and the console\'s language; bad values are refused beside their fields', async () => {
  const { page, errors, close } = await staffPage(operator);
  await page.locator('#workplace-view').waitFor();
  await openProfile(page);
  assert.equal(await page.locator('#nav-me button').getAttribute('aria-current'), 'true');
  assert.deepEqual(await texts(page.locator('#nav button')), ['Workplace', 'Settings', 'People'], 'the main menu is as it was');
  assert.equal(await page.locator('#profile-view h2').textContent(), 'My profile');
  assert.equal(await page.locator('#profile-role').textContent(), 'Role: operator');

  // What the API has: the name, the e-mail (which only an administrator
  // may change: read-only here), the account's language spoken.
  const form = page.locator('#profile-form');
  assert.equal(await form.getByLabel('Name').inputValue(), operator.name);
  assert.equal(await form.getByLabel('E-mail').inputValue(), operator.email);
  assert.equal(await form.getByLabel('E-mail').getAttribute('readonly'), '', 'an operator cannot change their e-mail');
  assert.equal(await page.getByRole('checkbox', { name: 'English' }).isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: 'Русский' }).isChecked(), false);
  assert.equal(await page.getByLabel('Interface language').inputValue(), 'en');
  assert.equal(await page.locator('#profile-locked').isVisible(), false);

  // Bad values: each refusal beside its field, and nothing saved.
  await form.getByLabel('Name').fill('   ');
  await page.getByRole('checkbox', { name: 'English' }).uncheck();
  await page.getByRole('button', { name: 'Save the profile' }).click();
  const nameError = page.locator('#profile-form .field-error[data-field="name"]');
  const langError = page.locator('#profile-form .field-error[data-field="languages"]');
  await page.waitForFunction(() => document.querySelector('#profile-form [data-field="name"]').textContent.trim() !== '');
  assert.match(await nameError.textContent(), /empty/);
  assert.match(await langError.textContent(), /at least one language/);
  assert.match(await page.locator('#profile-status').textContent(), /see the messages beside the fields/);
  const [e, i] = [await nameError.boundingBox(), await form.getByLabel('Name').boundingBox()];
  assert.ok(e.y >= i.y + i.height - 1 && e.y - (i.y + i.height) < 30, `the name's error (y=${e.y}) is under its field (ends at y=${i.y + i.height})`);
  await page.screenshot({ path: join(env.artifacts, 'profile-errors.png'), fullPage: true });
  let saved = await person();
  assert.equal(saved.name, operator.name, 'a refused save changed nothing');
  assert.deepEqual(saved.languages, ['en']);

  // Good values are saved: the API agrees, and the messages are gone.
  await form.getByLabel('Name').fill('Paula Renamed');
  await page.getByRole('checkbox', { name: 'Русский' }).check();
  await page.getByRole('checkbox', { name: 'English' }).check();
  await page.getByRole('button', { name: 'Save the profile' }).click();
  await page.locator('#profile-status', { hasText: 'Saved.' }).waitFor();
  assert.equal(await nameError.textContent(), '');
  assert.equal(await langError.textContent(), '');
  saved = await person();
  assert.equal(saved.name, 'Paula Renamed');
  assert.deepEqual(saved.languages.slice().sort(), ['en', 'ru']);

  // A photo: what is not an image is refused beside the field; a good
  // one is shown and stored; it can be removed.
  const file = page.getByLabel('Photo', { exact: true });
  await file.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: notPNG });
  await page.waitForFunction(() => document.querySelector('#photo-form [data-field="photo"]').textContent.trim() !== '');
  assert.equal((await person()).photoUrl, null);
  await file.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: goodPNG });
  await page.locator('#photo-status', { hasText: 'The photo is saved.' }).waitFor();
  assert.equal(await page.locator('#photo-form [data-field="photo"]').textContent(), '');
  saved = await person();
  assert.ok(saved.photoUrl, 'the API has the photo');
  assert.equal(await page.locator('#profile-photo').getAttribute('src'), saved.photoUrl);
  await page.waitForFunction(() => document.querySelector('#profile-photo').naturalWidth === 1);
  await page.getByRole('button', { name: 'Remove the photo' }).click();
  await page.locator('#photo-status', { hasText: 'The photo is removed.' }).waitFor();
  assert.equal(await page.locator('#profile-no-photo').isVisible(), true);
  assert.equal((await person()).photoUrl, null);

  // The interface language: the console switches at once, everywhere,
  // and the API keeps it, so a reload speaks it too.
  await page.getByLabel('Interface language').selectOption('ru');
  await page.locator('#interface-status', { hasText: 'Язык интерфейса сохранён.' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
  assert.equal(await page.locator('#profile-view h2').textContent(), 'Мой профиль');
  assert.equal(await page.locator('#profile-role').textContent(), 'Роль: оператор');
  assert.deepEqual(await texts(page.locator('#nav button')), ['Рабочее место', 'Настройки', 'Сотрудники']);
  assert.equal(await page.locator('#nav-me button').textContent(), 'Мой профиль');
  assert.equal((await person()).interfaceLanguage, 'ru');
  await page.screenshot({ path: join(env.artifacts, 'profile-ru.png'), fullPage: true });
  await page.reload();
  await page.locator('#profile-view[data-state="loaded"]').waitFor();
  await page.locator('#profile-view h2', { hasText: 'Мой профиль' }).waitFor();
  assert.equal(await page.getByLabel('Язык интерфейса').inputValue(), 'ru');
  await page.getByRole('button', { name: 'Рабочее место' }).click();
  await page.locator('#workplace-view h2', { hasText: 'Рабочее место' }).waitFor();
  await openProfile(page);
  await page.getByLabel('Язык интерфейса').selectOption('en');
  await page.locator('#interface-status', { hasText: 'The interface language is saved.' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.deepEqual(await texts(page.locator('#nav button')), ['Workplace', 'Settings', 'People']);
  assert.equal((await person()).interfaceLanguage, 'en');

  // Whoever has forgotten their current password is mailed a reset link.
  await page.getByRole('button', { name: 'Send me a link to set a new password' }).click();
  await page.locator('#profile-reset-status', { hasText: `on its way to ${operator.email}` }).waitFor();
  for (let n = 0; (await mailsTo(operator.email, /reset/i)).length === 0; n++) {
    assert.ok(n < 120, 'a reset mail reaches the operator');
    await sleep(250);
  }
  await page.screenshot({ path: join(env.artifacts, 'profile.png'), fullPage: true });

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('notifications: a new chat and a visitor\'s messages are notified with their text, counted in the title until seen, and can be switched off', async () => {
  const { page, errors, close } = await staffPage(operator, { alerts: 'browser', grant: true });
  await page.locator('#ws-status[data-state="open"]').waitFor();
  // Granted already: no button to ask, the switches on.
  assert.equal(await page.locator('#notify-enable').isVisible(), false);
  assert.equal(await page.getByLabel('Desktop notifications').isChecked(), true);
  assert.equal(await page.getByLabel('Sound').isChecked(), true);
  assert.equal(await page.evaluate(() => window.permissionAsks), 0, 'nothing is asked on load');
  assert.equal(await page.title(), title);

  // A visitor arrives (notifyNewVisitors) and starts a chat: one
  // notification for the chat, with the visitor's text; a sound; the title counts it.
  const a = await visitor();
  await a.send({ action: 'hello', page: 'https://shop.example/pricing' });
  await a.frame({ type: 'state' });
  await page.waitForFunction(() => window.notes.some((n) => n.tag === 'parley-visitor'));
  const visitorNote = (await notes(page)).find((n) => n.tag === 'parley-visitor');
  assert.equal(visitorNote.title, 'A new visitor on the site');
  assert.equal(visitorNote.body, 'https://shop.example/pricing');
  const { chatId } = await a.say('I need help with my order');
  const tag = 'parley-chat-' + chatId;
  await page.waitForFunction((tag) => window.notes.some((n) => n.tag === tag), tag);
  await sleep(1000); // a second notification for the same start would come by now
  let mine = (await notes(page)).filter((n) => n.tag === tag);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.match(mine[0].title, /^New chat: Visitor /);
  assert.equal(mine[0].body, 'I need help with my order');
  assert.ok(await page.evaluate(() => window.beeps) > 0, 'a sound was played');
  await page.waitForFunction((t) => document.title === '(1) ' + t, title);

  // The visitor writes again while the person is on another page.
  await openProfile(page);
  await a.say('Is anyone there?');
  await page.waitForFunction((tag) => window.notes.filter((n) => n.tag === tag).length === 2, tag);
  mine = (await notes(page)).filter((n) => n.tag === tag);
  assert.match(mine[1].title, /^Visitor /);
  assert.equal(mine[1].body, 'Is anyone there?');
  await page.waitForFunction((t) => document.title === '(2) ' + t, title);

  // A click on the notification brings the workplace with the chat open:
  // seen, the count goes.
  await page.evaluate((tag) => window.notes.filter((n) => n.tag === tag).pop().onclick(new Event('click')), tag);
  await page.locator(`#chat-view[data-chat="${chatId}"]`).waitFor();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Is anyone there?' }).waitFor();
  await page.waitForFunction((t) => document.title === t, title);
  assert.equal(await page.locator('#nav button[data-view="workplace-view"]').getAttribute('aria-current'), 'true');

  // While the person looks at the chat, a message there alerts nobody.
  await a.say('Hello?');
  await page.locator('#transcript li.msg.visitor', { hasText: 'Hello?' }).waitFor();
  await sleep(600);
  assert.equal((await notes(page)).filter((n) => n.tag === tag).length, 2);
  assert.equal(await page.title(), title);

  // The tab hidden, the same chat open: notified and counted, until the tab shows again.
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await a.say('Anybody?');
  await page.waitForFunction((tag) => window.notes.filter((n) => n.tag === tag).length === 3, tag);
  assert.equal((await notes(page)).filter((n) => n.tag === tag)[2].body, 'Anybody?');
  await page.waitForFunction((t) => document.title === '(1) ' + t, title);
  await page.evaluate(() => {
    delete document.hidden;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForFunction((t) => document.title === t, title);
  assert.equal(await page.locator(`#list-waiting li[data-chat="${chatId}"] .badge.unread`).count(), 0, 'no "new" mark on the chat looked at');
  await page.screenshot({ path: join(env.artifacts, 'notifications.png'), fullPage: true });

  // Switched off, sound and notifications stop (the title still counts);
  // the choice is kept in this browser, for this person.
  await page.getByLabel('Desktop notifications').uncheck();
  await page.getByLabel('Sound').uncheck();
  const shown = (await notes(page)).length;
  const beeps = await page.evaluate(() => window.beeps);
  const b = await visitor();
  await b.send({ action: 'hello' });
  const { chatId: second } = await b.say('Second visitor here');
  await page.locator(`#list-waiting li[data-chat="${second}"]`).waitFor();
  await page.waitForFunction((t) => document.title === '(1) ' + t, title);
  await sleep(1000);
  assert.equal((await notes(page)).length, shown, 'no notification while switched off');
  assert.equal(await page.evaluate(() => window.beeps), beeps, 'no sound while switched off');
  await page.reload();
  await page.locator('#ws-status[data-state="open"]').waitFor();
  assert.equal(await page.getByLabel('Desktop notifications').isChecked(), false, 'kept after a reload');
  assert.equal(await page.getByLabel('Sound').isChecked(), false, 'kept after a reload');

  // Notifications on again (sound still off): the next message is notified.
  await page.getByLabel('Desktop notifications').check();
  await b.say('Still waiting');
  await page.waitForFunction((tag) => window.notes.some((n) => n.tag === tag && n.body === 'Still waiting'), 'parley-chat-' + second);
  await page.waitForFunction((t) => document.title === '(1) ' + t, title);
  await page.locator(`#list-waiting li[data-chat="${second}"] button`).click();
  await page.waitForFunction((t) => document.title === t, title);
  assert.equal(await page.evaluate(() => window.beeps), 0, 'no sound while switched off');

  assert.deepEqual(errors, [], 'the page ran without errors');
  await a.close();
  await b.close();
  await close();
});

test('notifications: the browser is asked for them only when the person presses Enable notifications', async () => {
  const { page, errors, close } = await staffPage(operator, { alerts: 'ask' });
  await page.locator('#ws-status[data-state="open"]').waitFor();
  const enable = page.getByRole('button', { name: 'Enable notifications' });
  await enable.waitFor();
  assert.equal(await page.evaluate(() => window.permissionAsks), 0, 'nothing is asked on load');
  assert.equal(await page.getByLabel('Desktop notifications').isVisible(), false, 'no switch before the browser allows them');
  await enable.click();
  await page.getByLabel('Desktop notifications').waitFor();
  assert.equal(await page.evaluate(() => window.permissionAsks), 1);
  assert.equal(await enable.isVisible(), false);
  assert.equal(await page.getByLabel('Desktop notifications').isChecked(), true);
  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('profile: an operator changes their own password under hidden profiles; the other sessions end, the console\'s goes on', async () => {
  // Profiles read-only: the password is still the operator's own to change.
  await ok(call('PATCH', '/v1/settings/features', { hiddenProfiles: true }, adminToken));
  const { page, errors, close } = await staffPage(operator);
  await openProfile(page);
  await page.locator('#profile-locked', { hasText: 'Profiles are read-only' }).waitFor();
  const form = page.locator('#password-form');
  const current = form.getByLabel('Current password', { exact: true });
  const next = form.getByLabel('New password', { exact: true });
  const repeat = form.getByLabel('Repeat the new password', { exact: true });
  const submit = form.getByRole('button', { name: 'Change the password' });
  assert.equal(await current.getAttribute('autocomplete'), 'current-password');
  assert.equal(await next.getAttribute('autocomplete'), 'new-password');
  assert.equal(await repeat.getAttribute('autocomplete'), 'new-password');
  assert.equal(await page.locator('#profile-form').getByLabel('Name').isDisabled(), true, 'the profile itself is read-only');
  assert.equal(await submit.isDisabled(), false, 'the password form is not');
  assert.equal(await page.getByRole('button', { name: 'Send me a link to set a new password' }).isDisabled(), false, 'the reset link stays for a forgotten password');

  const changes = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/auth/password/change')) changes.push(r.method()); });
  const fieldError = (name) => form.locator(`.field-error[data-field="${name}"]`);
  const newPassword = 'the operator\'s new password';

  // A repeat that differs is refused in the page, beside the repeat, and
  // nothing is asked of the API.
  await current.fill(operator.password);
  await next.fill(newPassword);
  await repeat.fill(newPassword + ' typo');
  await submit.click();
  await page.waitForFunction(() => document.querySelector('#password-form [data-field="repeat"]').textContent.trim() !== '');
  assert.equal(await fieldError('repeat').textContent(), 'is not the same password');
  const [e, i] = [await fieldError('repeat').boundingBox(), await repeat.boundingBox()];
  assert.ok(e.y >= i.y + i.height - 1 && e.y - (i.y + i.height) < 30, `the repeat's error (y=${e.y}) is under its field (ends at y=${i.y + i.height})`);
  await sleep(500);
  assert.deepEqual(changes, [], 'no request for a mismatched repeat');

  // A wrong current password (and a new one too short): the API's
  // messages beside their fields, and the old password still signs in.
  await current.fill('not my password at all');
  await next.fill('short');
  await repeat.fill('short');
  await submit.click();
  await page.waitForFunction(() => document.querySelector('#password-form [data-field="currentPassword"]').textContent.trim() !== '');
  assert.equal(await fieldError('currentPassword').textContent(), 'is not your current password');
  assert.match(await fieldError('newPassword').textContent(), /at least 10 characters/);
  assert.equal(await fieldError('repeat').textContent(), '', 'the repeat matched this time');
  assert.match(await page.locator('#password-status').textContent(), /see the messages beside the fields/);
  assert.deepEqual(changes, ['POST']);
  await page.screenshot({ path: join(env.artifacts, 'profile-password-errors.png'), fullPage: true });
  await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }));

  // A second session of the operator, made beforehand, works until the change.
  const other = await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }));
  await ok(call('GET', '/v1/account', undefined, other.token));

  // The right current password: said so, the fields emptied.
  await current.fill(operator.password);
  await next.fill(newPassword);
  await repeat.fill(newPassword);
  await submit.click();
  await page.locator('#password-status', { hasText: 'Your password is changed. Your other sessions are signed out' }).waitFor();
  assert.equal(await page.locator('#password-status').getAttribute('class'), 'status', 'not an error');
  for (const f of ['currentPassword', 'newPassword', 'repeat']) assert.equal(await fieldError(f).textContent(), '', f);
  for (const input of [current, next, repeat]) assert.equal(await input.inputValue(), '', 'no password is left in the form');
  assert.deepEqual(changes, ['POST', 'POST']);
  await page.screenshot({ path: join(env.artifacts, 'profile-password.png'), fullPage: true });

  // The other session ended: its access token is refused.
  assert.equal((await call('GET', '/v1/account', undefined, other.token)).status, 403);
  // The console's goes on: its token still works, and so does the page,
  // which reads the profile afresh through the API without a sign-in.
  const token = await page.evaluate(() => sessionStorage.getItem('parley.token'));
  await ok(call('GET', '/v1/account', undefined, token));
  await page.getByRole('button', { name: 'Workplace' }).click();
  await page.locator('#workplace-view').waitFor();
  await openProfile(page);
  assert.equal(await page.locator('#profile-form').getByLabel('E-mail').inputValue(), operator.email);
  assert.equal(await page.locator('#logout').isVisible(), true);
  assert.equal(await page.locator('#login-view').isVisible(), false, 'still signed in');

  // Only the new password signs in.
  assert.equal((await call('POST', '/v1/auth/login', { email: operator.email, password: operator.password })).status, 401);
  operator.password = newPassword;
  await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }));

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
  await ok(call('PATCH', '/v1/settings/features', { hiddenProfiles: false }, adminToken));
});

test('profile: under hidden profiles an operator only views theirs; an administrator changes their e-mail and signs in with it', async () => {
  await ok(call('PATCH', '/v1/settings/features', { hiddenProfiles: true }, adminToken));
  const o = await staffPage(operator);
  await openProfile(o.page);
  await o.page.locator('#profile-locked', { hasText: 'Profiles are read-only' }).waitFor();
  const form = o.page.locator('#profile-form');
  assert.equal(await form.getByLabel('Name').isDisabled(), true);
  assert.equal(await o.page.getByRole('checkbox', { name: 'English' }).isDisabled(), true);
  assert.equal(await o.page.getByRole('button', { name: 'Save the profile' }).isDisabled(), true);
  assert.equal(await o.page.getByLabel('Interface language').isDisabled(), true);
  assert.equal(await o.page.getByLabel('Photo', { exact: true }).isDisabled(), true);
  assert.equal(await o.page.getByRole('button', { name: 'Send me a link to set a new password' }).isDisabled(), false, 'the reset link is public');
  // The API refuses what the page does not offer.
  const token = (await ok(call('POST', '/v1/auth/login', { email: operator.email, password: operator.password }))).token;
  assert.equal((await call('PATCH', '/v1/people/' + operator.id, { name: 'Not allowed' }, token)).status, 403);
  await o.page.screenshot({ path: join(env.artifacts, 'profile-hidden.png'), fullPage: true });
  assert.deepEqual(o.errors, [], 'the operator\'s page ran without errors');
  await o.close();
  await ok(call('PATCH', '/v1/settings/features', { hiddenProfiles: false }, adminToken));

  // An administrator may change their e-mail, which ends their sessions.
  const a = await staffPage(admin);
  await openProfile(a.page);
  const email = a.page.locator('#profile-form').getByLabel('E-mail');
  assert.equal(await email.getAttribute('readonly'), null, 'administrators change their e-mail');
  assert.equal(await a.page.locator('#password-form').getByRole('button', { name: 'Change the password' }).isDisabled(), false, 'administrators change their password');
  await email.fill('not an address');
  await a.page.getByRole('button', { name: 'Save the profile' }).click();
  await a.page.waitForFunction(() => document.querySelector('#profile-form [data-field="email"]').textContent.trim() !== '');
  const next = `profile-admin-new-${stamp}@example.com`;
  await email.fill(next);
  await a.page.getByRole('button', { name: 'Save the profile' }).click();
  await a.page.locator('#login-status', { hasText: `Your e-mail is now ${next}` }).waitFor();
  assert.equal(await a.page.locator('#login-form input[name="email"]').inputValue(), next);
  await a.page.locator('#login-form input[name="password"]').fill(admin.password);
  await a.page.locator('#login-form button[type="submit"]').click();
  await a.page.locator('#home-view').waitFor();
  assert.match(await a.page.locator('#who').textContent(), new RegExp(next.replace(/[.+]/g, '\\$&')));
  assert.deepEqual(a.errors, [], 'the administrator\'s page ran without errors');
  await a.close();
});

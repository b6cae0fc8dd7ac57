// Timeouts and leaving in a real browser (SPEC §4.4, §4.5): with
// firstResponseTimeout at 2 s and nobody answering, the visitor on the
// widget demo page sees the busy message and the administrator's workplace
// marks the chat; the visitor then ends the chat, and it moves from the
// waiting list to the missed one, marked missed. An account of this file's
// own, so its timeouts touch no other test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, env, launch, ok, pageErrors, signIn } from './browser.mjs';

const stamp = Date.now();
const admin = { email: `timeouts-${stamp}@example.com`, password: 'timeouts admin password' };
const busy = 'All our operators are busy right now: we will answer as soon as we can.';
let browser;
let account;

before(async () => {
  browser = await launch();
  const signUp = await ok(call('POST', '/v1/accounts', { companyName: 'Timeouts Ltd', email: admin.email, password: admin.password, plan: 'basic', language: 'en' }), 201);
  account = { id: signUp.account.id, token: signUp.token };
  await ok(call('PATCH', '/v1/settings/autoMessages', { firstResponseTimeout: 2, refusalTimeout: 1, busyMessage: busy }, account.token));
});
after(async () => { await browser?.close(); });

test('timeouts: the busy message in the widget, the timeout and the missed chat in the workplace', async () => {
  // The administrator's workplace is online, so the widget offers a chat.
  const staff = await browser.newContext({ viewport: { width: 1300, height: 950 } });
  const wp = await staff.newPage();
  wp.setDefaultTimeout(30_000);
  const wpErrors = pageErrors(wp);
  await wp.goto(env.httpURL + '/');
  await signIn(wp, admin);
  await wp.locator('#nav button[data-view="workplace-view"]').click();
  await wp.locator('#ws-status[data-state="open"]').waitFor();
  await wp.locator('#list-missed h3', { hasText: 'Missed' }).waitFor();

  const site = await browser.newContext();
  const visitor = await site.newPage();
  visitor.setDefaultTimeout(30_000);
  const visitorErrors = pageErrors(visitor);
  await visitor.goto(`${env.httpURL}/widget/demo.html?account=${encodeURIComponent(account.id)}`);
  await visitor.locator('#parley-send button:enabled').waitFor({ state: 'attached' });
  if (await visitor.locator('#parley-launcher').isVisible()) await visitor.locator('#parley-launcher').click();
  await visitor.locator('#parley-text').fill('Do you ship to Norway?');
  await visitor.locator('#parley-send button').click();
  await visitor.locator('#parley-log p.visitor', { hasText: 'Do you ship to Norway?' }).waitFor();

  // The widget shows the message as it sends it; the chat is stored a
  // moment later, so the workplace's list (pushed once it is) comes first.
  await wp.locator('#list-waiting li[data-chat]').first().waitFor();
  const chatId = await wp.locator('#list-waiting li[data-chat]').first().getAttribute('data-chat');
  const waiting = await ok(call('GET', '/v1/chats?status=waiting', undefined, account.token));
  assert.deepEqual(waiting.items.map((c) => c.id), [chatId]);

  // Nobody answers: 2 s later the busy message, shown as the service's.
  await visitor.locator('#parley-log p.system', { hasText: busy }).waitFor();
  const item = wp.locator(`#list-waiting li[data-chat="${chatId}"]`);
  await item.locator('.badge.timeout', { hasText: 'waited too long' }).waitFor();

  // The visitor ends the chat unanswered, past refusalTimeout: missed.
  await visitor.locator('#parley-close').click();
  const missed = wp.locator(`#list-missed li[data-chat="${chatId}"]`);
  await missed.locator('.badge.outcome', { hasText: 'missed' }).waitFor();
  assert.equal(await wp.locator(`#list-waiting li[data-chat="${chatId}"]`).count(), 0, 'the left chat is no longer waiting');
  assert.equal(await wp.locator('#list-missed .count').textContent(), '1');

  // The history shows the outcome and finds it by outcome.
  const page = await ok(call('GET', '/v1/chats?outcome=missed', undefined, account.token));
  assert.deepEqual(page.items.map((c) => c.id), [chatId]);
  assert.equal(page.items[0].outcome, 'missed');
  assert.ok(page.items[0].busyFirstAt, 'the history records the timeout');

  // The missed list survives a reload (it comes with the state).
  await wp.reload();
  await wp.locator('#ws-status[data-state="open"]').waitFor();
  await wp.locator(`#list-missed li[data-chat="${chatId}"]`).waitFor();
  assert.deepEqual(wpErrors, []);
  assert.deepEqual(visitorErrors, []);
  await staff.close();
  await site.close();
});

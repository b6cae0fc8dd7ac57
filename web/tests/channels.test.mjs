// A Telegram chat in the workplace, end to end on the local stack: an
// account of this file's own connects its bot on the integration page (a
// token the Bot API does not know is refused beside the field; a good one
// registers the webhook with its secret), Telegram (the local Bot API
// stand-in's side) posts a private message to the stack's inbound route,
// the chat waits in the workplace with its channel's badge, the
// administrator takes it and answers, and the answer reaches the Bot API
// as a sendMessage to the sender.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, need, pageErrors } from './browser.mjs';
import { fieldError, newAdmin, open, read, save, section } from './settings.mjs';

const tgURL = need('PARLEY_TELEGRAM_API_URL');
const botToken = need('PARLEY_TELEGRAM_BOT_TOKEN');
const badBotToken = need('PARLEY_TELEGRAM_BAD_BOT_TOKEN');
const stamp = Date.now();
const peer = 700000 + (stamp % 100000);
const tokenKey = 'integration.telegram.botToken';

let browser;
let admin;
let accountId;

before(async () => {
  browser = await launch();
  admin = await newAdmin('Channels Ltd');
  accountId = admin.accountId;
});

after(async () => { await browser?.close(); });

// standIn is what the local Bot API holds: the bot's webhook and the
// messages sent.
async function standIn() {
  return (await fetch(tgURL + '/stand-in/state?bot=' + encodeURIComponent(botToken))).json();
}

// until polls fn until it returns something truthy.
async function until(what, fn, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// update posts a Telegram Update to the account's inbound route as
// Telegram does, with the bot's secret token.
async function update(updateId, text) {
  const { webhook } = await standIn();
  assert.equal(webhook.url, `${env.httpURL}/v1/channels/telegram/${accountId}`);
  const secret = webhook.secret;
  const from = { id: peer, is_bot: false, first_name: 'Ivan', username: 'ivan_tg', language_code: 'en' };
  const r = await fetch(webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret },
    body: JSON.stringify({ update_id: updateId, message: { message_id: updateId, date: Math.floor(stamp / 1000), text, from, chat: { id: peer, type: 'private', first_name: 'Ivan', username: 'ivan_tg' } } }),
  });
  assert.equal(r.status, 200, await r.text());
}

test('channels: a Telegram message becomes a chat the operator takes in the workplace, and the answer reaches the Bot API', async () => {
  const page = await open(browser, admin, { viewport: { width: 1300, height: 900 } });
  const errors = pageErrors(page);

  // The bot is connected on the integration page: a token Telegram does
  // not know (getMe answers 401) is refused beside the field and nothing
  // is stored; the right one registers the webhook.
  await section(page, 'integration');
  const box = page.locator(`.setting[data-key="${tokenKey}"]`);
  await box.locator('button.replace').click();
  await box.locator('input[type="password"]').fill(badBotToken);
  assert.match(await save(page, 'integration'), /^Not saved\./);
  assert.match(await fieldError(page, tokenKey), /Telegram does not know this bot token/);
  assert.equal((await read(admin, 'integration')).telegram.botToken, '');
  assert.equal((await standIn()).webhook.url, '');
  await box.locator('input[type="password"]').fill(botToken);
  assert.doesNotMatch(await save(page, 'integration'), /^Not saved/);
  assert.equal(await fieldError(page, tokenKey), '');

  await page.locator('#nav button[data-view="workplace-view"]').click();
  await page.locator('#workplace-view').waitFor();
  await page.locator('#ws-status[data-state="open"]').waitFor();

  await update(stamp, 'Do you ship to Kazan?');
  const item = page.locator('#list-waiting li', { hasText: 'Do you ship to Kazan?' });
  await item.waitFor();
  assert.equal(await item.locator('.badge.channel').textContent(), 'Telegram');
  assert.equal(await item.locator('.badge.channel').getAttribute('data-channel'), 'telegram');

  await item.locator('button').click();
  await page.locator('#transcript li.msg.visitor', { hasText: 'Do you ship to Kazan?' }).waitFor();
  await page.locator('#chat-meta .badge.channel', { hasText: 'Telegram' }).waitFor();
  await page.getByRole('button', { name: 'Take the chat' }).click();
  await page.locator('#list-mine li', { hasText: 'Do you ship to Kazan?' }).waitFor();
  await page.locator('#list-mine li .badge.channel', { hasText: 'Telegram' }).waitFor();

  const reply = page.getByLabel('Reply');
  await reply.fill('Yes, in three days.');
  await reply.press('Enter');
  await page.locator('#transcript li.msg.operator:not(.pending)', { hasText: 'Yes, in three days.' }).waitFor();
  const sent = await until('the answer at the Bot API', async () => (await standIn()).sent.find((s) => s.peer === peer && s.text === 'Yes, in three days.'));
  assert.equal(sent.peer, peer);

  await page.screenshot({ path: join(env.artifacts, 'channels-telegram.png') });
  assert.deepEqual(errors, []);
  await page.context().close();
});

// The widget in a real browser: a visitor on the demo page and an operator
// on the WebSocket API (a bare socket in a second page, as the workplace
// opens it) exchange messages; rating, transcript and the offline form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors } from './browser.mjs';

let browser;
// Accounts of this file's own: the other browser tests change the shared
// account's settings (its language among them), and who is online decides
// the widget's button.
let acme;
before(async () => {
  browser = await launch();
  acme = await signUp('en');
});
after(async () => { await browser?.close(); });

async function signUp(language) {
  const email = `widget-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const r = await fetch(`${env.httpURL}/v1/accounts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ companyName: 'Widget Ltd', email, password: 'widget admin password 1', plan: 'basic', language }),
  });
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  return { id: body.account.id, token: body.token };
}


const demoURL = (account, query = '') => `${env.httpURL}/widget/demo.html?account=${encodeURIComponent(account.id)}${query}`;
const isConfig = (r) => /\/v1\/widget\/[^/]+\/config$/.test(new URL(r.url()).pathname);

// openWidget loads a page with the widget (or reloads it) and returns the
// config the widget received, once its socket is open and hello answered
// (its form buttons enabled, though hidden while offline).
async function openWidget(page, url) {
  const config = page.waitForResponse(isConfig);
  await (url ? page.goto(url) : page.reload());
  const r = await config;
  assert.equal(r.status(), 200);
  await page.locator('#parley-send button:enabled').waitFor({ state: 'attached' });
  return { body: await r.json(), sentToken: new URL(r.url()).searchParams.get('visitorToken') };
}

// connectOperator opens the administrator's staff socket in a page of its
// own and returns helpers: send a frame, wait for a received frame.
async function connectOperator(context, account) {
  const page = await context.newPage();
  await page.evaluate(async (url) => {
    window.received = [];
    window.operator = new WebSocket(url);
    window.operator.onmessage = (ev) => window.received.push(JSON.parse(ev.data));
    await new Promise((resolve, reject) => {
      window.operator.onopen = resolve;
      window.operator.onerror = () => reject(new Error('the operator socket failed to open'));
    });
  }, `${env.webSocketURL}?token=${encodeURIComponent(account.token)}`);
  return {
    send: (frame) => page.evaluate((f) => window.operator.send(JSON.stringify(f)), frame),
    // wait returns the first frame, from index `from` on, for which
    // pred(frame, arg) holds; pred runs in the page, so it uses arg only.
    wait: async (pred, arg = null, from = 0) => (await page.waitForFunction(
      ([src, arg, from]) => window.received.slice(from).find((f) => new Function(`return ${src}`)()(f, arg)),
      [pred.toString(), arg, from], { polling: 50 })).jsonValue(),
    count: () => page.evaluate(() => window.received.length),
    frames: () => page.evaluate(() => window.received),
  };
}

// session is a browser context with an operator of the account and a
// visitor page whose errors are collected.
async function session(account = acme) {
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  const op = await connectOperator(context, account);
  const visitor = await context.newPage();
  return { context, op, visitor, errors: pageErrors(visitor) };
}

async function say(visitor, text) {
  await visitor.locator('#parley-text').fill(text);
  await visitor.locator('#parley-send button').click();
  await visitor.locator('#parley-log p.visitor', { hasText: text }).waitFor();
}

const messageIs = (f, text) => f.type === 'message' && f.text === text;

test('widget: visitor and operator exchange messages; a returning visitor keeps its id', async () => {
  const { context, op, visitor, errors } = await session();
  const first = await openWidget(visitor, demoURL(acme));
  assert.equal(first.body.button, 'online', 'an operator is connected');
  assert.equal(first.body.websocketUrl, env.webSocketURL);
  await visitor.locator('#parley-state', { hasText: 'Operators are online' }).waitFor();

  // The visitor writes through the widget's form; the operator gets it.
  await say(visitor, 'Hello from a real browser');
  const got = await op.wait(messageIs, 'Hello from a real browser');
  assert.equal(got.from.kind, 'visitor');
  assert.equal(got.from.id, first.body.visitorId);

  // The operator's reply shows in the widget's log.
  await op.send({ action: 'sendMessage', clientId: 'op-1', to: first.body.visitorId, text: 'Hello, how can I help?' });
  await visitor.locator('#parley-log p.operator', { hasText: 'Hello, how can I help?' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget.png') });

  // The widget keeps the visitor's token; a reload sends it back and is
  // the same visitor, to the operator as well, and shows the chat again.
  const key = `parley.visitor.${acme.id}`;
  assert.equal(await visitor.evaluate((k) => localStorage.getItem(k), key), first.body.visitorToken);
  const again = await openWidget(visitor);
  assert.equal(again.sentToken, first.body.visitorToken, 'the reload sent the stored token');
  assert.equal(again.body.visitorId, first.body.visitorId, 'a returning visitor keeps its id');
  await visitor.locator('#parley-log p.operator', { hasText: 'Hello, how can I help?' }).waitFor();
  await say(visitor, 'Back again');
  const back = await op.wait(messageIs, 'Back again');
  assert.equal(back.from.id, first.body.visitorId);
  assert.equal(back.chatId, got.chatId, 'the same chat');

  // Without the stored token (another browser profile) it is someone else.
  const stranger = await browser.newContext();
  const other = await openWidget(await stranger.newPage(), demoURL(acme));
  assert.notEqual(other.body.visitorId, first.body.visitorId);
  await stranger.close();

  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: after the operator closes the chat the visitor rates it and may mail the transcript', async () => {
  const { context, op, visitor, errors } = await session();
  const { body } = await openWidget(visitor, demoURL(acme));
  assert.equal(body.button, 'online');
  await visitor.locator('#parley-rating').waitFor({ state: 'hidden' });

  await say(visitor, 'Please rate me');
  const got = await op.wait(messageIs, 'Please rate me');
  // Answering takes the chat; then the operator closes it.
  await op.send({ action: 'sendMessage', clientId: 'op-r1', to: body.visitorId, text: 'Done, anything else?' });
  await op.send({ action: 'closeChat', clientId: 'op-r2', chatId: got.chatId });
  await visitor.locator('#parley-log p.operator', { hasText: 'Done, anything else?' }).waitFor();
  await visitor.locator('#parley-rating').waitFor();
  await visitor.locator('#parley-transcript').waitFor();
  await visitor.locator('#parley-rating button', { hasText: 'Poor' }).click();
  await visitor.locator('#parley-state', { hasText: 'Thank you for your rating' }).waitFor();
  await visitor.locator('#parley-rating').waitFor({ state: 'hidden' });
  const rated = await op.wait((f, id) => f.type === 'chat' && f.chat.id === id && f.chat.rating, got.chatId);
  assert.equal(rated.chat.rating, 'poor');

  await visitor.locator('#parley-transcript-email').fill('ann@visitor.example');
  await visitor.locator('#parley-transcript button').click();
  await visitor.locator('#parley-log p.system', { hasText: 'The transcript is on its way' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget-rating.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: with nobody online the visitor leaves a message through the offline form', async () => {
  // An account nobody has signed in to the workplace of.
  const quiet = await signUp('en');
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  const { body } = await openWidget(visitor, demoURL(quiet));
  assert.equal(body.button, 'offline');
  await visitor.locator('#parley-offline').waitFor();
  await visitor.locator('#parley-state', { hasText: 'No operator online' }).waitFor();
  assert.equal(await visitor.locator('#parley-send').isHidden(), true, 'no chat form while offline');

  // An incomplete form is refused with the service's message.
  await visitor.locator('#parley-offline button').click();
  await visitor.locator('#parley-log p.system').first().waitFor();

  await visitor.locator('#parley-offline-name').fill('Bob');
  await visitor.locator('#parley-offline-contact').fill('bob@visitor.example');
  await visitor.locator('#parley-offline-text').fill('Please call me back');
  await visitor.locator('#parley-offline button').click();
  await visitor.locator('#parley-state', { hasText: 'we will get back to you' }).waitFor();
  await visitor.locator('#parley-offline').waitFor({ state: 'hidden' });
  await visitor.screenshot({ path: join(env.artifacts, 'widget-offline.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

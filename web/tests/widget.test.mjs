// The widget in a real browser: a visitor on the demo page and an operator
// on the WebSocket API exchange messages, and a returning visitor keeps its
// identity through the token the widget keeps in localStorage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const demoURL = `${env.httpURL}/widget/demo.html?account=${encodeURIComponent(env.accountId)}`;
const configPath = `/v1/widget/${env.accountId}/config`;

// openWidget loads the demo page and returns the widget config the page
// received, once the widget's socket is open (its Send button enabled,
// though hidden while offline).
async function openWidget(page, reload) {
  const config = page.waitForResponse((r) => new URL(r.url()).pathname === configPath);
  await (reload ? page.reload() : page.goto(demoURL));
  const r = await config;
  assert.equal(r.status(), 200);
  await page.locator('#send button:enabled').waitFor({ state: 'attached' });
  return { body: await r.json(), sentToken: new URL(r.url()).searchParams.get('visitorToken') };
}

// The operator is a second page of the same browser with a bare WebSocket,
// as the workplace will open it: staff token in the query string.
async function connectOperator(page) {
  await page.evaluate(async (url) => {
    window.received = [];
    window.operator = new WebSocket(url);
    window.operator.onmessage = (ev) => window.received.push(JSON.parse(ev.data));
    await new Promise((resolve, reject) => {
      window.operator.onopen = resolve;
      window.operator.onerror = () => reject(new Error('the operator socket failed to open'));
    });
  }, `${env.webSocketURL}?token=${encodeURIComponent(env.token)}`);
}

async function operatorReceives(page, text) {
  const frame = await page.waitForFunction(
    (text) => window.received.find((f) => f.type === 'message' && f.text === text),
    text,
  );
  return frame.jsonValue();
}

test('widget: visitor and operator exchange messages; a returning visitor keeps its id', async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const operator = await context.newPage();
  await connectOperator(operator);

  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  const first = await openWidget(visitor, false);
  assert.equal(first.body.button, 'online', 'an operator is connected');
  assert.equal(first.body.websocketUrl, env.webSocketURL);
  await visitor.locator('#state', { hasText: 'Operators are online' }).waitFor();

  // The visitor writes through the widget's form; the operator gets it.
  await visitor.locator('#text').fill('Hello from a real browser');
  await visitor.locator('#send button').click();
  await visitor.locator('#log p.visitor', { hasText: 'Hello from a real browser' }).waitFor();
  const got = await operatorReceives(operator, 'Hello from a real browser');
  assert.equal(got.from.kind, 'visitor');
  assert.equal(got.from.id, first.body.visitorId);

  // The operator's reply shows in the widget's log.
  await operator.evaluate((to) => window.operator.send(JSON.stringify(
    { action: 'sendMessage', clientId: 'op-1', to, text: 'Hello, how can I help?' })), first.body.visitorId);
  await visitor.locator('#log p.operator', { hasText: 'Hello, how can I help?' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget.png') });

  // The widget keeps the visitor's token; a reload sends it back and is
  // the same visitor, to the operator as well.
  const key = `parley.visitor.${env.accountId}`;
  assert.equal(await visitor.evaluate((k) => localStorage.getItem(k), key), first.body.visitorToken);
  const again = await openWidget(visitor, true);
  assert.equal(again.sentToken, first.body.visitorToken, 'the reload sent the stored token');
  assert.equal(again.body.visitorId, first.body.visitorId, 'a returning visitor keeps its id');
  await visitor.locator('#text').fill('Back again');
  await visitor.locator('#send button').click();
  assert.equal((await operatorReceives(operator, 'Back again')).from.id, first.body.visitorId);

  // Without the stored token (another browser profile) it is someone else.
  const stranger = await browser.newContext();
  const other = await openWidget(await stranger.newPage(), false);
  assert.notEqual(other.body.visitorId, first.body.visitorId);
  await stranger.close();

  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: after the operator closes the chat the visitor rates it and may mail the transcript', async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const operator = await context.newPage();
  await connectOperator(operator);
  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  const { body } = await openWidget(visitor, false);
  assert.equal(body.button, 'online');
  await visitor.locator('#rating').waitFor({ state: 'hidden' });

  await visitor.locator('#text').fill('Please rate me');
  await visitor.locator('#send button').click();
  const got = await operatorReceives(operator, 'Please rate me');
  // Answering takes the chat; then the operator closes it.
  await operator.evaluate(([to, chatId]) => {
    window.operator.send(JSON.stringify({ action: 'sendMessage', clientId: 'op-r1', to, text: 'Done, anything else?' }));
    window.operator.send(JSON.stringify({ action: 'closeChat', clientId: 'op-r2', chatId }));
  }, [body.visitorId, got.chatId]);
  await visitor.locator('#log p.operator', { hasText: 'Done, anything else?' }).waitFor();
  await visitor.locator('#rating').waitFor();
  await visitor.locator('#transcript').waitFor();
  await visitor.locator('#rating button', { hasText: 'Poor' }).click();
  await visitor.locator('#state', { hasText: 'Thank you for your rating' }).waitFor();
  await visitor.locator('#rating').waitFor({ state: 'hidden' });
  const rated = await operator.waitForFunction(
    (id) => window.received.find((f) => f.type === 'chat' && f.chat.id === id && f.chat.rating), got.chatId);
  assert.equal((await rated.jsonValue()).chat.rating, 'poor');

  await visitor.locator('#transcript-email').fill('ann@visitor.example');
  await visitor.locator('#transcript button').click();
  await visitor.locator('#log p.system', { hasText: 'The transcript is on its way' }).waitFor();
  await visitor.screenshot({ path: join(env.artifacts, 'widget-rating.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

test('widget: with nobody online the visitor leaves a message through the offline form', async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const visitor = await context.newPage();
  const errors = pageErrors(visitor);
  // The previous tests' operators are gone once their sockets closed.
  let body;
  for (let i = 0; i < 50; i++) {
    ({ body } = await openWidget(visitor, i > 0));
    if (body.button === 'offline') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(body.button, 'offline');
  await visitor.locator('#offline').waitFor();
  assert.equal(await visitor.locator('#send').isHidden(), true, 'no chat form while offline');

  // An incomplete form is refused with the service's message.
  await visitor.locator('#offline button').click();
  await visitor.locator('#log p.system').first().waitFor();

  await visitor.locator('#offline-name').fill('Bob');
  await visitor.locator('#offline-contact').fill('bob@visitor.example');
  await visitor.locator('#offline-text').fill('Please call me back');
  await visitor.locator('#offline button').click();
  await visitor.locator('#state', { hasText: 'we will get back to you' }).waitFor();
  await visitor.locator('#offline').waitFor({ state: 'hidden' });
  await visitor.screenshot({ path: join(env.artifacts, 'widget-offline.png') });
  assert.deepEqual(errors, [], 'the widget ran without errors');
  await context.close();
});

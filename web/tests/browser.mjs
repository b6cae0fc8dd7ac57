// Shared by the browser tests: the launch of Debian's chromium and what the
// Go test (internal/browser) passes in the environment. Not a test file
// itself (no .test.mjs), so node --test does not run it.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

// need returns an environment variable the Go test sets, failing loudly when
// a test file is run by hand without it.
export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through go test ./internal/browser/`);
  return v;
}

export const env = {
  httpURL: need('PARLEY_HTTP_URL'),
  webSocketURL: need('PARLEY_WEBSOCKET_URL'),
  accountId: need('PARLEY_ACCOUNT_ID'),
  email: need('PARLEY_EMAIL'),
  password: need('PARLEY_PASSWORD'),
  token: need('PARLEY_TOKEN'),
  artifacts: need('PARLEY_ARTIFACTS'),
  // The local SES, whose GET /store shows the mails the tests open.
  sesURL: need('PARLEY_SES_URL'),
};
mkdirSync(env.artifacts, { recursive: true });

// launch starts the system's chromium, never a downloaded one. Playwright's
// launch gives every run a fresh temporary --user-data-dir and deletes it on
// close; --headless and --no-sandbox are repeated here (playwright adds them
// too) so the flags the browser runs with are all in one place. The rest
// keep it from reaching the network on its own and from slow GPU probing on
// machines without one.
export async function launch() {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// pageErrors collects a page's uncaught errors and console.error calls, so
// a test can assert the page ran cleanly. Chromium's own notes on failed
// requests are left out: a refused sign-in is a 401 on purpose.
export function pageErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  return errors;
}

// call makes an HTTP API request (as token's holder, when given) and
// returns its status and decoded body.
export async function call(method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const r = await fetch(env.httpURL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, data: text ? JSON.parse(text) : null };
}

// ok awaits a call, asserts its status and returns its body.
export async function ok(promise, status = 200) {
  const r = await promise;
  assert.equal(r.status, status, JSON.stringify(r.data));
  return r.data;
}

// mailsTo returns the mails in the local SES store to `to` whose subject
// matches, oldest first.
export async function mailsTo(to, subject = /./) {
  const store = await (await fetch(env.sesURL + '/store')).json();
  return (store.emails || []).filter((m) => (m.destination?.to || []).some((a) => a.includes(to)) && subject.test(m.subject));
}

// linkSecret waits for the newest mail to `to` with a set-password link
// (an invitation or a reset) and returns the link's secret.
export async function linkSecret(to) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mail = (await mailsTo(to)).filter((m) => /#set-password=/.test(m.body.text)).pop();
    const link = mail && /#set-password=(\S+)/.exec(mail.body.text);
    if (link) return decodeURIComponent(link[1]);
    if (Date.now() > deadline) throw new Error(`no mail with a set-password link to ${to}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// signIn fills the console's sign-in form on page (already at the console)
// with person's e-mail and password, and submits it.
export async function signIn(page, person) {
  await page.locator('#login-form input[name="email"]').fill(person.email);
  await page.locator('#login-form input[name="password"]').fill(person.password);
  await page.locator('#login-form button[type="submit"]').click();
}

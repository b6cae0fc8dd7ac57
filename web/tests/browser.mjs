// Shared by the browser tests: the launch of Debian's chromium and what the
// Go test (internal/browser) passes in the environment. Not a test file
// itself (no .test.mjs), so node --test does not run it.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

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

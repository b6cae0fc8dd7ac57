// Shared by the settings browser tests (settings-*.test.mjs): an account
// of their own, the description the pages are built from, and the checks
// every page gets. Not a test file itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { env, call, ok, signIn } from './browser.mjs';

export const description = JSON.parse(readFileSync(new URL('../settings-fields.json', import.meta.url), 'utf8')).sections;
export const fieldsOf = (id) => (description.find((s) => s.id === id).groups || []).flatMap((g) => g.fields);

// newAdmin signs up a Corporate account (categories need it) of its own,
// so that these files may run beside the others without sharing ETags.
export async function newAdmin(name) {
  const admin = { email: `${name.toLowerCase().replace(/\W+/g, "-")}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`, password: 'correct horse battery staple' };
  const r = await ok(call('POST', '/v1/accounts', { companyName: name, email: admin.email, password: admin.password, plan: 'corporate', language: 'en' }), 201);
  return Object.assign(admin, { token: r.token, accountId: r.account.id, id: r.user.id });
}

// open signs admin in on a fresh page and waits for the settings.
export async function open(browser, admin, options = {}) {
  const context = await browser.newContext(Object.assign({ viewport: { width: 1100, height: 900 } }, options));
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // A deep link: the sign-in leads to the settings' first page.
  await page.goto(env.httpURL + '/#/settings/company');
  await signIn(page, admin);
  await page.locator('#company-form[data-loaded="true"]').waitFor();
  return page;
}

// section opens one settings section from the settings menu.
export async function section(page, id) {
  await page.locator(`#settings-nav button[data-section="${id}"]`).click();
  await page.locator(id === 'templates' ? '#settings-templates[data-loaded="true"]' : `#${id}-form[data-loaded="true"]`).waitFor();
}

// save presses the page's Save and waits for its verdict.
export async function save(page, id) {
  const status = page.locator(`#${id}-status`);
  await page.locator(`#${id}-form button.save`).click();
  await page.waitForFunction((sel) => { const t = document.querySelector(sel)?.textContent || ''; return t && !/…$/.test(t); }, `#${id}-status`);
  return (await status.textContent()).trim();
}

// fieldError returns the error shown for key after checking it is inside
// the key's own field, just under its control, where the person looks.
export async function fieldError(page, key) {
  const box = page.locator(`.setting[data-key="${key}"]`);
  const error = box.locator(`.field-error[data-field="${key}"]`);
  await assert.doesNotReject(error.waitFor({ state: 'attached' }), `${key} has an error line`);
  const control = box.locator('input:visible, textarea:visible, select:visible, code:visible').first();
  const [e, c] = [await error.boundingBox(), await control.boundingBox()];
  const text = (await error.textContent()).trim();
  if (text) {
    assert.ok(e && c, `${key}: the error and its field are both shown`);
    assert.ok(e.y >= c.y + c.height - 1 && e.y - (c.y + c.height) < 80, `${key}: error at y=${e.y}, field ends at y=${c.y + c.height}`);
  }
  return text;
}

export const read = (admin, sectionId) => ok(call('GET', '/v1/settings' + (sectionId ? '/' + sectionId : ''), undefined, admin.token));

// png makes a w x h PNG of one colour, for the image fields.
export function png(w, h, rgb = [200, 30, 60]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

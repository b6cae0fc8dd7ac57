// The time zone picker (web/timezone.js) in a real browser: every IANA zone
// the browser knows, each with its offset, offered on the field; and the
// zones it offers are ones the API accepts for company.timezone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, pageErrors, call, ok } from './browser.mjs';

let browser;
let token;
before(async () => {
  browser = await launch();
  token = (await ok(call('POST', '/v1/accounts', { companyName: 'Zones Ltd', email: `tz-${Date.now()}@example.com`, password: 'time zone password 1', language: 'en' }), 201)).token;
});
after(async () => { await browser?.close(); });

test('time zones: the field offers every zone with its offset, and the API takes them', async () => {
  const page = await browser.newPage();
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  const offered = await page.evaluate(async () => {
    const m = await import(new URL('timezone.js', location.href).href);
    const input = document.createElement('input');
    document.body.append(input);
    m.attachTimezones(input);
    m.attachTimezones(input); // a second call adds no second list
    const list = document.getElementById(input.getAttribute('list'));
    return {
      lists: document.querySelectorAll('datalist').length,
      options: Array.from(list.options, (o) => ({ value: o.value, label: o.label })),
      autocomplete: input.autocomplete,
    };
  });
  assert.equal(offered.lists, 1);
  assert.equal(offered.autocomplete, 'off', 'the browser\'s own suggestions do not hide the zones');
  assert.ok(offered.options.length > 300, `${offered.options.length} zones`);
  const label = (z) => offered.options.find((o) => o.value === z)?.label;
  assert.equal(label('Europe/Moscow'), 'UTC+03:00');
  // Chromium lists India under its older name, which the API takes too.
  assert.equal(label('Asia/Kolkata') ?? label('Asia/Calcutta'), 'UTC+05:30');
  assert.equal(label('UTC'), 'UTC+00:00');
  assert.ok(label('Asia/Yekaterinburg') && label('America/New_York'));
  const values = offered.options.map((o) => o.value);
  assert.deepEqual(values, [...values].sort(), 'in alphabetical order');

  // A sample of what is offered (every 20th zone and the ones above) is
  // accepted by the API as it validates company.timezone today.
  const sample = values.filter((_, i) => i % 20 === 0).concat(['UTC', 'Asia/Calcutta', 'Asia/Kolkata', 'America/New_York']);
  for (const z of sample) {
    const r = await call('PATCH', '/v1/settings/company', { timezone: z }, token);
    assert.equal(r.status, 200, `${z}: ${JSON.stringify(r.data)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

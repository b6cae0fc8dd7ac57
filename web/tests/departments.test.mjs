// Departments and People in a real browser: an administrator creates,
// renames and deletes departments, puts people in them and writes their
// templates (a refused value beside its field, a 412 when another session
// saved first); edits an operator's languages, departments and chat limit;
// a supervisor does what the API lets a supervisor do and no more. And on
// a 390 px screen neither People nor History scrolls sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { env, launch, pageErrors, call, ok, linkSecret, signIn } from './browser.mjs';

let browser;
const stamp = Date.now();
const admin = { email: `dep-admin-${stamp}@example.com`, password: 'departments admin 1' };
const supervisor = { email: `dep-sup-${stamp}@example.com`, name: 'Sergei Supervisor', password: 'departments super 1' };
const operator = { email: `dep-op-${stamp}@example.com`, name: 'Olga Operator' };
let token;

before(async () => {
  browser = await launch();
  const r = await ok(call('POST', '/v1/accounts', { companyName: 'Departments Ltd', email: admin.email, password: admin.password, language: 'en' }), 201);
  token = r.token;
  operator.id = (await ok(call('POST', '/v1/people', { email: operator.email, name: operator.name, role: 'operator' }, token), 201)).id;
  supervisor.id = (await ok(call('POST', '/v1/people', { email: supervisor.email, name: supervisor.name, role: 'supervisor' }, token), 201)).id;
  await ok(call('POST', '/v1/auth/password', { token: await linkSecret(supervisor.email), password: supervisor.password }));
});
after(async () => { await browser?.close(); });

async function newPage(person, landing, viewport = { width: 1100, height: 950 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = pageErrors(page);
  await page.goto(env.httpURL + '/');
  await signIn(page, person);
  await page.locator(landing).waitFor();
  return { page, errors, close: () => context.close() };
}

test('departments: create, rename, members, templates with a 412, delete', async () => {
  const { page, errors, close } = await newPage(admin, '#home-view');
  await page.getByRole('button', { name: 'Departments', exact: true }).click();
  await page.locator('#departments-list[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/departments');

  // A blank name is refused beside its field; two good ones are created.
  const create = page.locator('#department-create');
  await create.getByRole('button', { name: 'Create the department' }).click();
  await page.locator('#department-create [data-field="name"]:not(:empty)').waitFor();
  for (const name of ['Sales', 'Support']) {
    await create.getByLabel('New department').fill(name);
    await create.getByRole('button', { name: 'Create the department' }).click();
    await page.locator('#departments-list li', { hasText: name }).waitFor();
  }
  assert.equal(await page.locator('#department-create [data-field="name"]').textContent(), '');
  const listed = await ok(call('GET', '/v1/departments', undefined, token));
  assert.deepEqual(listed.items.map((d) => d.name).sort(), ['Sales', 'Support']);
  const sales = listed.items.find((d) => d.name === 'Sales');
  const support = listed.items.find((d) => d.name === 'Support');

  // A department has its own address; it is renamed (blank refused first).
  await page.getByRole('link', { name: 'Sales', exact: true }).click();
  await page.locator('#department-detail[data-state="loaded"]').waitFor();
  assert.equal(new URL(page.url()).hash, '#/departments/' + sales.id);
  const rename = page.locator('#department-rename');
  await rename.getByLabel('Name').fill(' ');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await page.locator('#department-rename [data-field="name"]:not(:empty)').waitFor();
  await rename.getByLabel('Name').fill('Sales EU');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await page.locator('#department-status', { hasText: 'Renamed' }).waitFor();
  assert.equal((await ok(call('GET', '/v1/departments/' + sales.id, undefined, token))).name, 'Sales EU');

  // Members: the operator goes in, and the API agrees.
  await page.getByLabel(`${operator.name} is in Sales EU`).check();
  await page.locator('#department-status', { hasText: 'is now in the department' }).waitFor();
  assert.deepEqual((await ok(call('GET', '/v1/departments/' + sales.id, undefined, token))).members, [operator.id]);
  await page.locator('#departments-list li', { hasText: 'Members: 1' }).waitFor();

  // Templates: a missing text refused beside its field, nothing created.
  const form = page.locator('#department-template-form');
  await form.getByLabel('Language').selectOption('en');
  await form.getByLabel('Section').fill('Prices');
  await form.getByLabel('Title').fill('Discounts');
  await form.getByRole('button', { name: 'Add the template' }).click();
  await page.locator('#department-template-form [data-field="text"]:not(:empty)').waitFor();
  const q = '/v1/templates?level=department&departmentId=' + sales.id;
  assert.equal((await ok(call('GET', q, undefined, token))).items.length, 0, 'a refused template is not stored');
  await form.getByLabel('Text').fill('Orders over 100 EUR get 5% off.');
  await form.getByRole('button', { name: 'Add the template' }).click();
  await page.locator('#department-templates li', { hasText: 'Discounts' }).waitFor();
  const [tpl] = (await ok(call('GET', q, undefined, token))).items;
  assert.equal(tpl.text, 'Orders over 100 EUR get 5% off.');
  assert.equal(tpl.departmentId, sales.id);

  // Another session saves first: this one is told, and keeps what it typed.
  await page.getByRole('button', { name: 'Edit: Discounts' }).click();
  await ok(call('PUT', '/v1/templates/' + tpl.id, { language: 'en', section: 'Prices', title: 'Discounts', text: 'Changed elsewhere.' }, token));
  await form.getByLabel('Text').fill('Orders over 200 EUR get 10% off.');
  await form.getByRole('button', { name: 'Save the template' }).click();
  await page.locator('#department-status.error', { hasText: 'Someone changed this template' }).waitFor();
  assert.equal(await form.getByLabel('Text').inputValue(), 'Orders over 200 EUR get 10% off.');
  assert.equal((await ok(call('GET', '/v1/templates/' + tpl.id, undefined, token))).text, 'Changed elsewhere.');
  await page.screenshot({ path: join(env.artifacts, 'department.png'), fullPage: true });

  // Their version is loaded into the list; what was typed stays, and the
  // save then goes through on top of theirs.
  await page.getByRole('button', { name: 'Load their version' }).click();
  await page.locator('#department-templates li', { hasText: 'Changed elsewhere.' }).waitFor();
  assert.equal(await form.getByLabel('Text').inputValue(), 'Orders over 200 EUR get 10% off.');
  await form.getByRole('button', { name: 'Save the template' }).click();
  await page.locator('#department-templates li', { hasText: '10% off' }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete: Discounts' }).click();
  await page.locator('#department-templates li.empty').waitFor();
  assert.equal((await ok(call('GET', q, undefined, token))).items.length, 0);

  // Support is deleted from its page, after a confirmation.
  await page.getByRole('link', { name: 'Support', exact: true }).click();
  await page.locator('#department-name', { hasText: 'Support' }).waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete the department' }).click();
  await page.locator('#departments-status', { hasText: 'deleted' }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/departments');
  assert.deepEqual((await ok(call('GET', '/v1/departments', undefined, token))).items.map((d) => d.id), [sales.id]);
  assert.equal(support.name, 'Support');
  await page.screenshot({ path: join(env.artifacts, 'departments.png'), fullPage: true });

  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('people: the administrator edits an operator\'s languages, departments and chat limit', async () => {
  const { page, errors, close } = await newPage(admin, '#home-view');
  const sales = (await ok(call('GET', '/v1/departments', undefined, token))).items.find((d) => d.name === 'Sales EU');
  await page.getByRole('button', { name: 'People', exact: true }).click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  await page.getByRole('button', { name: 'Edit ' + operator.email }).click();
  const editor = page.locator(`form.person-editor[data-person="${operator.id}"]`);
  // Invited into an English account, the operator answers in English.
  await editor.getByLabel('Русский').check();
  await editor.getByLabel('English').uncheck();
  await editor.getByLabel('Sales EU').uncheck();
  await editor.getByLabel('Personal chat limit').fill('0');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator(`form.person-editor[data-person="${operator.id}"] [data-field="chatLimit"]:not(:empty)`).waitFor();
  let op = await ok(call('GET', '/v1/people/' + operator.id, undefined, token));
  assert.deepEqual([op.languages, op.departments, op.chatLimit], [['en'], [sales.id], null], 'a refused save changed nothing');
  await page.screenshot({ path: join(env.artifacts, 'people-edit-error.png'), fullPage: true });

  await editor.getByLabel('Personal chat limit').fill('3');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator('#people-status', { hasText: 'saved' }).waitFor();
  op = await ok(call('GET', '/v1/people/' + operator.id, undefined, token));
  assert.deepEqual([op.languages, op.departments, op.chatLimit], [['ru'], [], 3]);
  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('people and departments: a supervisor edits operators but not the administrator, and no roles', async () => {
  const { page, errors, close } = await newPage(supervisor, '#workplace-view');
  await page.getByRole('button', { name: 'People', exact: true }).click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  assert.equal(await page.locator('#people-table select').count(), 0, 'no role menus');
  assert.equal(await page.getByRole('button', { name: 'Edit ' + admin.email }).count(), 0, 'the administrator is not theirs to edit');
  await page.getByRole('button', { name: 'Edit ' + operator.email }).click();
  const editor = page.locator(`form.person-editor[data-person="${operator.id}"]`);
  await editor.getByLabel('Personal chat limit').fill('');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator('#people-status', { hasText: 'saved' }).waitFor();
  assert.equal((await ok(call('GET', '/v1/people/' + operator.id, undefined, token))).chatLimit, null, 'back to the account\'s limit');

  // Departments: members yes, the administrator's box and renaming no.
  await page.getByRole('button', { name: 'Departments', exact: true }).click();
  await page.getByRole('link', { name: 'Sales EU' }).click();
  await page.locator('#department-detail[data-state="loaded"]').waitFor();
  assert.equal(await page.locator('#department-rename').count(), 0);
  assert.equal(await page.locator('#department-create').isVisible(), false);
  assert.equal(await page.getByLabel(`${admin.email} is in Sales EU`).isDisabled(), true);
  await page.getByLabel(`${operator.name} is in Sales EU`).check();
  await page.locator('#department-status', { hasText: 'is now in the department' }).waitFor();
  assert.deepEqual((await ok(call('GET', '/v1/people/' + operator.id, undefined, token))).departments.length, 1);
  // The audit trail is the administrators': its address leads elsewhere.
  await page.goto(env.httpURL + '/#/audit');
  await page.locator('#workplace-view').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Audit trail' }).count(), 0);
  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

test('people and history fit a 390 px screen', async () => {
  const { page, errors, close } = await newPage(admin, '#home-view', { width: 390, height: 844 });
  const wide = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(await wide() <= 390, `home is ${await wide()} px wide`);
  await page.getByRole('button', { name: 'People', exact: true }).click();
  await page.locator('#people-table[data-loaded="true"]').waitFor();
  await page.getByRole('button', { name: 'Edit ' + operator.email }).click();
  assert.ok(await wide() <= 390, `People is ${await wide()} px wide`);
  await page.screenshot({ path: join(env.artifacts, 'people-390.png'), fullPage: true });
  await page.getByRole('button', { name: 'History', exact: true }).click();
  // Attached, not visible: a new account's history is an empty table.
  await page.locator('#history-table[data-state="loaded"]').waitFor({ state: 'attached' });
  assert.ok(await wide() <= 390, `History is ${await wide()} px wide`);
  await page.screenshot({ path: join(env.artifacts, 'history-390.png'), fullPage: true });
  await page.getByRole('button', { name: 'Departments', exact: true }).click();
  await page.locator('#departments-list[data-state="loaded"]').waitFor();
  assert.ok(await wide() <= 390, `Departments is ${await wide()} px wide`);
  assert.deepEqual(errors, [], 'the page ran without errors');
  await close();
});

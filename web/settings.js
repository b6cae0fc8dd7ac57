// The settings pages: one page per section of SPEC §2, built from the
// description in settings-fields.json (which a Go test keeps in step with
// the API's own table of keys). Each page reads its section with
// GET /v1/settings/{section} and saves every field of it at once with
// PATCH and the ETag it read: the API takes all or nothing, so a refused
// save shows each key's message beside its field and changes nothing.
// Images, regenerated keys and templates are saved by their own actions.
import { el } from './dom.js';
import { t, language } from './i18n.js';
import { createTemplates } from './settings-templates.js';

// tr picks the interface language's text of a description entry.
function tr(texts) {
  if (!texts) return '';
  return texts[language()] || texts.en || Object.values(texts)[0] || '';
}

// path and its inverse between a dotted key and the read form's nesting:
// integration.vk.accessKey is {vk: {accessKey}} in the integration section.
function getPath(obj, key) {
  return key.split('.').slice(1).reduce((o, p) => (o && typeof o === 'object' ? o[p] : undefined), obj);
}
function setPath(obj, key, value) {
  const parts = key.split('.').slice(1);
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] || (o[p] = {});
  o[parts[parts.length - 1]] = value;
}

// versionOf reads the number of an ETag "v12"; NaN for anything else.
function versionOf(etag) { return Number(/^(?:W\/)?"v(\d+)"$/.exec(etag || '')?.[1]); }

// parseCategories mirrors the API's reading of the categories text, for
// the live preview only: the API decides, and its message shows beside the
// field after a refused save.
export function parseCategories(text) {
  const tree = [];
  let parent = null;
  for (const raw of String(text || '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const name = line.trim();
    if (!name) continue;
    if (/^\s/.test(line)) {
      const node = { name, children: [], orphan: !parent };
      if (parent) {
        node.duplicate = parent.children.some((c) => c.name.toLowerCase() === name.toLowerCase());
        parent.children.push(node);
      } else tree.push(node);
    } else {
      parent = { name, children: [], duplicate: tree.some((c) => c.name.toLowerCase() === name.toLowerCase()) };
      tree.push(parent);
    }
  }
  return tree;
}

let uid = 0;

// Extras of a group: an element a page of its own adds after the group's
// fields (the Unisender export's button and progress), made with the
// page's ctx.
const groupExtras = {};
export function addGroupExtra(groupId, make) { groupExtras[groupId] = make; }

// A field is what one key looks like on its page: its element, how it
// reads the read form (set), and what it sends (value; undefined leaves
// the key out of the body, as for a secret nobody replaced).
function makeField(f, ctx) {
  const id = 'set-' + f.key.replace(/\./g, '-') + '-' + (++uid);
  const helpId = id + '-help';
  const error = el('p', { class: 'field-error', dataset: { field: f.key }, role: 'alert' });
  const help = el('p', { class: 'help', id: helpId, text: tr(f.help) });
  const label = el('label', { for: id }, el('span', { text: tr(f.label) }));
  const wrap = el('div', { class: 'setting setting-' + f.type, dataset: { key: f.key } });
  const field = { key: f.key, desc: f, el: wrap, set() {}, value() { return undefined; }, sent: true };
  const input = (props) => el('input', Object.assign({ id, name: f.key, 'aria-describedby': helpId }, props));
  const onEdit = () => ctx.edited();

  switch (f.type) {
    case 'text': case 'timezone': case 'urlSecret': case 'emails': case 'int': case 'intOrNull': {
      const i = input({ type: 'text', maxlength: f.max, placeholder: f.placeholder, required: f.required,
        inputmode: f.type.startsWith('int') ? 'numeric' : undefined, autocomplete: f.type === 'timezone' ? 'off' : undefined, oninput: onEdit });
      // The time zone is picked from the IANA zones, searchable as typed.
      if (f.type === 'timezone' && ctx.attachTimezones) ctx.attachTimezones(i);
      const unit = f.unit ? el('span', { class: 'unit', text: f.unit === 's' ? t('settings.seconds') : f.unit }) : null;
      wrap.append(label, unit ? el('div', { class: 'with-unit' }, i, unit) : i, error, help);
      field.set = (v) => {
        if (f.type === 'emails') i.value = (v || []).join(', ');
        else i.value = v === null || v === undefined ? '' : String(v);
      };
      field.value = () => {
        const s = i.value;
        if (f.type === 'emails') return s.split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);
        if (f.type === 'int' || f.type === 'intOrNull') {
          // A number goes as a number; anything else as typed, for the
          // API to refuse with its own words.
          if (f.type === 'intOrNull' && s.trim() === '') return null;
          return /^\s*-?\d+\s*$/.test(s) ? Number(s) : s;
        }
        return s;
      };
      field.focus = () => i.focus();
      break;
    }
    case 'textarea': case 'urls': case 'categories': {
      const a = el('textarea', { id, name: f.key, rows: f.type === 'categories' ? 8 : 3, maxlength: f.max, placeholder: f.placeholder,
        'aria-describedby': helpId, oninput: () => { onEdit(); preview(); } });
      const tree = f.type === 'categories' ? el('div', { class: 'tree-preview', 'aria-live': 'polite' }) : null;
      const preview = () => {
        if (!tree) return;
        const nodes = parseCategories(a.value);
        const list = (ns) => el('ul', null, ...ns.map((n) => el('li', { class: [n.duplicate && 'duplicate', n.orphan && 'orphan'].filter(Boolean).join(' ') || null },
          n.name, n.duplicate ? el('span', { class: 'badge warn', text: t('settings.treeDuplicate') }) : null,
          n.orphan ? el('span', { class: 'badge warn', text: t('settings.treeOrphan') }) : null,
          n.children && n.children.length ? list(n.children) : null)));
        tree.replaceChildren(el('p', { class: 'tree-title', text: t('settings.treePreview') }), nodes.length ? list(nodes) : el('p', { class: 'hint', text: t('settings.treeEmpty') }));
      };
      wrap.append(label, a, error, help);
      if (tree) wrap.append(tree);
      field.set = (v) => { a.value = f.type === 'urls' ? (v || []).join('\n') : v || ''; preview(); };
      field.value = () => (f.type === 'urls' ? a.value.split('\n').map((x) => x.trim()).filter(Boolean) : a.value);
      field.focus = () => a.focus();
      break;
    }
    case 'languageTexts': {
      // One text per language; the object sent holds every language, an
      // empty one meaning "use the main text".
      const areas = f.options.map((lang, n) => {
        const a = el('textarea', { id: n ? `${id}-${lang}` : id, name: `${f.key}.${lang}`, rows: 2, maxlength: f.max,
          'aria-describedby': helpId, dataset: { lang }, oninput: onEdit });
        return { lang, a, row: el('div', { class: 'language-text' },
          el('label', { for: a.id, class: 'language', text: tr((f.optionLabels || {})[lang]) || lang }), a) };
      });
      wrap.append(el('span', { class: 'label', id: id + '-label', text: tr(f.label) }), ...areas.map((x) => x.row), error, help);
      field.set = (v) => { for (const x of areas) x.a.value = (v || {})[x.lang] || ''; };
      field.value = () => Object.fromEntries(areas.map((x) => [x.lang, x.a.value]));
      field.focus = () => areas[0].a.focus();
      break;
    }
    case 'bool': {
      const c = input({ type: 'checkbox', onchange: onEdit });
      wrap.append(el('label', { class: 'check', for: id }, c, ' ', el('span', { text: tr(f.label) })), error, help);
      field.set = (v) => { c.checked = !!v; };
      field.value = () => c.checked;
      field.focus = () => c.focus();
      break;
    }
    case 'select': {
      const s = el('select', { id, name: f.key, 'aria-describedby': helpId, onchange: onEdit },
        ...f.options.map((o) => el('option', { value: o, text: tr((f.optionLabels || {})[o]) || o })));
      wrap.append(label, s, error, help);
      field.set = (v) => { s.value = v || f.options[0]; };
      field.value = () => s.value;
      field.focus = () => s.focus();
      break;
    }
    case 'secret': secretField(field, f, { id, helpId, label, error, help, ctx }); break;
    case 'generated': generatedField(field, f, { id, helpId, label, error, help, ctx }); break;
    case 'copy': {
      const i = input({ type: 'text', readonly: true });
      const note = el('span', { class: 'copied', role: 'status' });
      wrap.append(label, el('div', { class: 'with-button' }, i, el('button', { type: 'button', class: 'copy', text: t('settings.copy'),
        onclick: () => copy(i.value, note) }), note), error, help);
      field.set = (v) => { i.value = v || t('settings.notAvailable'); };
      field.sent = false;
      break;
    }
    case 'image': imageField(field, f, { id, helpId, label, error, help, ctx }); break;
    default:
      wrap.append(label, el('p', { class: 'error', text: 'unknown field type ' + f.type }));
  }
  return field;
}

// copy puts text on the clipboard and says so beside the button.
async function copy(text, note) {
  let done = false;
  try { await navigator.clipboard.writeText(text); done = true; } catch (e) {
    // Without clipboard permission: select it in a scratch field and copy.
    const scratch = el('textarea', { class: 'sr-only' });
    scratch.value = text;
    document.body.append(scratch);
    scratch.select();
    try { done = document.execCommand('copy'); } catch (e2) { done = false; }
    scratch.remove();
  }
  note.textContent = done ? t('settings.copied') : t('settings.copyFailed');
}

// secretField shows a secret masked as the API reads it, never the secret
// itself. "Replace" opens an empty password field for a new value; "Remove"
// clears it (which disconnects its service); "Keep" undoes either.
function secretField(field, f, { id, helpId, label, error, help, ctx }) {
  const masked = el('code', { class: 'masked' });
  const i = el('input', { id, name: f.key, type: 'password', autocomplete: 'new-password', 'aria-describedby': helpId, hidden: true, oninput: () => ctx.edited() });
  const state = el('span', { class: 'hint' });
  const replace = el('button', { type: 'button', class: 'replace', text: t('settings.replace') });
  const remove = el('button', { type: 'button', class: 'remove', text: t('settings.remove') });
  const keep = el('button', { type: 'button', class: 'keep', text: t('settings.keep'), hidden: true });
  let stored = '';
  let mode = 'keep'; // keep | replace | remove
  const render = () => {
    masked.textContent = stored || t('settings.notSet');
    masked.hidden = mode === 'replace';
    i.hidden = mode !== 'replace';
    replace.hidden = mode === 'replace';
    remove.hidden = mode !== 'keep' || !stored;
    keep.hidden = mode === 'keep';
    state.textContent = mode === 'remove' ? t('settings.willRemove') : '';
  };
  replace.addEventListener('click', () => { mode = 'replace'; i.value = ''; render(); i.focus(); ctx.edited(); });
  remove.addEventListener('click', () => { mode = 'remove'; render(); ctx.edited(); });
  keep.addEventListener('click', () => { mode = 'keep'; i.value = ''; render(); ctx.edited(); });
  field.el.append(label, el('div', { class: 'with-button' }, masked, i, replace, remove, keep, state), error, help);
  field.set = (v) => { stored = v || ''; mode = 'keep'; i.value = ''; render(); };
  field.value = () => (mode === 'remove' ? '' : mode === 'replace' && i.value !== '' ? i.value : undefined);
  // What was typed survives a reload after a 412 (see keepTyped).
  field.restore = (v) => { if (v === '') mode = 'remove'; else if (v !== undefined) { mode = 'replace'; i.value = v; } render(); };
  field.focus = () => (mode === 'replace' ? i.focus() : replace.focus());
  render();
}

// generatedField is a secret the service makes (the private key, VK's
// secret key): masked, with "Regenerate", whose answer is the one time the
// new key is shown, with a button to copy it.
function generatedField(field, f, { id, label, error, help, ctx }) {
  const masked = el('code', { class: 'masked', id });
  const regen = el('button', { type: 'button', class: 'regenerate', text: t('settings.regenerate') });
  const shown = el('div', { class: 'new-secret', hidden: true, role: 'status' });
  regen.addEventListener('click', async () => {
    if (!window.confirm(t('settings.regenerateConfirm', { name: tr(f.label) }))) return;
    error.textContent = '';
    const r = await ctx.post(f.regenerate);
    if (r.signedOut) return;
    if (r.status !== 200) { error.textContent = ctx.errorOf(r, t('settings.notSaved')); return; }
    const secret = r.data[f.returns];
    ctx.adopt(r.etag);
    masked.textContent = '••••' + secret.slice(-4);
    const note = el('span', { class: 'copied', role: 'status' });
    const code = el('code', { class: 'secret', text: secret });
    shown.replaceChildren(el('p', { text: t('settings.newSecretOnce') }), code,
      el('button', { type: 'button', class: 'copy', text: t('settings.copy'), onclick: () => copy(secret, note) }), note);
    shown.hidden = false;
  });
  field.el.append(label, el('div', { class: 'with-button' }, masked, regen), shown, error, help);
  field.set = (v) => { masked.textContent = v || t('settings.notSet'); };
  field.sent = false;
}

// imageField previews an image and uploads a new one at once, as its own
// bytes (PUT), or deletes it: no logo, or back to the default avatar.
function imageField(field, f, { id, helpId, label, error, help, ctx }) {
  const preview = el('div', { class: 'image-preview' });
  const file = el('input', { id, name: f.key, type: 'file', accept: f.accept, 'aria-describedby': helpId });
  const del = el('button', { type: 'button', class: 'delete-image', text: f.default ? t('settings.resetDefault') : t('settings.deleteImage') });
  const status = el('span', { class: 'hint', role: 'status' });
  const path = '/v1/settings/' + f.key.replace('.', '/').replace(/([A-Z])/g, (m) => '-' + m.toLowerCase());
  const show = (url) => {
    if (url) preview.replaceChildren(el('img', { src: url, alt: tr(f.label), class: 'uploaded' }));
    else preview.replaceChildren(el('span', { class: 'none', text: f.default ? t('settings.defaultAvatar') : t('settings.noImage') }));
    del.hidden = !url;
  };
  const done = (r, text) => {
    if (r.signedOut) return;
    file.value = '';
    const fields = (r.data && r.data.error && r.data.error.fields) || {};
    if (r.status !== 200) { error.textContent = fields[f.key] || ctx.errorOf(r, t('settings.notSaved')); status.textContent = ''; return; }
    error.textContent = '';
    ctx.adopt(r.etag);
    show(getPath(r.data, f.urlKey));
    status.textContent = text;
  };
  file.addEventListener('change', async () => {
    const picked = file.files && file.files[0];
    if (!picked) return;
    status.textContent = t('settings.uploading');
    done(await ctx.send('PUT', path, picked), t('settings.imageSaved'));
  });
  del.addEventListener('click', async () => done(await ctx.send('DELETE', path), t('settings.imageRemoved')));
  field.el.append(label, preview, el('div', { class: 'with-button' }, file, del, status), error, help);
  // set gets the whole section, where the image's URL key is.
  field.set = (_, section) => show(getPath(section, f.urlKey));
  field.sent = false;
}

// createSettings makes the settings view inside root: a menu of the
// sections and the shown section's page. navigate(section) opens another
// section through the console's router (#/settings/<section>), which asks
// leave() first; without it the menu opens the section itself.
// attachTimezones (timezone.js) makes the time zone field searchable.
export function createSettings({ root, api, errorOf, isAdmin, navigate, attachTimezones }) {
  const menu = root.querySelector('#settings-nav');
  const holder = root.querySelector('#settings-page');
  const dialog = root.querySelector('#lockout-dialog');
  const title = root.querySelector('#settings-title');
  let description = null;
  let page = null; // { id, form, fields, etag, baseline, dirty() }

  async function loadDescription() {
    if (description) return description;
    const base = new URL('settings-fields.json', import.meta.url);
    description = (await (await fetch(base, { cache: 'no-cache' })).json()).sections;
    return description;
  }

  function renderMenu(active) {
    menu.replaceChildren(...description.map((s) => el('button', { type: 'button', dataset: { section: s.id }, 'aria-current': String(s.id === active),
      text: tr(s.title), onclick: () => { if (s.id === active) return; if (navigate) navigate(s.id); else open(s.id, true); } })));
  }

  // bodyOf is what a save sends: every field that is sent, nested as the
  // read form nests it.
  function bodyOf(p) {
    const body = {};
    for (const f of p.fields) {
      if (!f.sent) continue;
      const v = f.value();
      if (v !== undefined) setPath(body, f.key, v);
    }
    return body;
  }
  const snapshot = (p) => JSON.stringify(bodyOf(p));

  function say(p, text, isError) {
    p.status.textContent = text;
    p.status.classList.toggle('error', !!isError);
  }
  function showFieldErrors(p, fields) {
    p.form.querySelectorAll('.field-error').forEach((e) => { e.textContent = (fields && fields[e.dataset.field]) || ''; });
    const first = p.fields.find((f) => fields && fields[f.key] && f.focus);
    if (first) first.focus();
  }
  function fill(p, data) {
    p.data = data;
    for (const f of p.fields) f.set(getPath(data, f.key), data);
    p.baseline = snapshot(p);
  }

  // A page of fields for one section.
  function sectionPage(s) {
    const p = { id: s.id, fields: [], etag: null, baseline: '' };
    const ctx = {
      edited: () => { if (p.status) say(p, ''); },
      attachTimezones,
      errorOf,
      post: (path) => api('POST', path),
      send: (method, path, body) => api(method, path, body),
      // adopt takes the ETag of a save made by an action of this page (an
      // image, a regenerated key) when it is the very next version: one
      // after another administrator's save would make a later save of the
      // form overwrite what this page never showed.
      adopt: (etag) => { if (versionOf(etag) === versionOf(p.etag) + 1) p.etag = etag; },
    };
    const groups = s.groups.map((g) => {
      const fields = g.fields.map((f) => makeField(f, ctx));
      p.fields.push(...fields);
      return el('fieldset', { class: 'settings-group', dataset: { group: g.id || s.id } },
        g.title ? el('legend', { text: tr(g.title) }) : null, ...fields.map((f) => f.el), groupExtras[g.id] ? groupExtras[g.id](ctx) : null);
    });
    p.conflict = el('div', { class: 'conflict', role: 'alert', hidden: true },
      el('p', { text: t('settings.conflict') }),
      el('button', { type: 'button', class: 'reload', text: t('settings.reload'), onclick: () => reload(p) }));
    p.status = el('p', { class: 'status', role: 'status', id: s.id + '-status' });
    p.fieldset = el('fieldset', { id: s.id + '-fields', disabled: true }, ...groups, p.conflict,
      el('button', { type: 'submit', class: 'save', text: t('settings.save') }));
    p.form = el('form', { id: s.id + '-form', class: 'settings-form', novalidate: true, dataset: { section: s.id },
      onsubmit: (ev) => { ev.preventDefault(); save(p); } },
    el('h3', { text: tr(s.title) }), el('p', { class: 'intro', text: tr(s.intro) }), p.fieldset, p.status);
    p.dirty = () => !!p.loaded && snapshot(p) !== p.baseline;
    return p;
  }

  async function load(p) {
    const r = await api('GET', '/v1/settings/' + p.id);
    if (r.signedOut || page !== p) return null;
    if (r.status !== 200) { say(p, errorOf(r, t('settings.loadFailed')), true); return null; }
    return r;
  }

  async function save(p, confirmed) {
    if (!isAdmin()) return;
    say(p, t('settings.saving'));
    const headers = p.etag ? { 'if-match': p.etag } : {};
    const r = await api('PATCH', '/v1/settings/' + p.id + (confirmed ? '?confirm=lockout' : ''), bodyOf(p), headers);
    if (r.signedOut) return;
    const err = (r.data && r.data.error) || {};
    if (r.status === 200) {
      p.etag = r.etag;
      fill(p, r.data);
      showFieldErrors(p, {});
      p.conflict.hidden = true;
      say(p, t('settings.saved'));
      return;
    }
    if (r.status === 412) {
      p.conflict.hidden = false;
      say(p, t('settings.notSaved'), true);
      return;
    }
    showFieldErrors(p, err.fields);
    say(p, t('settings.notSaved') + ' ' + errorOf(r, ''), true);
    if (r.status === 422 && err.confirm === 'lockout') askLockout(p, (err.fields || {})['security.allowedIps'] || err.message);
  }

  // askLockout asks, in a dialog of its own, whether to save an address
  // list that shuts this administrator out; only an explicit yes saves.
  function askLockout(p, why) {
    dialog.querySelector('.why').textContent = why || '';
    dialog.returnValue = '';
    const done = () => {
      dialog.removeEventListener('close', done);
      if (dialog.returnValue === 'confirm' && page === p) save(p, true);
    };
    dialog.addEventListener('close', done);
    dialog.showModal();
  }

  // reload reads the section again after a 412, keeping every field the
  // person changed as they typed it and taking the others as saved now.
  async function reload(p) {
    const mine = JSON.parse(snapshot(p));
    const before = JSON.parse(p.baseline);
    const r = await load(p);
    if (!r) return;
    p.etag = r.etag;
    const typed = p.fields.filter((f) => f.sent).map((f) => [f, getPath(mine, f.key), getPath(before, f.key)]);
    fill(p, r.data);
    for (const [f, v, old] of typed) {
      if (JSON.stringify(v) === JSON.stringify(old)) continue;
      if (f.restore) f.restore(v); else f.set(v);
    }
    p.conflict.hidden = true;
    say(p, t('settings.reloaded'));
  }

  async function open(id, byPerson) {
    await loadDescription();
    const s = description.find((x) => x.id === id) || description[0];
    if (page && page.id === s.id) return;
    if (byPerson && !leave()) return;
    renderMenu(s.id);
    title.textContent = t('settings.title', { section: tr(s.title).toLowerCase() });
    if (s.page === 'templates') {
      page = { id: s.id, dirty: () => templates && templates.dirty() };
      const box = el('div', { class: 'settings-form', id: 'settings-templates' }, el('h3', { text: tr(s.title) }), el('p', { class: 'intro', text: tr(s.intro) }));
      holder.replaceChildren(box);
      templates = createTemplates({ root: box, api, errorOf, level: 'global', editable: isAdmin() });
      templates.show();
    } else {
      const p = sectionPage(s);
      page = p;
      holder.replaceChildren(p.form);
      const r = await load(p);
      if (!r) return;
      p.etag = r.etag;
      fill(p, r.data);
      p.loaded = true;
      // Only administrators change settings; supervisors read them.
      p.fieldset.disabled = !isAdmin();
      p.form.dataset.loaded = 'true';
    }
  }
  let templates = null;

  // leave says whether the shown page may be left: with unsaved changes
  // the person is asked first.
  function leave() {
    if (page && page.dirty() && !window.confirm(t('settings.unsaved'))) return false;
    // Left: the next show reads the section afresh.
    if (page) page.left = true;
    return true;
  }
  window.addEventListener('beforeunload', (ev) => {
    if (page && root.isConnected && page.dirty()) { ev.preventDefault(); ev.returnValue = ''; }
  });

  return {
    // show opens a section's page (the first when none is named); the page
    // is read afresh each time.
    // A page still shown (not left) is kept as it is, with whatever was
    // typed in it; any other is read afresh.
    show(section) {
      if (page && !page.left && (!section || section === page.id)) return Promise.resolve();
      const id = section || (page && page.id) || 'company';
      page = null;
      return open(id, false);
    },
    leave,
    current: () => (page ? page.id : null),
    dirty: () => !!(page && page.dirty()),
    translated() { if (page && root.isConnected && !page.dirty()) { const id = page.id; page = null; open(id, false); } else if (description && page) renderMenu(page.id); },
    reset() { page = null; templates = null; holder.replaceChildren(); menu.replaceChildren(); },
  };
}

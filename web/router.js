// The console's views by address. Every view has a hash route of its own
// (#/people, #/history, #/settings/company, ...), so the back button moves
// between views, a reload stays on the view and a link can point at one.
// A page in a file of its own registers itself here; console.js imports the
// file and shows the view when its route is asked for:
//
//   import { registerView } from './router.js';
//   registerView('settings/company', (root, ctx) => { ... }, { roles: ['administrator'] });
//
// mount(root, ctx) runs every time the view is shown. root is the view's
// own <section>, kept while the console runs (empty at first and again
// after a sign-out), so a page may build its elements once and refresh
// them on each mount. ctx gives what every page needs:
//   api(method, path, body, headers) -> { status, data, etag, signedOut }
//   user() (the signed-in person), isAdmin(), role()
//   errorOf(r, fallback), showErrors(form, fields), fieldsOf(r)
//   params: the route's segments past the view's name (#/people/42 -> ['42'])
//   navigate(route), href(route)
//   signedIn(data) after a sign-in or a sign-up's answer (public views)
// mount may return (or resolve to) an object with
//   leave(): false to stay on the view (an unsaved-changes guard; it may ask
//     the person first), anything else to let them go;
//   translated(): re-write what the code wrote, after a language change;
//   reset(): forget what was shown, at sign-out.
// Options: roles (who may open it; others land on their home view), public
// (shown without a session: the sign-in, the sign-up).
const views = new Map();

export function registerView(name, mount, options = {}) {
  views.set(name, { name, mount, roles: options.roles || null, public: !!options.public, section: options.section || null });
}

// find is the registered view of a route: the longest registered prefix of
// its segments, the rest being its params.
export function find(route) {
  const parts = route.split('/').filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    const v = views.get(parts.slice(0, n).join('/'));
    if (v) return { view: v, params: parts.slice(n).map(decodeURIComponent) };
  }
  return null;
}

// routeOf is the route of an address's hash: '#/settings/company' ->
// 'settings/company'; '' for none.
export function routeOf(hash) {
  const m = /^#\/?([^?]*)/.exec(hash || '');
  return m ? m[1].replace(/\/+$/, '') : '';
}

export function href(route) { return '#/' + route; }

export function all() { return Array.from(views.values()); }

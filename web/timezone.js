// A searchable time zone field: attachTimezones(input) offers every IANA
// zone the browser knows (Intl.supportedValuesOf('timeZone')), each with its
// UTC offset now, through a <datalist>, so typing "Yekat" or "New_Y" finds
// the zone. The input stays a text field: the API validates what is saved
// (settings.ParseTimezone) and its refusal shows beside the field as for
// any other. Used by the Company settings page for company.timezone:
//
//   import { attachTimezones } from './timezone.js';
//   attachTimezones(form.elements.timezone);

// zones lists the browser's IANA zones, UTC included, sorted.
export function zones() {
  let list = [];
  try { list = Intl.supportedValuesOf('timeZone'); } catch (e) { list = []; }
  const all = new Set(list);
  all.add('UTC');
  all.add('Europe/Moscow'); // the default, whatever the browser's list
  return Array.from(all).sort();
}

// offsetOf is zone's offset from UTC at the moment at, as "UTC+03:00"; ''
// when the browser cannot tell.
export function offsetOf(zone, at = new Date()) {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at).find((p) => p.type === 'timeZoneName');
    if (!part) return '';
    return part.value === 'GMT' ? 'UTC+00:00' : part.value.replace(/^GMT/, 'UTC');
  } catch (e) {
    return '';
  }
}

let counter = 0;

// attachTimezones gives input the list of zones to pick from and returns
// it. One datalist per input, beside it.
export function attachTimezones(input) {
  if (input.list) return input;
  const list = document.createElement('datalist');
  list.id = 'timezones-' + ++counter;
  const now = new Date();
  for (const z of zones()) {
    const o = document.createElement('option');
    o.value = z;
    o.label = offsetOf(z, now);
    list.append(o);
  }
  input.setAttribute('list', list.id);
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.after(list);
  return input;
}

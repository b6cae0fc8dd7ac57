package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"parley/internal/apperr"
)

// MaxBodyBytes bounds a section write; the largest section (the categories
// text, the allowed IPs) stays far below it.
const MaxBodyBytes = 256 << 10

// ConfirmLockout is the confirmation (?confirm=lockout, and the error
// body's "confirm") that saves an allowedIps list excluding the caller.
const ConfirmLockout = "lockout"

// WriteContext is what a write needs to know besides the body.
type WriteContext struct {
	// Plan is the account's plan; categories need PlanCorporate.
	Plan string
	// SourceIP is the caller's address, for the self-lockout check of
	// security.allowedIps. Empty counts as not in any list.
	SourceIP string
	// ConfirmSelfLockout saves an allowedIps list that excludes SourceIP.
	// The client sets it only after the user confirmed, explicitly.
	ConfirmSelfLockout bool
	// AllowLoopback accepts webhook URLs whose host is a loopback literal
	// (127.0.0.1, [::1]): the local stack only, as outbound.Options.
	AllowLoopback bool
	// View is how the caller's reads are built: derived read-only keys sent
	// back (integration.vk.callbackUrl, company.logoUrl…) are accepted when
	// they equal what a read shows.
	View ViewContext
}

// Change is one changed dotted key, for the audit trail. Secrets are
// masked in Old and New, as in the read form.
type Change struct {
	Key string `json:"key"`
	Old any    `json:"old"`
	New any    `json:"new"`
}

// Put replaces one section with body, a JSON object with the section's keys
// as the read form shows them. Keys the body leaves out take their default,
// except secrets, which keep their stored value (clients that never saw a
// secret leave it out; an empty string clears it), and keys that are not
// written here (generated secrets, derived keys, images), which never
// change through Put. See Patch for everything else.
func (d Document) Put(section string, body []byte, w WriteContext) (Document, []Change, error) {
	return d.write(section, body, w, true)
}

// Patch merges body into one section with JSON merge-patch semantics (RFC
// 7396): keys the body leaves out keep their value, null resets a key to
// its default (an object of a group, e.g. "telegram": null, resets the
// group), other values replace.
//
// For both Put and Patch: a masked secret sent back exactly as read keeps
// the stored secret, a new clear value replaces it; generated secrets and
// derived keys (classification.categoryTree, integration.vk.callbackUrl,
// company.logoUrl, leads.inviteAvatarUrl) are ignored when they equal what
// a read shows and refused otherwise. After the merge, the whole section
// must satisfy SPEC §2 (e.g. company.name and every emails list are
// required in a section that is written, even if the body did not touch
// them).
//
// It returns the new document and the changed keys, or the receiver
// unchanged and an error: apperr NotFound for an unknown section; TooLarge
// for a body over MaxBodyBytes; Forbidden when categories are set on a plan
// other than PlanCorporate; Invalid with one message per offending dotted
// key (unknown keys included), all of them collected.
func (d Document) Patch(section string, body []byte, w WriteContext) (Document, []Change, error) {
	return d.write(section, body, w, false)
}

func (d Document) write(section string, body []byte, w WriteContext, replace bool) (Document, []Change, error) {
	root, ok := schema.sections[section]
	if !ok {
		return d, nil, apperr.New(apperr.NotFound, "there is no settings section %q", section)
	}
	if len(body) > MaxBodyBytes {
		return d, nil, apperr.New(apperr.TooLarge, "the request body is larger than %d KB", MaxBodyBytes>>10)
	}
	obj, err := decodeObject(body)
	if err != nil {
		return d, nil, err
	}
	st := &writeState{
		old:      d,
		new:      d.clone(),
		ctx:      w,
		defaults: Defaults(d.Company.Language),
		errs:     map[string]string{},
		present:  map[*field]bool{},
	}
	st.walk(root, obj)
	if replace {
		for _, f := range schema.leaves[section] {
			if !st.present[f] && (f.kind == kindPlain || f.kind == kindURLSecret) {
				st.reset(f)
			}
		}
	}
	st.checkDerived()
	st.checkSection(section)
	if err := st.checkPlan(section); err != nil {
		return d, nil, err
	}
	if len(st.errs) > 0 {
		err := apperr.Fields(st.errs)
		if st.lockout && len(st.errs) == 1 {
			// Only the confirmation is missing: say so in a form the
			// console reads, whatever language the message is in.
			err.(*apperr.Error).Confirm = ConfirmLockout
		}
		return d, nil, err
	}
	return st.new, diff(schema.leaves[section], &d, &st.new), nil
}

// decodeObject reads a body that must be exactly one JSON object.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, apperr.New(apperr.Invalid, "the body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, apperr.New(apperr.Invalid, "the body must be a single JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, apperr.New(apperr.Invalid, "the body must be a JSON object")
	}
	return obj, nil
}

// writeState is one write in progress: new starts as a copy of old and
// receives every accepted value; errs collects every refusal.
type writeState struct {
	// lockout is set when security.allowedIps was refused only for
	// shutting the caller out.
	lockout  bool
	old, new Document
	ctx      WriteContext
	defaults Document
	errs     map[string]string
	present  map[*field]bool
	derived  []sentValue
}

type sentValue struct {
	f   *field
	raw any
}

func (st *writeState) fail(key, msg string) {
	if _, ok := st.errs[key]; !ok {
		st.errs[key] = msg
	}
}

func (st *writeState) walk(n *node, obj map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		raw := obj[k]
		child := n.children[k]
		if child == nil {
			st.fail(n.key+"."+k, "unknown key")
			continue
		}
		if child.field != nil {
			st.present[child.field] = true
			st.apply(child.field, raw)
			continue
		}
		switch v := raw.(type) {
		case nil:
			st.resetGroup(child)
		case map[string]any:
			st.walk(child, v)
		default:
			st.fail(child.key, "must be an object")
		}
	}
}

// resetGroup is a group set to null: every key a client may write goes back
// to its default; generated and derived keys are not the client's to
// reset.
func (st *writeState) resetGroup(n *node) {
	if n.field != nil {
		if n.field.writable() {
			st.present[n.field] = true
			st.reset(n.field)
		}
		return
	}
	for _, c := range n.children {
		st.resetGroup(c)
	}
}

func (st *writeState) reset(f *field) {
	f.set(&st.new, normalizeForSet(f.get(&st.defaults)))
}

// normalizeForSet copies a default so the new document never shares a list
// with the defaults document.
func normalizeForSet(v any) any {
	if l, ok := v.([]string); ok {
		return cloneList(l)
	}
	return v
}

func (st *writeState) apply(f *field, raw any) {
	switch f.kind {
	case kindImage:
		st.fail(f.key, "cannot be set here: "+f.hint)
	case kindDerived:
		// Checked once every other key is applied: categoryTree may match
		// the new categories rather than the stored ones.
		st.derived = append(st.derived, sentValue{f, raw})
	case kindGenerated:
		stored := f.get(&st.old).(string)
		if s, ok := raw.(string); ok && (s == stored || s == Mask(stored)) {
			return
		}
		if raw == nil && stored == "" {
			return
		}
		st.fail(f.key, "is generated by the service and cannot be set: "+f.hint)
	case kindSecret:
		if raw == nil {
			st.reset(f)
			return
		}
		s, ok := raw.(string)
		if !ok {
			st.fail(f.key, "must be a string")
			return
		}
		stored := f.get(&st.old).(string)
		switch {
		case stored != "" && s == Mask(stored):
			f.set(&st.new, stored)
		case strings.TrimSpace(s) == "":
			f.set(&st.new, "")
		case looksMasked(s):
			st.fail(f.key, "looks like a masked value that does not match the stored secret: send the secret itself, or the value exactly as read to keep it")
		default:
			st.parse(f, raw)
		}
	case kindURLSecret:
		if raw == nil {
			st.reset(f)
			return
		}
		stored := f.get(&st.old).(string)
		if s, ok := raw.(string); ok && stored != "" && s == maskURLPassword(stored) {
			f.set(&st.new, stored)
			return
		}
		st.parse(f, raw)
	default:
		if raw == nil {
			st.reset(f)
			return
		}
		st.parse(f, raw)
	}
}

func (st *writeState) parse(f *field, raw any) {
	v, err := f.parse(raw)
	if err != nil {
		st.fail(f.key, messageOf(err))
		return
	}
	f.set(&st.new, v)
}

func (st *writeState) checkDerived() {
	for _, s := range st.derived {
		if jsonEqual(s.raw, s.f.derive(st.old, st.ctx.View)) || jsonEqual(s.raw, s.f.derive(st.new, st.ctx.View)) {
			continue
		}
		st.fail(s.f.key, "is read-only: "+s.f.hint)
	}
}

// checkSection applies the rules that span keys, on the section as it
// would be saved.
func (st *writeState) checkSection(section string) {
	n := &st.new
	switch section {
	case SectionCompany:
		if n.Company.Name == "" {
			st.fail("company.name", "is required")
		}
	case SectionEmails:
		for key, l := range map[string][]string{
			"emails.leftMessages":    n.Emails.LeftMessages,
			"emails.negativeReviews": n.Emails.NegativeReviews,
			"emails.dailyReports":    n.Emails.DailyReports,
		} {
			if len(l) == 0 {
				st.fail(key, "at least one address is required")
			}
		}
	case SectionClassification:
		if n.Classification.Required && len(n.Classification.Tree()) == 0 {
			st.fail("classification.required", "needs at least one category: otherwise no chat could be closed")
		}
	case SectionAutoMessages:
		a := n.AutoMessages
		if (a.FirstResponseTimeout > 0 || a.AnswerTimeout > 0) && a.BusyMessage == "" {
			st.fail("autoMessages.busyMessage", "is required while a timeout is on (set both timeouts to 0 to send none)")
		}
	case SectionIntegration:
		i := n.Integration
		st.checkWebhookHosts()
		st.together("Zendesk", []keyValue{
			{"integration.zendesk.subdomain", i.Zendesk.Subdomain},
			{"integration.zendesk.login", i.Zendesk.Login},
			{"integration.zendesk.apiToken", i.Zendesk.APIToken},
		}, nil)
		st.together("amoCRM", []keyValue{
			{"integration.amocrm.account", i.AmoCRM.Account},
			{"integration.amocrm.email", i.AmoCRM.Email},
			{"integration.amocrm.apiKey", i.AmoCRM.APIKey},
		}, nil)
		st.together("Zoho CRM", []keyValue{
			{"integration.zoho.email", i.Zoho.Email},
			{"integration.zoho.password", i.Zoho.Password},
		}, []string{i.Zoho.AuthToken, i.Zoho.LeadSource})
		st.together("Unisender", []keyValue{
			{"integration.unisender.apiKey", i.Unisender.APIKey},
			{"integration.unisender.listName", i.Unisender.ListName},
		}, nil)
	case SectionSecurity:
		st.checkLockout()
	}
}

type keyValue struct{ key, value string }

// together enforces that a service is either off (every key empty) or
// configured (every required key set); optional values count as "on" too.
func (st *writeState) together(service string, required []keyValue, optional []string) {
	on := slices.ContainsFunc(optional, func(s string) bool { return s != "" })
	for _, kv := range required {
		on = on || kv.value != ""
	}
	if !on {
		return
	}
	for _, kv := range required {
		if kv.value == "" {
			st.fail(kv.key, "is required to connect "+service+" (clear every key to disconnect it)")
		}
	}
}

// checkLockout refuses, unless confirmed, a new allowlist that would shut
// the caller out of the console at once: support would have to unlock the
// account (the source product's documented failure mode).
func (st *writeState) checkLockout() {
	const key = "security.allowedIps"
	if _, failed := st.errs[key]; failed || st.new.Security.AllowedIPs == st.old.Security.AllowedIPs || st.ctx.ConfirmSelfLockout {
		return
	}
	ranges, err := st.new.Security.Ranges()
	if err != nil || ranges.Allows(st.ctx.SourceIP) {
		return
	}
	addr := st.ctx.SourceIP
	if addr == "" {
		addr = "unknown"
	}
	st.lockout = true
	st.fail(key, "the list does not include your current address ("+addr+"): saving it would lock you out of the console. Add your address, or confirm that you want to save it anyway")
}

// checkPlan refuses categories outside the Corporate plan. Putting back the
// stored text and clearing it stay possible, so an account that left the
// plan can still save the section and remove its categories.
func (st *writeState) checkPlan(section string) error {
	if section != SectionClassification || st.ctx.Plan == PlanCorporate {
		return nil
	}
	c := st.new.Classification.Categories
	if c == st.old.Classification.Categories || strings.TrimSpace(c) == "" {
		return nil
	}
	const msg = "chat categories are available only on the Corporate plan"
	return &apperr.Error{Code: apperr.Forbidden, Message: msg, Fields: map[string]string{"classification.categories": msg}}
}

// Diff lists every key that differs between two documents, secrets masked,
// in the order of SPEC §2. Put and Patch return it for their section; use
// it for changes made otherwise (images, regenerated secrets).
func Diff(before, after Document) []Change {
	return diff(schema.all, &before, &after)
}

func diff(fs []*field, before, after *Document) []Change {
	changes := []Change{}
	for _, f := range fs {
		if f.kind == kindDerived {
			continue
		}
		o, n := normalize(f.get(before)), normalize(f.get(after))
		if reflect.DeepEqual(o, n) {
			continue
		}
		changes = append(changes, Change{Key: f.key, Old: readValue(f, o), New: readValue(f, n)})
	}
	return changes
}

// readValue is how a stored value appears to clients and in the audit.
func readValue(f *field, v any) any {
	switch f.kind {
	case kindSecret, kindGenerated:
		return Mask(v.(string))
	case kindURLSecret:
		return maskURLPassword(v.(string))
	}
	return v
}

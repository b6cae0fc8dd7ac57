package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"parley/internal/apperr"
	"parley/internal/settings"
	"parley/internal/webhook"
)

// The Unisender contact export copies every contact of the account's
// history (its identified visitors with an e-mail or phone) into the list,
// in batches of at most UnisenderImportLimit. Each batch is a delivery of
// the webhook engine, so a failed one is retried with back-off and shows
// in the log. A cursor in the export's item says where the next batch
// starts: a batch moves it forward only after Unisender took it, and the
// next batch's delivery is named by the cursor it starts from, so a
// replayed or retried batch is never sent after its successor and none is
// sent twice. Cancelling stops it before the next batch.

// ExportStatus is where an export is.
type ExportStatus string

// The statuses of an export.
const (
	ExportRunning  ExportStatus = "running"
	ExportDone     ExportStatus = "done"
	ExportCanceled ExportStatus = "canceled"
	ExportFailed   ExportStatus = "failed"
)

// Export is an account's contact export (one at a time).
type Export struct {
	AccountID  string
	ID         string
	Status     ExportStatus
	Total      int // the contacts counted when it started
	Done       int
	Cursor     string // the last visitor exported; "" before the first batch
	Error      string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
}

// Contact is one contact of the history.
type Contact struct {
	Name, Email, Phone string
}

// ExportStore declares what the export needs from storage.
type ExportStore interface {
	// StartExport stores a new running export, replacing a finished one:
	// false when one is running.
	StartExport(ctx context.Context, e Export) (bool, error)
	// Export reads the account's export. Errors: apperr.NotFound.
	Export(ctx context.Context, accountID string) (Export, error)
	// AdvanceExport moves the cursor from e.Cursor to next and adds n to
	// Done (finished: the status becomes done), conditional on the export
	// being e.ID, running, at e.Cursor: false when it is not.
	AdvanceExport(ctx context.Context, e Export, next string, n int, finished bool, at time.Time) (bool, error)
	// StopExport sets a running export's status (canceled, failed) and
	// error: false when it was not running.
	StopExport(ctx context.Context, accountID, id string, status ExportStatus, errText string, at time.Time) (bool, error)
	// CountContacts counts the history's contacts.
	CountContacts(ctx context.Context, accountID string) (int, error)
	// Contacts lists at most limit visitors after the cursor (visitor
	// order), those with an e-mail or phone as contacts, and the cursor
	// after them: "" when the history ends there.
	Contacts(ctx context.Context, accountID, after string, limit int) ([]Contact, string, error)
	// PutDelivery stores a delivery (webhook.Store's).
	PutDelivery(ctx context.Context, d webhook.Delivery) (bool, error)
}

type exportBody struct {
	ExportID string `json:"exportId"`
	Cursor   string `json:"cursor"`
}

// batchDelivery is the delivery of the batch that starts at cursor.
func batchDelivery(e Export, cursor string, now time.Time) webhook.Delivery {
	raw, _ := json.Marshal(exportBody{ExportID: e.ID, Cursor: cursor})
	id := webhook.NewID(e.StartedAt, e.AccountID+"|export|"+e.ID+"|"+cursor)
	return webhook.NewPending(e.AccountID, id, UnisenderExport, "", raw, now, now)
}

func (in *Integrations) batchSize() int {
	if n := in.Config.ExportBatch; n > 0 && n <= UnisenderImportLimit {
		return n
	}
	return UnisenderImportLimit
}

func (u *unisender) exportBatch(ctx context.Context, c webhook.Sender, doc settings.Document, d *webhook.Delivery, now time.Time) webhook.Outcome {
	st := u.in.Export
	var b exportBody
	if err := json.Unmarshal(d.Body, &b); err != nil || st == nil {
		return fail("unreadable export batch")
	}
	e, err := st.Export(ctx, d.AccountID)
	if err != nil {
		return retry("reading the export: %v", err)
	}
	if e.ID != b.ExportID || e.Status != ExportRunning {
		return delivered // cancelled or replaced: nothing to send
	}
	if e.Cursor != b.Cursor {
		// This batch went before (its answer was lost): make sure the one
		// after it is queued.
		if _, err := st.PutDelivery(ctx, batchDelivery(e, e.Cursor, now)); err != nil {
			return retry("queueing the next batch: %v", err)
		}
		return delivered
	}
	s := doc.Integration.Unisender
	if !(unisenderService{}).Configured(doc) {
		_, _ = st.StopExport(ctx, e.AccountID, e.ID, ExportFailed, "Unisender is no longer set up", now)
		return fail("Unisender is no longer set up (integration.unisender)")
	}
	contacts, next, err := st.Contacts(ctx, d.AccountID, e.Cursor, u.in.batchSize())
	if err != nil {
		return retry("reading the contacts: %v", err)
	}
	cl := u.caller(c, d, now)
	if len(contacts) > 0 {
		list, o := u.list(ctx, cl, s)
		if o == nil {
			o = u.importContacts(ctx, cl, s.APIKey, list, contacts)
		}
		if o != nil {
			if !o.Retry {
				_, _ = st.StopExport(ctx, e.AccountID, e.ID, ExportFailed, o.Error, now)
			}
			return *o
		}
	}
	ok, err := st.AdvanceExport(ctx, e, next, len(contacts), next == "", now)
	if err != nil {
		return retry("moving the export's cursor: %v", err)
	}
	if ok && next != "" {
		e.Cursor = next
		if _, err := st.PutDelivery(ctx, batchDelivery(e, next, now)); err != nil {
			return retry("queueing the next batch: %v", err)
		}
	}
	return webhook.Outcome{Delivered: true, Status: http.StatusOK}
}

// importContacts sends one batch: field_names email, phone, Name and
// email_list_ids, a data row per contact.
func (u *unisender) importContacts(ctx context.Context, cl caller, key, list string, cs []Contact) *webhook.Outcome {
	form := url.Values{"field_names[0]": {"email"}, "field_names[1]": {"phone"}, "field_names[2]": {"Name"}, "field_names[3]": {"email_list_ids"},
		"double_optin": {"1"}, "overwrite_lists": {"0"}}
	for i, c := range cs {
		row := "data[" + strconv.Itoa(i) + "]"
		form.Set(row+"[0]", c.Email)
		form.Set(row+"[1]", c.Phone)
		form.Set(row+"[2]", c.Name)
		form.Set(row+"[3]", list)
	}
	var res struct {
		Total    int `json:"total"`
		Inserted int `json:"inserted"`
		Updated  int `json:"updated"`
		Invalid  int `json:"invalid"`
	}
	return u.call(ctx, cl, key, "importContacts", form, &res)
}

// Exporter starts, reads and cancels an account's export (the API's).
type Exporter struct {
	Store    ExportStore
	Settings func(ctx context.Context, accountID string) (settings.Document, error)
	Now      func() time.Time
}

// Start begins an export. Errors: apperr.Invalid (Unisender is not set
// up), apperr.Conflict (one is running).
func (x *Exporter) Start(ctx context.Context, accountID string) (Export, error) {
	doc, err := x.Settings(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	if !(unisenderService{}).Configured(doc) {
		return Export{}, &apperr.Error{Code: apperr.Invalid, Message: "set up Unisender first: its API key and list name",
			Fields: map[string]string{"integration.unisender.apiKey": "is required for the export", "integration.unisender.listName": "is required for the export"}}
	}
	total, err := x.Store.CountContacts(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	now := x.Now().UTC()
	e := Export{AccountID: accountID, ID: "exp_" + strconv.FormatInt(now.UnixMicro(), 36), Status: ExportRunning, Total: total, StartedAt: now, UpdatedAt: now}
	ok, err := x.Store.StartExport(ctx, e)
	if err != nil {
		return Export{}, err
	}
	if !ok {
		return Export{}, apperr.New(apperr.Conflict, "an export is running: cancel it or wait for it to finish")
	}
	if _, err := x.Store.PutDelivery(ctx, batchDelivery(e, "", now)); err != nil {
		return Export{}, err
	}
	return e, nil
}

// Get reads the account's latest export. Errors: apperr.NotFound.
func (x *Exporter) Get(ctx context.Context, accountID string) (Export, error) {
	return x.Store.Export(ctx, accountID)
}

// Cancel stops a running export before its next batch. Errors:
// apperr.NotFound, apperr.Conflict (it is not running).
func (x *Exporter) Cancel(ctx context.Context, accountID string) (Export, error) {
	e, err := x.Store.Export(ctx, accountID)
	if err != nil {
		return Export{}, err
	}
	now := x.Now().UTC()
	ok, err := x.Store.StopExport(ctx, accountID, e.ID, ExportCanceled, "", now)
	if err != nil {
		return Export{}, err
	}
	if !ok {
		return Export{}, apperr.New(apperr.Conflict, "the export is not running")
	}
	e.Status, e.UpdatedAt, e.FinishedAt = ExportCanceled, now, now
	return e, nil
}

// Exports is what the API calls: an *Exporter.
type Exports interface {
	Start(ctx context.Context, accountID string) (Export, error)
	Get(ctx context.Context, accountID string) (Export, error)
	Cancel(ctx context.Context, accountID string) (Export, error)
}

package settings

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"parley/internal/apperr"
)

// Stored is an account's settings document as read, with its version (the
// ETag: it increases by one on every write).
type Stored struct {
	Doc     Document
	Version int64
}

// Revision is one write of the document: the new document, who made it
// when, and its changes (secrets masked) for the audit trail.
type Revision struct {
	AccountID string
	Doc       Document
	UpdatedBy string
	UpdatedAt time.Time
	Changes   []Change
}

// ImageFile is an uploaded image's bytes as stored beside the document.
type ImageFile struct {
	ContentType string
	SHA256      string
	Data        []byte
	UpdatedAt   time.Time
}

// AuditEntry is one settings write as the audit trail shows it.
type AuditEntry struct {
	AccountID string
	Version   int64
	At        time.Time
	By        string
	Changes   json.RawMessage // the write's changes, secrets masked
}

// Store is what the settings service needs of storage.
type Store interface {
	// ReadSettings returns the document and its version. Errors:
	// apperr.NotFound.
	ReadSettings(ctx context.Context, accountID string) (Stored, error)
	// WriteSettings stores rev as version expected+1 if the stored version
	// is still expected (0: none yet). Errors: apperr.PreconditionFailed.
	WriteSettings(ctx context.Context, rev Revision, expected int64) (int64, error)
	// WriteSettingsImage is WriteSettings and, in the same transaction,
	// stores img under the setting key (nil deletes it).
	WriteSettingsImage(ctx context.Context, rev Revision, expected int64, key string, img *ImageFile) (int64, error)
	// SettingsImage returns the image of a setting key. Errors: apperr.NotFound.
	SettingsImage(ctx context.Context, accountID, key string) (ImageFile, error)
	// AuditTrail lists audit entries newest first, at most limit, older
	// than version before (0: from the newest).
	AuditTrail(ctx context.Context, accountID string, before int64, limit int32) ([]AuditEntry, error)
	// AccountPlan is the account's plan. Errors: apperr.NotFound.
	AccountPlan(ctx context.Context, accountID string) (string, error)
}

// Service reads and writes an account's settings (SPEC §4.1).
type Service struct {
	Store Store
	Now   func() time.Time
	// PublicBaseURL is the deployment's own base URL (image URLs in reads).
	PublicBaseURL string
	// AllowLoopback accepts webhook URLs on loopback literals: the local
	// stack only (WriteContext).
	AllowLoopback bool
	// Connector (optional) checks and connects what a section write names
	// outside (a Telegram bot) around storing it.
	Connector Connector
	// Log receives what Connector.Stored reports (nil: discarded).
	Log *slog.Logger
}

// Connector is told of every PUT or PATCH that changes the document.
// Check runs before the write is stored: an error (a field error in
// SPEC §5's shape) refuses the write and nothing is stored. Stored runs
// after it was: undoing what the old document had connected; its error is
// only logged, the write stands.
type Connector interface {
	Check(ctx context.Context, accountID string, before, after Document) error
	Stored(ctx context.Context, accountID string, before, after Document) error
}

// Editor is who writes and how: If-Match is the version the client read
// ("" or "*": whatever is stored).
type Editor struct {
	AccountID          string
	PersonID           string
	IfMatch            string
	SourceIP           string
	ConfirmSelfLockout bool
}

// ETag is a version as the API shows it.
func ETag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// AuditPage is how many audit entries one read returns.
const AuditPage = 50

// View is how reads of accountID show URLs.
func (s *Service) View(accountID string) ViewContext {
	return ViewContext{AccountID: accountID, PublicBaseURL: s.PublicBaseURL}
}

// Read returns the account's document and its version.
func (s *Service) Read(ctx context.Context, accountID string) (Document, int64, error) {
	st, err := s.Store.ReadSettings(ctx, accountID)
	return st.Doc, st.Version, err
}

// Document returns the account's document.
func (s *Service) Document(ctx context.Context, accountID string) (Document, error) {
	d, _, err := s.Read(ctx, accountID)
	return d, err
}

// checkIfMatch refuses a write whose If-Match names another version than
// the stored one; no If-Match (or *) means the caller takes what is there.
func checkIfMatch(m string, version int64) error {
	if m == "" || m == "*" || strings.TrimPrefix(m, "W/") == ETag(version) {
		return nil
	}
	return apperr.New(apperr.PreconditionFailed, "the settings were changed since you read them (ETag %s); reload them and try again", ETag(version))
}

// WriteFunc is a PUT or a PATCH of one section (Document.Put, Document.Patch).
type WriteFunc func(d Document, section string, body []byte, w WriteContext) (Document, []Change, error)

// WriteSection applies a PUT or PATCH to one section: all-or-nothing,
// refused with PreconditionFailed when If-Match names an older version,
// and stored only if no other write came in between. Returns the document
// after the write (as read when nothing changed) and its version.
func (s *Service) WriteSection(ctx context.Context, e Editor, section string, body []byte, apply WriteFunc) (Document, int64, error) {
	plan, err := s.Store.AccountPlan(ctx, e.AccountID)
	if err != nil {
		return Document{}, 0, err
	}
	st, err := s.Store.ReadSettings(ctx, e.AccountID)
	if err != nil {
		return Document{}, 0, err
	}
	if err := checkIfMatch(e.IfMatch, st.Version); err != nil {
		return Document{}, 0, err
	}
	wctx := WriteContext{Plan: plan, SourceIP: e.SourceIP, ConfirmSelfLockout: e.ConfirmSelfLockout, View: s.View(e.AccountID), AllowLoopback: s.AllowLoopback}
	next, changes, err := apply(st.Doc, section, body, wctx)
	if err != nil {
		return Document{}, 0, err
	}
	if len(changes) == 0 {
		return st.Doc, st.Version, nil
	}
	if s.Connector != nil {
		if err := s.Connector.Check(ctx, e.AccountID, st.Doc, next); err != nil {
			return Document{}, 0, err
		}
	}
	v, err := s.Store.WriteSettings(ctx, s.revision(e, next, changes), st.Version)
	if err == nil && s.Connector != nil {
		if err := s.Connector.Stored(ctx, e.AccountID, st.Doc, next); err != nil && s.Log != nil {
			s.Log.Warn("settings: disconnecting after a write", "account", e.AccountID, "section", section, "error", err.Error())
		}
	}
	return next, v, err
}

func (s *Service) revision(e Editor, doc Document, changes []Change) Revision {
	return Revision{AccountID: e.AccountID, Doc: doc, UpdatedBy: e.PersonID, UpdatedAt: s.Now().UTC(), Changes: changes}
}

// edit is one change besides PUT and PATCH: the new document, its changes
// for the audit, and, for an image, the bytes to store with it (nil with
// imageKey set deletes them).
type edit struct {
	doc      Document
	changes  []Change
	imageKey string
	image    *ImageFile
}

// editAttempts bounds how often a change is re-applied to a fresh read
// when another write came in between: each round one of the racing
// writers wins, so this many administrators acting at once all succeed.
const editAttempts = 5

// edit reads the document, applies change and stores the result on the
// version it read. A change that does not depend on what the client saw
// (a new image, a regenerated key) is re-applied to a fresh read when
// another write won the race, so two administrators never overwrite each
// other and neither gets a spurious 412. With If-Match the client asked
// for exactly that version: a stale one is 412 and never retried.
func (s *Service) edit(ctx context.Context, e Editor, change func(Document) (edit, error)) (edit, int64, error) {
	pinned := e.IfMatch != "" && e.IfMatch != "*"
	for attempt := 1; ; attempt++ {
		st, err := s.Store.ReadSettings(ctx, e.AccountID)
		if err != nil {
			return edit{}, 0, err
		}
		if err := checkIfMatch(e.IfMatch, st.Version); err != nil {
			return edit{}, 0, err
		}
		ed, err := change(st.Doc)
		if err != nil || len(ed.changes) == 0 {
			return ed, st.Version, err
		}
		rev := s.revision(e, ed.doc, ed.changes)
		var saved int64
		if ed.imageKey != "" {
			saved, err = s.Store.WriteSettingsImage(ctx, rev, st.Version, ed.imageKey, ed.image)
		} else {
			saved, err = s.Store.WriteSettings(ctx, rev, st.Version)
		}
		if apperr.CodeOf(err) == apperr.PreconditionFailed && !pinned && attempt < editAttempts {
			continue
		}
		return ed, saved, err
	}
}

// SetImage stores an uploaded image under a setting key (KeyLogo,
// KeyInviteAvatar), checked by content: Invalid for anything but an
// allowed image of at most 100x100 px, TooLarge above the size cap.
// Returns the document after the write and its version (the same image
// again changes nothing).
func (s *Service) SetImage(ctx context.Context, e Editor, key string, body []byte, contentType string) (Document, int64, error) {
	img, err := NewImage(key, body, contentType)
	if err != nil {
		return Document{}, 0, err
	}
	stored := &ImageFile{ContentType: img.Format.ContentType(), SHA256: img.SHA256, Data: body, UpdatedAt: s.Now().UTC()}
	ed, v, err := s.edit(ctx, e, func(d Document) (edit, error) {
		doc, changes, err := d.SetImage(key, &img)
		return edit{doc: doc, changes: changes, imageKey: key, image: stored}, err
	})
	return ed.doc, v, err
}

// DeleteImage removes an image: no logo, or the default invite avatar.
// Deleting what is not there is not an error.
func (s *Service) DeleteImage(ctx context.Context, e Editor, key string) (Document, int64, error) {
	ed, v, err := s.edit(ctx, e, func(d Document) (edit, error) {
		doc, changes, err := d.SetImage(key, nil)
		return edit{doc: doc, changes: changes, imageKey: key}, err
	})
	return ed.doc, v, err
}

// Regenerate replaces a generated secret (Document.RegeneratePrivateKey
// and the like) and returns it once, in clear, with the new version;
// reads and the audit only ever show it masked.
func (s *Service) Regenerate(ctx context.Context, e Editor, regen func(Document, io.Reader) (Document, string, error)) (string, int64, error) {
	var secret string
	_, v, err := s.edit(ctx, e, func(d Document) (edit, error) {
		doc, sec, err := regen(d, rand.Reader)
		if err != nil {
			return edit{}, err
		}
		secret = sec
		return edit{doc: doc, changes: Diff(d, doc)}, nil
	})
	return secret, v, err
}

// Image returns the bytes of an account's image for the widget. Errors:
// apperr.NotFound when there is none.
func (s *Service) Image(ctx context.Context, accountID, key string) (ImageFile, error) {
	img, err := s.Store.SettingsImage(ctx, accountID, key)
	if apperr.CodeOf(err) == apperr.NotFound {
		return ImageFile{}, apperr.New(apperr.NotFound, "this account has no %s image", key)
	}
	return img, err
}

// Audit is one page of the account's audit trail (AuditPage entries),
// older than version before (0: from the newest).
func (s *Service) Audit(ctx context.Context, accountID string, before int64) ([]AuditEntry, error) {
	return s.Store.AuditTrail(ctx, accountID, before, AuditPage)
}

// ImageURLs are the URLs of the account's logo and invite avatar as
// settings reads show them (nil when there is none).
func (s *Service) ImageURLs(doc Document, accountID string) (logo, inviteAvatar any) {
	v := s.View(accountID)
	company, _ := doc.SectionView(SectionCompany, v)
	leads, _ := doc.SectionView(SectionLeads, v)
	return company["logoUrl"], leads["inviteAvatarUrl"]
}

// HiddenProfiles tells whether an account has features.hiddenProfiles on.
func (s *Service) HiddenProfiles(ctx context.Context, accountID string) (bool, error) {
	d, err := s.Document(ctx, accountID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return false, nil // no settings yet: the default
	}
	return d.Features.HiddenProfiles, err
}

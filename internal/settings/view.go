package settings

import (
	"io"
	"net/url"
	"slices"
	"strings"

	"parley/internal/apperr"
)

// VKCallbackPath is the path of the VK Callback API endpoint; VK must call
// PUBLIC_BASE_URL followed by it, with the account's id in place of
// {accountId}.
const VKCallbackPath = "/v1/channels/vk/{accountId}"

// Default paths of the images, under PUBLIC_BASE_URL, used when
// ViewContext.ImageURL is nil. The widget reads them without a token.
const (
	LogoPath         = "/v1/widget/{accountId}/logo"
	InviteAvatarPath = "/v1/widget/{accountId}/invite-avatar"
)

// ViewContext is what the read form needs besides the document.
type ViewContext struct {
	// AccountID is the account whose document is read.
	AccountID string
	// PublicBaseURL is the deployment's own URL (config PUBLIC_BASE_URL),
	// the base of integration.vk.callbackUrl and of the image URLs.
	PublicBaseURL string
	// ImageURL, when set, gives the URL of an image (key is KeyLogo or
	// KeyInviteAvatar), e.g. on a CDN. When nil, images are served from
	// PublicBaseURL + LogoPath / InviteAvatarPath with ?v= and the start of
	// the image's hash, so a replaced image is never served from a cache.
	ImageURL func(key string, img Image) string
}

func (v ViewContext) imageURL(key string, img *Image) any {
	if img == nil {
		return nil
	}
	if v.ImageURL != nil {
		return nilIfEmpty(v.ImageURL(key, *img))
	}
	path := LogoPath
	if key == KeyInviteAvatar {
		path = InviteAvatarPath
	}
	u := accountURL(v.PublicBaseURL, path, v.AccountID)
	if u == "" {
		return nil
	}
	version := img.SHA256
	if len(version) > 16 {
		version = version[:16]
	}
	return u + "?v=" + url.QueryEscape(version)
}

// VKCallbackURL is integration.vk.callbackUrl: the address VK must call for
// the account. It is "" when either argument is.
func VKCallbackURL(publicBaseURL, accountID string) string {
	return accountURL(publicBaseURL, VKCallbackPath, accountID)
}

func accountURL(base, path, accountID string) string {
	base = strings.TrimRight(base, "/")
	if base == "" || accountID == "" {
		return ""
	}
	return base + strings.ReplaceAll(path, "{accountId}", url.PathEscape(accountID))
}

// View is the read form of the whole document (GET /v1/settings): an
// object of sections, each an object of its keys as SPEC §2 names them,
// integration's services as nested objects. Secrets are masked (Mask; a
// webhook URL's password too), lists are never null, queue limits are a
// number or null, and the derived read-only keys are added:
// classification.categoryTree, integration.vk.callbackUrl,
// company.logoUrl and leads.inviteAvatarUrl (null when there is no image).
// The result marshals to JSON as is.
func (d Document) View(v ViewContext) map[string]any {
	out := make(map[string]any, len(Sections))
	for _, s := range Sections {
		out[s] = d.sectionView(s, v)
	}
	return out
}

// SectionView is one section of View (GET /v1/settings/{section}). Errors:
// apperr NotFound for an unknown section.
func (d Document) SectionView(section string, v ViewContext) (map[string]any, error) {
	if _, ok := schema.sections[section]; !ok {
		return nil, apperr.New(apperr.NotFound, "there is no settings section %q", section)
	}
	return d.sectionView(section, v), nil
}

func (d Document) sectionView(section string, v ViewContext) map[string]any {
	m := map[string]any{}
	for _, f := range schema.leaves[section] {
		var val any
		switch f.kind {
		case kindImage:
			continue
		case kindDerived:
			val = f.derive(d, v)
		default:
			val = readValue(f, normalize(f.get(&d)))
		}
		parts := strings.Split(f.key, ".")[1:]
		at := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := at[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				at[p] = next
			}
			at = next
		}
		at[parts[len(parts)-1]] = val
	}
	return m
}

// RegeneratePrivateKey replaces integration.privateKey with a new secret
// drawn from rand and returns the new document and the key in clear, to be
// shown once (POST /v1/settings/integration/private-key/regenerate). Sites
// must re-sign visitor identification with it. Use Diff for the audit.
func (d Document) RegeneratePrivateKey(rand io.Reader) (Document, string, error) {
	key, err := NewSecret(rand)
	if err != nil {
		return d, "", err
	}
	n := d.clone()
	n.Integration.PrivateKey = key
	return n, key, nil
}

// RegenerateVKSecretKey replaces integration.vk.secretKey like
// RegeneratePrivateKey. The key is returned in clear once, because the
// administrator must copy it into the VK community's settings.
func (d Document) RegenerateVKSecretKey(rand io.Reader) (Document, string, error) {
	key, err := NewSecret(rand)
	if err != nil {
		return d, "", err
	}
	n := d.clone()
	n.Integration.VK.SecretKey = key
	return n, key, nil
}

// RegenerateSigningSecret replaces integration.webhooks.signingSecret like
// RegeneratePrivateKey: receivers must verify with the new one, which is
// returned in clear once.
func (d Document) RegenerateSigningSecret(rand io.Reader) (Document, string, error) {
	key, err := NewSigningSecret(rand)
	if err != nil {
		return d, "", err
	}
	n := d.clone()
	n.Integration.Webhooks.SigningSecret = key
	return n, key, nil
}

// SetImage records an uploaded image (from NewImage) under key (KeyLogo or
// KeyInviteAvatar), or removes it when img is nil (back to no logo, or to
// the default avatar). It returns the new document and the change for the
// audit. Errors: apperr NotFound for an unknown key; Invalid when the
// image's format is not allowed for key.
func (d Document) SetImage(key string, img *Image) (Document, []Change, error) {
	allowed, ok := imageFormats[key]
	if !ok {
		return d, nil, apperr.New(apperr.NotFound, "no image setting %q", key)
	}
	if img != nil && !slices.Contains(allowed, img.Format) {
		return d, nil, apperr.Fields(map[string]string{key: "the format " + string(img.Format) + " is not accepted here"})
	}
	n := d.clone()
	for _, f := range schema.all {
		if f.key == key {
			f.set(&n, clonePtr(img))
		}
	}
	return n, Diff(d, n), nil
}

// Package settings is the per-account settings document of SPEC §2: its
// stored form, its defaults, the rules every key must satisfy, and the read
// form the HTTP API returns (SPEC §5).
//
// There are two forms of the same data:
//
//   - Document is the stored form. The store persists it as JSON
//     (encoding/json of the struct, see Load) and it holds secrets in clear,
//     because the service needs them to call Telegram, VK, Zendesk and the
//     rest. It never leaves the service.
//   - View and SectionView build the read form: secrets masked (Mask),
//     derived read-only keys added (classification.categoryTree,
//     integration.vk.callbackUrl, company.logoUrl, leads.inviteAvatarUrl).
//
// Writes go through Document.Put (replace a section) and Document.Patch
// (JSON merge-patch into a section). Both take the request body as the
// client sent it, validate every key, collect one message per offending
// dotted key, and either return the whole new document or the original
// untouched: a write is all-or-nothing. A client can PUT back exactly what
// it read: masked secrets and derived keys sent back unchanged are ignored.
//
// Images (company.logo, leads.inviteAvatar) are uploaded on their own paths;
// NewImage checks the bytes and Document.SetImage records the result.
// Generated secrets come from NewSecret with an injected random source.
//
// The package is pure domain code: no AWS SDK, no I/O besides the injected
// io.Reader for randomness.
package settings

package chat

import (
	"context"
	"errors"
	neturl "net/url"
	"parley/internal/apperr"
	"strings"
)

// SetPage records the page the visitor is on, which sets or clears the
// chat's priority flag (features.priorityPages). changed reports a
// priority change the workplace must see. Without an open chat nothing is
// stored. Errors: apperr.Invalid.
func (s *Service) SetPage(ctx context.Context, v Party, page string) (c Chat, changed bool, err error) {
	if page, err = CheckPage(page); err != nil {
		return Chat{}, false, err
	}
	id, err := s.Store.OpenChatID(ctx, v.AccountID, v.ID)
	if err != nil || id == "" {
		return Chat{}, false, err
	}
	doc, err := s.Settings(ctx, v.AccountID)
	if err != nil {
		return Chat{}, false, err
	}
	var before bool
	c, err = s.update(ctx, v, id, func(c Chat) (Chat, error) {
		if !c.Open() {
			return c, errNoOpenChat
		}
		before = c.Priority
		c.Page, c.Priority = page, PriorityPage(doc.Features.PriorityPages, page)
		return c, nil
	})
	if errors.Is(err, errNoOpenChat) {
		return Chat{}, false, nil
	}
	return c, err == nil && c.Priority != before, err
}

var errNoOpenChat = errors.New("chat: no open chat")

// Teleport checks that the operator may send the chat's visitor to url
// (features.teleport on, their open chat). Errors: apperr.Forbidden,
// apperr.Invalid, apperr.NotFound, apperr.Conflict.
func (s *Service) Teleport(ctx context.Context, op Party, chatID, url string) (Chat, string, error) {
	doc, err := s.Settings(ctx, op.AccountID)
	if err != nil {
		return Chat{}, "", err
	}
	if !doc.Features.Teleport {
		return Chat{}, "", apperr.New(apperr.Forbidden, "teleport is off for this account (features.teleport)")
	}
	if url, err = CheckPage(url); err != nil {
		return Chat{}, "", err
	}
	c, err := s.participantChat(ctx, op, chatID)
	if err != nil {
		return Chat{}, "", err
	}
	if c.Status != Active || (c.OperatorID != op.ID && !op.Manages()) {
		return Chat{}, "", apperr.New(apperr.Conflict, "only the operator of an open chat can teleport its visitor")
	}
	if c.Channel != "" {
		// The visitor is in a messenger, not on a page of the site.
		return Chat{}, "", apperr.New(apperr.Conflict, "a %s chat has no page to teleport its visitor from", c.ChannelName())
	}
	if !OnSite(url, c.Page, doc.Company.Website) {
		return Chat{}, "", apperr.New(apperr.Invalid, "url must be a page of the site: the host of the visitor's page or of company.website, or under it")
	}
	return c, url, nil
}

// OnSite reports whether url is a page of the site (SPEC §2.7 teleport:
// "another page of the site"): its host is the host of one of sites (the
// visitor's page, the company's website), or a subdomain of it, so a
// teleport cannot send a visitor away to another site.
func OnSite(url string, sites ...string) bool {
	host := hostOf(url)
	if host == "" {
		return false
	}
	for _, s := range sites {
		site := strings.TrimPrefix(hostOf(s), "www.")
		if site != "" && (host == site || strings.HasSuffix(host, "."+site)) {
			return true
		}
	}
	return false
}

// hostOf is the lower-cased host of an absolute URL, "" for anything else.
func hostOf(s string) string {
	u, err := neturl.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

package chat

import (
	"context"

	"parley/internal/settings"
)

// visiblePage keeps the chats of a history page that p sees under the
// same rule as a single read (Sees): the store's query narrows by
// operator for hideOthersChats, but languages and departments are the
// profile's, which no index holds, so they are applied here.
func (s *Service) visiblePage(ctx context.Context, doc settings.Document, p Party, page Page) (Page, error) {
	prof, err := s.Profile(ctx, p)
	if err != nil {
		return Page{}, err
	}
	kept := make([]Chat, 0, len(page.Chats))
	for _, c := range page.Chats {
		if p.Kind != FromOperator || Sees(doc, p, prof, c) {
			kept = append(kept, c)
		}
	}
	page.Chats = kept
	return page, nil
}

package lambdas

import (
	"context"
	"time"

	"parley/internal/dynamo"
	"parley/internal/stats"
)

// zone is an account's company.timezone, read from its settings.
func zone(store *dynamo.Store) stats.Zone {
	return func(ctx context.Context, accountID string) (*time.Location, error) {
		doc, err := store.SettingsDocument(ctx, accountID)
		if err != nil {
			return nil, err
		}
		return doc.Company.Location(), nil
	}
}

// statsService answers GET /v1/stats.
func (d Deps) statsService(store *dynamo.Store) *stats.Service {
	return &stats.Service{Store: store, Zone: zone(store), Now: d.Now}
}

// daily builds the daily reports: scheduled by the stream consumer, sent
// by the sweeper's runs.
func (d Deps) daily(store *dynamo.Store) *stats.Daily {
	return &stats.Daily{Due: store, Days: store, Histories: store, Names: store.PeopleNames, Settings: store.SettingsDocument, Outbox: store, Now: d.Now}
}

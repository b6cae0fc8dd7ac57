package httpapi

import (
	"context"
	"net/http"
	"strings"

	"parley/internal/stats"
)

// The statistics (SPEC §4.4–§4.8): one domain call; JSON, or CSV when the
// caller accepts text/csv (the console's download).
func registerStats(api *API, d Deps) {
	api.Handle("GET /v1/stats", func(ctx context.Context, r Request) (Response, error) {
		res, err := d.Stats.Report(ctx, stats.Caller{AccountID: r.Caller.AccountID, PersonID: r.Caller.PersonID, Role: r.Caller.Role},
			stats.Query{From: r.Query["from"], To: r.Query["to"], GroupBy: r.Query["groupBy"]})
		if err != nil {
			return Response{}, err
		}
		if strings.Contains(r.Header("Accept"), "text/csv") {
			return Response{Status: http.StatusOK, Raw: stats.CSV(res.Rows, res.Totals), Headers: map[string]string{
				"Content-Type":        "text/csv; charset=utf-8",
				"Content-Disposition": `attachment; filename="parley-stats-` + res.From + `-` + res.To + `.csv"`}}, nil
		}
		return OK(res), nil
	})
}

package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"parley/internal/chat"
)

// queryAll reads every page of a Query and decodes its items as R; what
// names the read in errors.
func queryAll[R any](ctx context.Context, s *Store, in *dynamodb.QueryInput, what string) ([]R, error) {
	var out []R
	for p := dynamodb.NewQueryPaginator(s.DB, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: %s: %w", what, err)
		}
		var rows []R
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			return nil, fmt.Errorf("dynamo: decode %s: %w", what, err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

// queryChats is queryAll of chat rows, as chats.
func queryChats(ctx context.Context, s *Store, in *dynamodb.QueryInput, what string) ([]chat.Chat, error) {
	rows, err := queryAll[chatRow](ctx, s, in, what)
	if err != nil {
		return nil, err
	}
	var out []chat.Chat // nil when none, as before
	for _, r := range rows {
		out = append(out, fromChatRow(r))
	}
	return out, nil
}

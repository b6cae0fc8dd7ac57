// Package schema defines Parley's one DynamoDB table. The CDK stack and the
// local stack both build the table from this definition, so they cannot
// drift. It imports neither the AWS SDK nor the CDK.
package schema

// Attribute names of the keys, the index keys and TTL.
const (
	PK        = "pk"
	SK        = "sk"
	GSI1      = "gsi1"
	GSI1PK    = "gsi1pk"
	GSI1SK    = "gsi1sk"
	TTL       = "expiresAt" // epoch seconds; DynamoDB deletes the item some time after
	TableBase = "parley"
)

// Index is a global secondary index, projecting all attributes.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// Table is the whole definition: string keys, on-demand billing, a stream of
// new and old images, TTL on TTLAttribute.
type Table struct {
	PartitionKey string
	SortKey      string
	Indexes      []Index
	TTLAttribute string
	// StreamView is always NEW_AND_OLD_IMAGES: the stream consumer diffs
	// images (audit trail) and reacts to deletes (timers, connections).
	StreamView string
}

// Definition is Parley's table.
var Definition = Table{
	PartitionKey: PK,
	SortKey:      SK,
	Indexes:      []Index{{Name: GSI1, PartitionKey: GSI1PK, SortKey: GSI1SK}},
	TTLAttribute: TTL,
	StreamView:   "NEW_AND_OLD_IMAGES",
}

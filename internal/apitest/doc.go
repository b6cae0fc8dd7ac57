// Package apitest holds the end-to-end tests of the HTTP API: every test
// runs real requests through the whole local stack (gateway, authorizer,
// handlers, DynamoDB Local, the stream consumer, the local SES) and checks
// every response, and every request body the API accepted, against
// docs/openapi.yaml, which documents every route of the routes table.
//
// The package has no code of its own besides this comment: its tests are
// the product.
package apitest

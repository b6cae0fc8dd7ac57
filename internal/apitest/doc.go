// Package apitest holds the end-to-end tests of the settings, images,
// templates, audit and widget endpoints: every test runs real requests
// through the whole local stack (gateway, authorizer, handlers, DynamoDB
// Local, the stream consumer) and checks every response, and every request
// body the API accepted, against docs/openapi.yaml.
//
// The package has no code of its own besides this comment: its tests are
// the product.
package apitest

// Command webhooks is the webhook dispatcher Lambda function; internal/routes
// says what triggers it and internal/lambdas how it is wired.
package main

import "parley/internal/lambdas"

func main() { lambdas.Main(lambdas.Webhooks) }

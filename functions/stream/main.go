// Command stream is the stream Lambda function; see internal/routes for what
// triggers it and internal/lambdas for how it is wired.
package main

import (
	"parley/internal/lambdas"
	"parley/internal/routes"
)

func main() { lambdas.Main(routes.FnStream) }

// Command realtime is the realtime Lambda function; internal/routes says what
// triggers it and internal/lambdas how it is wired.
package main

import "parley/internal/lambdas"

func main() { lambdas.Main(lambdas.Realtime) }

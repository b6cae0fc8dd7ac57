package httpapi

import (
	"errors"

	"parley/internal/routes"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// Names of the authorizer context entries; API Gateway passes them to the
// route's function under requestContext.authorizer.lambda.
const (
	ctxAccount = "accountId"
	ctxPerson  = "personId"
	ctxRole    = "role"
	ctxSession = "sessionId"
)

// CallerContext is the context the authorizer returns for a caller.
func CallerContext(c Caller) map[string]any {
	return map[string]any{ctxAccount: c.AccountID, ctxPerson: c.PersonID, ctxRole: string(c.Role), ctxSession: c.Session}
}

// CallerFromContext reads a caller from an authorizer context.
func CallerFromContext(m map[string]any) Caller {
	str := func(k string) string { s, _ := m[k].(string); return s }
	return Caller{AccountID: str(ctxAccount), PersonID: str(ctxPerson), Role: routes.Role(str(ctxRole)), Session: str(ctxSession)}
}

package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"parley/internal/routes"
)

// statement is one IAM policy statement, wherever it was found.
type statement struct {
	where    string
	effect   string
	actions  []string
	resource any
}

// policyStatements returns every statement of the stack's identity
// policies: AWS::IAM::Policy, AWS::IAM::ManagedPolicy and the inline
// policies of AWS::IAM::Role.
func policyStatements(kind string) []statement {
	var out []statement
	add := func(where string, document any) {
		doc, _ := document.(map[string]any)
		list, ok := doc["Statement"].([]any)
		if !ok {
			list = []any{doc["Statement"]}
		}
		for _, s := range list {
			s, _ := s.(map[string]any)
			var actions []string
			switch a := s["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, one := range a {
					text, _ := one.(string)
					actions = append(actions, text)
				}
			}
			effect, _ := s["Effect"].(string)
			out = append(out, statement{where: where, effect: effect, actions: actions, resource: s["Resource"]})
		}
	}
	for id, r := range resources(kind, "AWS::IAM::Policy") {
		add(kind+"/"+id, props(r)["PolicyDocument"])
	}
	for id, r := range resources(kind, "AWS::IAM::ManagedPolicy") {
		add(kind+"/"+id, props(r)["PolicyDocument"])
	}
	for id, r := range resources(kind, "AWS::IAM::Role") {
		inline, _ := props(r)["Policies"].([]any)
		for _, p := range inline {
			add(kind+"/"+id+" inline", p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func TestNoWildcardActionsOrManagedFullAccess(t *testing.T) {
	for _, kind := range stackKinds() {
		statements := policyStatements(kind)
		for _, s := range statements {
			for _, action := range s.actions {
				if action == "*" || strings.HasSuffix(action, ":*") {
					t.Errorf("%s: action %q", s.where, action)
				}
			}
		}
		for id, r := range resources(kind, "AWS::IAM::Role") {
			managed, _ := json.Marshal(props(r)["ManagedPolicyArns"])
			if strings.Contains(string(managed), "FullAccess") {
				t.Errorf("%s/%s: managed policies %s", kind, id, managed)
			}
		}
	}
}

// Every request, stream and schedule path reads with GetItem or Query
// (DESIGN §3), so no function may Scan.
func TestNoFunctionMayScan(t *testing.T) {
	for _, kind := range stackKinds() {
		for _, s := range policyStatements(kind) {
			if slices.Contains(s.actions, "dynamodb:Scan") {
				t.Errorf("%s allows dynamodb:Scan", s.where)
			}
		}
	}
}

func TestOnlyMailersMaySendMail(t *testing.T) {
	for _, fn := range routes.Functions {
		var sends []statement
		for _, s := range functionStatements(t, fn) {
			if slices.Contains(s.actions, "ses:SendEmail") {
				sends = append(sends, s)
			}
		}
		wantMail := slices.Contains(extraEnv[fn.Name], "MAIL_FROM")
		if !wantMail {
			if len(sends) > 0 {
				t.Errorf("%s may send mail: %v", fn.Name, sends)
			}
			continue
		}
		var granted []any
		for _, s := range sends {
			granted = append(granted, s.resource)
		}
		resources, _ := json.Marshal(granted)
		for _, want := range []string{":identity/" + app.settings.SESIdentity + `"`, ":configuration-set/"} {
			if !strings.Contains(string(resources), want) {
				t.Errorf("%s: ses:SendEmail is not granted on %s…: %s", fn.Name, want, resources)
			}
		}
	}
}

// functionStatements returns the statements of the policies attached to the
// function's role.
func functionStatements(t *testing.T, fn routes.Function) []statement {
	t.Helper()
	id := functionsByName(t, fn.Stack)[fn.Name]
	role := getAttID(props(resources(fn.Stack, "AWS::Lambda::Function")[id])["Role"], "Arn")
	var out []statement
	for policyID, p := range resources(fn.Stack, "AWS::IAM::Policy") {
		roles, _ := json.Marshal(props(p)["Roles"])
		if !strings.Contains(string(roles), `"`+role+`"`) {
			continue
		}
		for _, s := range policyStatements(fn.Stack) {
			if s.where == fn.Stack+"/"+policyID {
				out = append(out, s)
			}
		}
	}
	return out
}

// services is, per function, the AWS services its role may call.
var services = map[string][]string{
	routes.FnAPI:        {"dynamodb", "secretsmanager", "ssm"},
	routes.FnAuthorizer: {"dynamodb", "secretsmanager"},
	routes.FnRealtime:   {"dynamodb", "execute-api", "secretsmanager"},
	routes.FnStream:     {"dynamodb", "execute-api", "ses", "sqs"},
	routes.FnSweeper:    {"dynamodb", "ses"},
	routes.FnWebhooks:   {"dynamodb"},
}

func TestFunctionsReachOnlyTheServicesTheyUse(t *testing.T) {
	for _, fn := range routes.Functions {
		var got []string
		for _, s := range functionStatements(t, fn) {
			for _, action := range s.actions {
				service, _, _ := strings.Cut(action, ":")
				if !slices.Contains(got, service) {
					got = append(got, service)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, services[fn.Name]) {
			t.Errorf("%s may call %v, want %v", fn.Name, got, services[fn.Name])
		}
	}
}

// The authorizer runs on every request: it may read the items it can name
// (the token's session, the account's settings) and nothing more.
func TestTheAuthorizerOnlyGetsItems(t *testing.T) {
	fn, _ := routes.FunctionByName(routes.FnAuthorizer)
	var got []string
	for _, s := range functionStatements(t, fn) {
		for _, a := range s.actions {
			if strings.HasPrefix(a, "dynamodb:") {
				got = append(got, a)
			}
		}
	}
	if !slices.Equal(got, []string{"dynamodb:GetItem"}) {
		t.Errorf("the authorizer may call %v on the table, want only dynamodb:GetItem", got)
	}
}

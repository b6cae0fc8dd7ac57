// Package routes is the single table of what triggers which function: HTTP
// routes, WebSocket routes, stream consumers and schedules. The CDK stacks in
// infra/ and the local gateway in internal/local both read it, so what runs
// locally is what is deployed.
package routes

import "parley/internal/auth"

// Role and the role lists are the domain's (auth); the table names them.
type Role = auth.Role

// The roles of SPEC §1, from least to most powerful.
const (
	Operator      = auth.Operator
	Supervisor    = auth.Supervisor
	Administrator = auth.Administrator
)

// Staff is every signed-in role.
var Staff = auth.Staff

// Admins is the administrator role alone.
var Admins = auth.Admins

// Managers are the roles that manage people's assignments (departments,
// chat limits): supervisors and administrators.
var Managers = auth.Managers

// Function is one Lambda function: one folder under functions/ and one
// bootstrap binary built from it.
type Function struct {
	Name        string // folder under functions/, and the key used everywhere else
	Description string
	MemoryMB    int
	TimeoutSec  int
	// Stack says which CDK stack owns the function: "http" or "realtime".
	Stack string
}

// HTTPRoute is one route of the HTTP API (payload format 2.0).
type HTTPRoute struct {
	Method string // GET, PUT, PATCH, POST, DELETE
	Path   string // API Gateway path template, e.g. /v1/settings/{section}
	// Roles that may call the route. Empty means public: no authorizer runs.
	Roles    []Role
	Function string
}

// RouteKey is the key API Gateway puts in requestContext.routeKey.
func (r HTTPRoute) RouteKey() string { return r.Method + " " + r.Path }

// Public reports whether the route runs without the authorizer.
func (r HTTPRoute) Public() bool { return len(r.Roles) == 0 }

// WSRoute is one route of the WebSocket API, selected by
// $request.body.action.
type WSRoute struct {
	RouteKey string
	Function string
}

// StreamConsumer is a function fed by the table's DynamoDB stream.
type StreamConsumer struct {
	Function  string
	BatchSize int
	// MaxRetries bounds redelivery of a failing batch before it goes to the
	// on-failure queue; bisecting isolates the failing record first.
	MaxRetries int
}

// Schedule is an EventBridge schedule that invokes a function.
type Schedule struct {
	Name       string
	Expression string // rate(...) or cron(...), as EventBridge takes it
	Function   string
}

// Function names.
const (
	FnAPI        = "api"
	FnAuthorizer = "authorizer"
	FnRealtime   = "realtime"
	FnStream     = "stream"
	FnSweeper    = "sweeper"
	FnWebhooks   = "webhooks"
)

// Functions lists every Lambda function.
var Functions = []Function{
	{Name: FnAPI, Description: "HTTP API: console, operator and admin REST", MemoryMB: 256, TimeoutSec: 10, Stack: "http"},
	{Name: FnAuthorizer, Description: "HTTP API Lambda authorizer: resolves account, person and role from the bearer token", MemoryMB: 128, TimeoutSec: 5, Stack: "http"},
	{Name: FnRealtime, Description: "WebSocket API: $connect, $disconnect and every message route", MemoryMB: 256, TimeoutSec: 10, Stack: "realtime"},
	{Name: FnStream, Description: "DynamoDB stream consumer: audit trail, outgoing mail, fan-out side effects", MemoryMB: 256, TimeoutSec: 60, Stack: "realtime"},
	{Name: FnSweeper, Description: "Timer sweeper: every minute, ticks each second and fires due timers", MemoryMB: 128, TimeoutSec: 70, Stack: "realtime"},
	{Name: FnWebhooks, Description: "Webhook dispatcher: every minute, ticks each second and sends the event deliveries due (outbound calls, no VPC)", MemoryMB: 128, TimeoutSec: 90, Stack: "realtime"},
}

// HTTP lists every HTTP API route.
var HTTP = []HTTPRoute{
	{Method: "GET", Path: "/v1/health", Function: FnAPI},
	{Method: "POST", Path: "/v1/accounts", Function: FnAPI},
	{Method: "POST", Path: "/v1/auth/login", Function: FnAPI},
	{Method: "GET", Path: "/v1/widget/{accountId}/config", Function: FnAPI},
	{Method: "GET", Path: "/v1/settings", Roles: Staff, Function: FnAPI},
	{Method: "GET", Path: "/v1/settings/{section}", Roles: Staff, Function: FnAPI},
	{Method: "PUT", Path: "/v1/settings/{section}", Roles: Admins, Function: FnAPI},
	{Method: "PATCH", Path: "/v1/settings/{section}", Roles: Admins, Function: FnAPI},
	{Method: "GET", Path: "/v1/audit", Roles: Admins, Function: FnAPI},
	{Method: "PUT", Path: "/v1/settings/company/logo", Roles: Admins, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/settings/company/logo", Roles: Admins, Function: FnAPI},
	{Method: "PUT", Path: "/v1/settings/leads/invite-avatar", Roles: Admins, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/settings/leads/invite-avatar", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/settings/integration/private-key/regenerate", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/settings/integration/vk/secret-key/regenerate", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/settings/integration/webhooks/signing-secret/regenerate", Roles: Admins, Function: FnAPI},
	{Method: "GET", Path: "/v1/widget/{accountId}/logo", Function: FnAPI},
	{Method: "GET", Path: "/v1/widget/{accountId}/invite-avatar", Function: FnAPI},
	// Templates: every role; the templates package decides per level.
	{Method: "GET", Path: "/v1/templates", Roles: Staff, Function: FnAPI},
	{Method: "POST", Path: "/v1/templates", Roles: Staff, Function: FnAPI},
	{Method: "GET", Path: "/v1/templates/{id}", Roles: Staff, Function: FnAPI},
	{Method: "PUT", Path: "/v1/templates/{id}", Roles: Staff, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/templates/{id}", Roles: Staff, Function: FnAPI},
	// Sessions and passwords: public, each proves itself with a secret
	// (password, refresh token, mailed link).
	{Method: "POST", Path: "/v1/auth/refresh", Function: FnAPI},
	{Method: "POST", Path: "/v1/auth/logout", Function: FnAPI},
	{Method: "POST", Path: "/v1/auth/password-reset", Function: FnAPI},
	{Method: "POST", Path: "/v1/auth/password", Function: FnAPI},
	{Method: "POST", Path: "/v1/auth/password/change", Roles: Staff, Function: FnAPI},
	{Method: "GET", Path: "/v1/account", Roles: Staff, Function: FnAPI},
	// People: the account package adds what depends on data (hidden
	// profiles, whose profile a supervisor may edit).
	{Method: "GET", Path: "/v1/people", Roles: Staff, Function: FnAPI},
	{Method: "POST", Path: "/v1/people", Roles: Admins, Function: FnAPI},
	{Method: "GET", Path: "/v1/people/{personId}", Roles: Staff, Function: FnAPI},
	{Method: "PATCH", Path: "/v1/people/{personId}", Roles: Staff, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/people/{personId}", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/people/{personId}/invitation", Roles: Admins, Function: FnAPI},
	{Method: "PUT", Path: "/v1/people/{personId}/photo", Roles: Staff, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/people/{personId}/photo", Roles: Staff, Function: FnAPI},
	{Method: "GET", Path: "/v1/widget/{accountId}/people/{personId}/photo", Function: FnAPI},
	{Method: "GET", Path: "/v1/departments", Roles: Staff, Function: FnAPI},
	{Method: "POST", Path: "/v1/departments", Roles: Admins, Function: FnAPI},
	{Method: "GET", Path: "/v1/departments/{departmentId}", Roles: Staff, Function: FnAPI},
	{Method: "PATCH", Path: "/v1/departments/{departmentId}", Roles: Admins, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/departments/{departmentId}", Roles: Admins, Function: FnAPI},
	{Method: "PUT", Path: "/v1/departments/{departmentId}/members/{personId}", Roles: Managers, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/departments/{departmentId}/members/{personId}", Roles: Managers, Function: FnAPI},
	// Visitors: the widget, with a visitor token in the body.
	{Method: "POST", Path: "/v1/widget/{accountId}/identify", Function: FnAPI},
	// Chats: the history; the chat package narrows what operators see.
	{Method: "GET", Path: "/v1/chats", Roles: Staff, Function: FnAPI},
	{Method: "GET", Path: "/v1/chats/{chatId}", Roles: Staff, Function: FnAPI},
	// Event webhooks: the delivery log and its actions (issue 16).
	{Method: "GET", Path: "/v1/integrations/deliveries", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/integrations/deliveries/test", Roles: Admins, Function: FnAPI},
	{Method: "POST", Path: "/v1/integrations/deliveries/{deliveryId}/redeliver", Roles: Admins, Function: FnAPI},
	// The Unisender contact export (issue 18).
	{Method: "POST", Path: "/v1/integrations/unisender/export", Roles: Admins, Function: FnAPI},
	{Method: "GET", Path: "/v1/integrations/unisender/export", Roles: Admins, Function: FnAPI},
	{Method: "DELETE", Path: "/v1/integrations/unisender/export", Roles: Admins, Function: FnAPI},
	// Statistics (issue 15): operators get their own figures only.
	{Method: "GET", Path: "/v1/stats", Roles: Staff, Function: FnAPI},
	// Channels: the messengers' webhooks, public, each call proving
	// itself with its secret (issue 17).
	{Method: "POST", Path: "/v1/channels/telegram/{accountId}", Function: FnAPI},
	{Method: "POST", Path: "/v1/channels/vk/{accountId}", Function: FnAPI},
}

// WebSocket lists every WebSocket API route.
var WebSocket = []WSRoute{
	{RouteKey: "$connect", Function: FnRealtime},
	{RouteKey: "$disconnect", Function: FnRealtime},
	{RouteKey: "$default", Function: FnRealtime},
	{RouteKey: "sendMessage", Function: FnRealtime},
	{RouteKey: "ping", Function: FnRealtime},
	// Protocol v2 (docs/websocket.md): every chat action has its route,
	// so API Gateway's metrics and throttles are per action.
	{RouteKey: "hello", Function: FnRealtime},
	{RouteKey: "startChat", Function: FnRealtime},
	{RouteKey: "typing", Function: FnRealtime},
	{RouteKey: "read", Function: FnRealtime},
	{RouteKey: "closeChat", Function: FnRealtime},
	{RouteKey: "rate", Function: FnRealtime},
	{RouteKey: "leaveMessage", Function: FnRealtime},
	{RouteKey: "sendTranscript", Function: FnRealtime},
	{RouteKey: "page", Function: FnRealtime},
	{RouteKey: "history", Function: FnRealtime},
	{RouteKey: "take", Function: FnRealtime},
	{RouteKey: "setCategory", Function: FnRealtime},
	{RouteKey: "teleport", Function: FnRealtime},
	{RouteKey: "redirect", Function: FnRealtime},
	{RouteKey: "setPresence", Function: FnRealtime},
	{RouteKey: "templates", Function: FnRealtime},
	{RouteKey: "suggest", Function: FnRealtime},
	{RouteKey: "saveTemplate", Function: FnRealtime},
}

// Streams lists the consumers of the table's stream.
var Streams = []StreamConsumer{
	{Function: FnStream, BatchSize: 100, MaxRetries: 5},
}

// Schedules lists every EventBridge schedule.
var Schedules = []Schedule{
	{Name: "timer-sweep", Expression: "rate(1 minute)", Function: FnSweeper},
	{Name: "webhook-deliveries", Expression: "rate(1 minute)", Function: FnWebhooks},
}

// FunctionByName returns the function with that name.
func FunctionByName(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

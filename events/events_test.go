package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"

	"parley/internal/apperr"
	"parley/internal/auth"
	"parley/internal/config"
	"parley/internal/dynamo"
	"parley/internal/e2e"
	"parley/internal/lambdas"
	"parley/internal/local/seslocal"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/testkit/testenv"
	"parley/internal/webhook"
)

// TestMain stops the DynamoDB Local and local SES that testenv starts.
func TestMain(m *testing.M) { testenv.Main(m) }

// sample is the test of one file of this folder: check decodes it strictly
// into its aws-lambda-go type, asserts what it must say, drives it through
// its function's real handler and asserts the outcome.
type sample struct {
	fn    string
	check func(t *testing.T, h *harness, raw []byte)
}

// samples has one entry per file. A file without one fails the test, so a
// new sample cannot go untested.
var samples = map[string]sample{
	"apigw-v2-health.json":                 {routes.FnAPI, checkHealth},
	"apigw-v2-settings-company-get.json":   {routes.FnAPI, checkSettingsGet},
	"apigw-v2-authorizer-request.json":     {routes.FnAuthorizer, checkAuthorizer},
	"apigw-ws-connect.json":                {routes.FnRealtime, checkConnect},
	"apigw-ws-message.json":                {routes.FnRealtime, checkMessage},
	"apigw-ws-hello.json":                  {routes.FnRealtime, checkHello},
	"apigw-ws-disconnect.json":             {routes.FnRealtime, checkDisconnect},
	"dynamodb-stream-settings-modify.json": {routes.FnStream, checkSettingsModify},
	"dynamodb-stream-mail-insert.json":     {routes.FnStream, checkMailInsert},
	"eventbridge-scheduled.json":           {routes.FnSweeper, checkScheduled},
	"eventbridge-scheduled-webhooks.json":  {routes.FnWebhooks, checkWebhooksScheduled},
}

func TestSamples(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
			return err
		}
		seen[path] = true
		t.Run(path, func(t *testing.T) {
			s, ok := samples[path]
			if !ok {
				t.Fatalf("%s has no test case: add one to samples in events_test.go", path)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := routes.FunctionByName(s.fn); !ok {
				t.Fatalf("function %q is not in routes.Functions", s.fn)
			}
			s.check(t, newHarness(t, s.fn), raw)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range samples {
		if !seen[name] {
			t.Errorf("samples names %s, which is not in events/", name)
		}
	}
}

// harness is one sample's world: a fresh table seeded with the demo data,
// the local SES, a recorder standing in for @connections, and the
// function's handler built by lambdas.Handler as main builds it.
type harness struct {
	fn      string
	store   *dynamo.Store
	ses     string
	conns   *e2e.Connections
	handler lambda.Handler
	now     time.Time
}

func newHarness(t *testing.T, fn string) *harness {
	t.Helper()
	ctx := t.Context()
	db, table := testenv.DynamoDB(t)
	dynamoEndpoint, sesEndpoint := testenv.Endpoints(t)
	conns := e2e.NewConnections()
	t.Cleanup(conns.Close)
	h := &harness{fn: fn, store: dynamo.New(db, table), ses: sesEndpoint, conns: conns, now: time.Now().UTC()}
	cfg := config.Config{TableName: table, ConnectionsEndpoint: conns.URL, MailFrom: e2e.DemoMailFrom, TokenSecret: e2e.DemoTokenSecret, Stage: "local"}
	deps, err := lambdas.Load(ctx, cfg, e2e.LocalAWS(dynamoEndpoint, sesEndpoint), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	// One pass over the sweeper's lookback, without waiting out a minute.
	deps.SweepWindow = 0
	fnHandler, err := lambdas.Handler(fn, deps)
	if err != nil {
		t.Fatal(err)
	}
	h.handler = lambda.NewHandler(fnHandler)
	if err := e2e.SeedDemo(ctx, h.store, h.now); err != nil {
		t.Fatal(err)
	}
	return h
}

// invoke runs raw through the handler as the Lambda runtime does (JSON in,
// JSON out) and decodes the response into T.
func invoke[T any](t *testing.T, h *harness, raw []byte) T {
	t.Helper()
	out, err := h.handler.Invoke(t.Context(), raw)
	if err != nil {
		t.Fatalf("%s: %v", h.fn, err)
	}
	var v T
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s returned %s: %v", h.fn, out, err)
	}
	return v
}

// strict decodes a sample into its aws-lambda-go type, refusing fields the
// type does not have: a misspelt key would otherwise decode to nothing and
// the sample would test less than it seems to.
func strict[T any](t *testing.T, raw []byte) T {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var v T
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode as %T: %v", v, err)
	}
	if dec.More() {
		t.Fatalf("trailing data after the %T", v)
	}
	return v
}

// httpRoute asserts the HTTP API route of a sample, and that the routes
// table sends it to the function the sample is for.
func httpRoute(t *testing.T, fn, routeKey string) routes.HTTPRoute {
	t.Helper()
	i := slices.IndexFunc(routes.HTTP, func(r routes.HTTPRoute) bool { return r.RouteKey() == routeKey })
	if i < 0 {
		t.Fatalf("route %q is not in routes.HTTP", routeKey)
	}
	if got := routes.HTTP[i].Function; got != fn {
		t.Fatalf("route %q goes to %s, the sample is for %s", routeKey, got, fn)
	}
	return routes.HTTP[i]
}

func wsRoute(t *testing.T, fn string, ev events.APIGatewayWebsocketProxyRequest, routeKey, eventType string) {
	t.Helper()
	rc := ev.RequestContext
	if rc.RouteKey != routeKey || rc.EventType != eventType || rc.ConnectionID == "" {
		t.Fatalf("requestContext routeKey=%q eventType=%q connectionId=%q, want %q %q and an id", rc.RouteKey, rc.EventType, rc.ConnectionID, routeKey, eventType)
	}
	i := slices.IndexFunc(routes.WebSocket, func(r routes.WSRoute) bool { return r.RouteKey == routeKey })
	if i < 0 || routes.WebSocket[i].Function != fn {
		t.Fatalf("WebSocket route %q is not routed to %s", routeKey, fn)
	}
}

func demoCaller() map[string]any {
	return map[string]any{"accountId": e2e.DemoAccount, "personId": e2e.DemoAdmin, "role": string(routes.Administrator), "sessionId": e2e.DemoSession}
}

func checkHealth(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayV2HTTPRequest](t, raw)
	if ev.Version != "2.0" || ev.RequestContext.RouteKey != ev.RouteKey || ev.RequestContext.HTTP.Method != "GET" {
		t.Fatalf("not a payload 2.0 GET: version %q, routeKeys %q/%q, method %q", ev.Version, ev.RouteKey, ev.RequestContext.RouteKey, ev.RequestContext.HTTP.Method)
	}
	if r := httpRoute(t, h.fn, ev.RouteKey); !r.Public() || ev.RequestContext.Authorizer != nil {
		t.Fatalf("the health route must be public and its event carry no authorizer context")
	}
	resp := invoke[events.APIGatewayV2HTTPResponse](t, h, raw)
	var body struct{ Status string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Status != "ok" {
		t.Fatalf("health: %d %s, want 200 and status ok", resp.StatusCode, resp.Body)
	}
}

func checkSettingsGet(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayV2HTTPRequest](t, raw)
	if r := httpRoute(t, h.fn, ev.RouteKey); r.Public() {
		t.Fatalf("%s must be behind the authorizer", ev.RouteKey)
	}
	if ev.RequestContext.Authorizer == nil {
		t.Fatal("no requestContext.authorizer")
	}
	if diff := cmp.Diff(demoCaller(), ev.RequestContext.Authorizer.Lambda); diff != "" {
		t.Errorf("requestContext.authorizer.lambda (-want +got):\n%s", diff)
	}
	if ev.PathParameters["section"] != "company" || ev.RawPath != "/v1/settings/company" {
		t.Fatalf("path %q, parameters %v: want the company section", ev.RawPath, ev.PathParameters)
	}
	resp := invoke[events.APIGatewayV2HTTPResponse](t, h, raw)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/settings/company: %d %s, want 200", resp.StatusCode, resp.Body)
	}
	// The seeded company name proves the handler read the demo account's
	// own document.
	if !strings.Contains(resp.Body, `"Demo Company"`) {
		t.Errorf("body lacks the seeded company name: %s", resp.Body)
	}
	if !hasHeader(resp.Headers, "etag") {
		t.Errorf("no ETag in %v: a later PUT could not send If-Match", resp.Headers)
	}
}

func hasHeader(h map[string]string, name string) bool {
	for k, v := range h {
		if strings.EqualFold(k, name) && v != "" {
			return true
		}
	}
	return false
}

func checkAuthorizer(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayV2CustomAuthorizerV2Request](t, raw)
	if ev.Version != "2.0" || ev.Type != "REQUEST" || len(ev.IdentitySource) != 1 || !strings.HasPrefix(ev.IdentitySource[0], "Bearer ") {
		t.Fatalf("not a payload 2.0 REQUEST authorizer event with a bearer identity source: %q %q %q", ev.Version, ev.Type, ev.IdentitySource)
	}
	// The authorizer is keyed by route, so the sample must name a real,
	// authorised one.
	if r := httpRoute(t, routes.FnAPI, ev.RouteKey); r.Public() {
		t.Fatalf("%s is public: API Gateway would not call the authorizer", ev.RouteKey)
	}
	resp := invoke[events.APIGatewayV2CustomAuthorizerSimpleResponse](t, h, raw)
	if !resp.IsAuthorized {
		t.Fatal("isAuthorized false: the sample's token must verify with e2e.DemoTokenSecret")
	}
	// What the authorizer returns is what API Gateway hands the route as
	// requestContext.authorizer.lambda: the settings sample claims exactly
	// this.
	if diff := cmp.Diff(demoCaller(), resp.Context); diff != "" {
		t.Errorf("context (-want +got):\n%s", diff)
	}
}

func checkConnect(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayWebsocketProxyRequest](t, raw)
	wsRoute(t, h.fn, ev, "$connect", "CONNECT")
	if ev.RequestContext.ConnectionID != e2e.DemoStaffConnection || ev.QueryStringParameters["token"] == "" {
		t.Fatalf("connection %q with token %q: want %s with a token", ev.RequestContext.ConnectionID, ev.QueryStringParameters["token"], e2e.DemoStaffConnection)
	}
	// Seeded for the other samples; forgotten here so only the handler can
	// bring it back.
	if err := h.store.DeleteConnection(t.Context(), e2e.DemoStaffConnection); err != nil {
		t.Fatal(err)
	}
	resp := invoke[events.APIGatewayProxyResponse](t, h, raw)
	if resp.StatusCode != 200 {
		t.Fatalf("$connect: %d, want 200", resp.StatusCode)
	}
	c, err := h.store.Connection(t.Context(), e2e.DemoStaffConnection)
	if err != nil {
		t.Fatalf("connection not stored: %v", err)
	}
	want := realtime.Connection{ID: e2e.DemoStaffConnection, AccountID: e2e.DemoAccount, Kind: auth.Access, Subject: e2e.DemoAdmin,
		Role: string(routes.Administrator), SourceIP: ev.RequestContext.Identity.SourceIP, Session: e2e.DemoSession}
	c.ConnectedAt = time.Time{}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("stored connection (-want +got):\n%s", diff)
	}
}

func checkMessage(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayWebsocketProxyRequest](t, raw)
	wsRoute(t, h.fn, ev, "sendMessage", "MESSAGE")
	var in realtime.Frame
	if err := json.Unmarshal([]byte(ev.Body), &in); err != nil || in.Action != ev.RequestContext.RouteKey || in.Text == "" {
		t.Fatalf("body %q: want a %s frame with text (%v)", ev.Body, ev.RequestContext.RouteKey, err)
	}
	if ev.RequestContext.ConnectionID != e2e.DemoVisitorConnection {
		t.Fatalf("sent from %q, want the demo visitor's %s", ev.RequestContext.ConnectionID, e2e.DemoVisitorConnection)
	}
	resp := invoke[events.APIGatewayProxyResponse](t, h, raw)
	var reply realtime.ChatFrame
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &reply) != nil || reply.Type != "sent" || reply.ClientID != in.ClientID {
		t.Fatalf("sendMessage: %d %s, want 200 and a sent frame for %q", resp.StatusCode, resp.Body, in.ClientID)
	}
	// The visitor's first message starts a chat (protocol v2): every
	// operator who may take it hears of the waiting chat and gets the
	// message, here the demo admin's one connection, through @connections.
	var got *realtime.ChatFrame
	var chatFrames int
	for _, p := range h.conns.Posts() {
		var f realtime.ChatFrame
		if err := json.Unmarshal(p.Body, &f); err != nil {
			t.Fatal(err)
		}
		if p.ConnectionID == e2e.DemoStaffConnection && f.Type == "chat" && f.Chat != nil && f.Chat.Status == "waiting" {
			chatFrames++
		}
		if p.ConnectionID == e2e.DemoStaffConnection && f.Type == "message" {
			got = &f
		}
	}
	if got == nil || chatFrames != 1 {
		t.Fatalf("posts %v, want a waiting chat and the message to %s", h.conns.Posts(), e2e.DemoStaffConnection)
	}
	want := realtime.ChatFrame{Type: "message", ClientID: in.ClientID, From: &realtime.Party{Kind: "visitor", ID: e2e.DemoVisitor}, Text: in.Text,
		ChatID: got.ChatID, Seq: 2} // the greeting is message 1
	got.At = time.Time{}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("delivered frame (-want +got):\n%s", diff)
	}
}

// checkHello: a staff connection's hello answers the workplace state of
// protocol v2, here the demo account's, with no chat yet.
func checkHello(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayWebsocketProxyRequest](t, raw)
	wsRoute(t, h.fn, ev, "hello", "MESSAGE")
	if ev.RequestContext.ConnectionID != e2e.DemoStaffConnection {
		t.Fatalf("sent from %q, want the demo admin's %s", ev.RequestContext.ConnectionID, e2e.DemoStaffConnection)
	}
	resp := invoke[events.APIGatewayProxyResponse](t, h, raw)
	var st realtime.ChatFrame
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &st) != nil {
		t.Fatalf("hello: %d %s", resp.StatusCode, resp.Body)
	}
	want := realtime.ChatFrame{Type: "state", Version: realtime.ProtocolVersion, ClientID: "h-1", Role: string(routes.Administrator), ID: e2e.DemoAdmin, Presence: "online",
		WorkplaceView: &realtime.WorkplaceView{Waiting: []realtime.ChatView{}, Queued: []realtime.ChatView{}, Mine: []realtime.ChatView{}, Others: []realtime.ChatView{}, Missed: []realtime.ChatView{}}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func checkDisconnect(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.APIGatewayWebsocketProxyRequest](t, raw)
	wsRoute(t, h.fn, ev, "$disconnect", "DISCONNECT")
	id := ev.RequestContext.ConnectionID
	if _, err := h.store.Connection(t.Context(), id); err != nil {
		t.Fatalf("the sample's connection %s is not seeded: %v", id, err)
	}
	resp := invoke[events.APIGatewayProxyResponse](t, h, raw)
	if resp.StatusCode != 200 {
		t.Fatalf("$disconnect: %d, want 200", resp.StatusCode)
	}
	if _, err := h.store.Connection(t.Context(), id); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("connection %s after $disconnect: %v, want not found", id, err)
	}
}

// streamRecord asserts a one-record batch of the table's stream.
func streamRecord(t *testing.T, h *harness, raw []byte, eventName string) events.DynamoDBEventRecord {
	t.Helper()
	ev := strict[events.DynamoDBEvent](t, raw)
	if len(ev.Records) != 1 {
		t.Fatalf("%d records, want 1", len(ev.Records))
	}
	r := ev.Records[0]
	if r.EventName != eventName || r.EventSource != "aws:dynamodb" || r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" || r.Change.SequenceNumber == "" {
		t.Fatalf("record %s from %s, view %s, sequence %q: want a %s of a NEW_AND_OLD_IMAGES stream", r.EventName, r.EventSource, r.Change.StreamViewType, r.Change.SequenceNumber, eventName)
	}
	if !slices.ContainsFunc(routes.Streams, func(s routes.StreamConsumer) bool { return s.Function == h.fn }) {
		t.Fatalf("%s does not consume the stream", h.fn)
	}
	return r
}

func noFailures(t *testing.T, h *harness, raw []byte) {
	t.Helper()
	resp := invoke[events.DynamoDBEventResponse](t, h, raw)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batchItemFailures %v, want none", resp.BatchItemFailures)
	}
}

func checkSettingsModify(t *testing.T, h *harness, raw []byte) {
	r := streamRecord(t, h, raw, "MODIFY")
	var rec, old dynamo.SettingsRecord
	if err := dynamo.UnmarshalStreamImage(r.Change.NewImage, &rec); err != nil {
		t.Fatal(err)
	}
	if err := dynamo.UnmarshalStreamImage(r.Change.OldImage, &old); err != nil {
		t.Fatal(err)
	}
	if rec.Type != "settings" || rec.AccountID != e2e.DemoAccount || rec.Version != e2e.DemoSettingsVersion || old.Version != rec.Version-1 || !json.Valid([]byte(rec.Doc)) {
		t.Fatalf("images %+v / %+v: want demo settings going from version %d to %d with a JSON doc", old, rec, e2e.DemoSettingsVersion-1, e2e.DemoSettingsVersion)
	}
	var changes []map[string]any
	if err := json.Unmarshal([]byte(rec.Changes), &changes); err != nil || len(changes) == 0 {
		t.Fatalf("changes %q: want a non-empty JSON array (%v)", rec.Changes, err)
	}
	noFailures(t, h, raw)
	got, err := h.store.Audit(t.Context(), e2e.DemoAccount, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []dynamo.AuditEntry{{AccountID: e2e.DemoAccount, Version: rec.Version, At: rec.UpdatedAt, By: rec.UpdatedBy, Changes: rec.Changes}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

func checkMailInsert(t *testing.T, h *harness, raw []byte) {
	r := streamRecord(t, h, raw, "INSERT")
	var m struct { // the queued mail as its writer stores it
		Type      string   `dynamodbav:"type"`
		AccountID string   `dynamodbav:"accountId"`
		ID        string   `dynamodbav:"id"`
		To        []string `dynamodbav:"to"`
		Subject   string   `dynamodbav:"subject"`
		Text      string   `dynamodbav:"text"`
		Status    string   `dynamodbav:"status"`
	}
	if err := dynamo.UnmarshalStreamImage(r.Change.NewImage, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "mail" || m.AccountID != e2e.DemoAccount || m.ID != e2e.DemoMailID || m.Status != "pending" || !slices.Equal(m.To, []string{e2e.DemoAdminEmail}) {
		t.Fatalf("image %+v: want the demo account's pending mail %s to %s", m, e2e.DemoMailID, e2e.DemoAdminEmail)
	}
	// The local SES is shared by every test of the run, and this sample
	// always mails the same address: count that address's mail.
	before := mailTo(t, h.ses, e2e.DemoAdminEmail, m.Subject)
	noFailures(t, h, raw)
	status, err := h.store.MailStatus(t.Context(), e2e.DemoAccount, e2e.DemoMailID)
	if err != nil || status != "sent" {
		t.Fatalf("mail status %q (%v), want sent", status, err)
	}
	after := mailTo(t, h.ses, e2e.DemoAdminEmail, m.Subject)
	if len(after) <= len(before) {
		t.Fatalf("the local SES holds %d mails to %s, as before: nothing was sent", len(after), e2e.DemoAdminEmail)
	}
	if got := after[len(after)-1]; got.Body.Text != m.Text || !strings.Contains(got.From, "noreply@parley.example") {
		t.Errorf("sent mail from %q with text %q, want from MAIL_FROM with the queued text", got.From, got.Body.Text)
	}
}

func mailTo(t *testing.T, endpoint, to, subject string) []seslocal.Mail {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	all, err := seslocal.Store(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var out []seslocal.Mail
	for _, m := range all {
		if m.Subject == subject && slices.Contains(m.To(), to) {
			out = append(out, m)
		}
	}
	return out
}

func checkScheduled(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.EventBridgeEvent](t, raw)
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 {
		t.Fatalf("detail-type %q, source %q, resources %v: want a scheduled rule's event", ev.DetailType, ev.Source, ev.Resources)
	}
	if !slices.ContainsFunc(routes.Schedules, func(s routes.Schedule) bool { return s.Function == h.fn }) {
		t.Fatalf("no schedule starts %s", h.fn)
	}
	timer := e2e.DemoTimer(h.now)
	if err := h.store.PutTimer(t.Context(), timer); err != nil {
		t.Fatal(err)
	}
	got := invoke[lambdas.SweepResult](t, h, raw)
	if got.Fired != 1 {
		t.Fatalf("fired %d timers, want the 1 seeded", got.Fired)
	}
	if fired, err := h.store.TimerFired(t.Context(), timer); err != nil || !fired {
		t.Fatalf("timer fired: %v (%v), want true", fired, err)
	}
}

// checkWebhooksScheduled: the webhook dispatcher's run finds a delivery due
// in its lookback and attempts it; the demo account has no handler set, so
// the attempt fails for good without any call out.
func checkWebhooksScheduled(t *testing.T, h *harness, raw []byte) {
	ev := strict[events.EventBridgeEvent](t, raw)
	if ev.DetailType != "Scheduled Event" || !slices.ContainsFunc(routes.Schedules, func(s routes.Schedule) bool { return s.Function == h.fn }) {
		t.Fatalf("no schedule starts %s with %q", h.fn, ev.DetailType)
	}
	at := h.now.Add(-10 * time.Second).Truncate(time.Second)
	d := webhook.Delivery{AccountID: e2e.DemoAccount, ID: webhook.NewID(at, "sample"), Event: webhook.ChatStart, Body: []byte(`{}`),
		Status: webhook.Pending, CreatedAt: at, Since: at, NextAt: at}
	if _, err := h.store.PutDelivery(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	got := invoke[webhook.Result](t, h, raw)
	if got.Attempts != 1 || got.Delivered != 0 {
		t.Fatalf("the run: %+v, want the 1 seeded attempted and not delivered", got)
	}
	if stored, err := h.store.Delivery(t.Context(), e2e.DemoAccount, d.ID); err != nil || stored.Status != webhook.Failed || !strings.Contains(stored.LastError, "turned off") {
		t.Fatalf("the delivery after the run: %+v (%v)", stored, err)
	}
}

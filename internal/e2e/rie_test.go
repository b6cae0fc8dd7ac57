package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"parley/internal/apperr"
	"parley/internal/dynamo"
	"parley/internal/e2e"
	"parley/internal/lambdas"
	"parley/internal/realtime"
	"parley/internal/routes"
	"parley/internal/testkit"
	"parley/internal/testkit/testenv"
	"parley/internal/webhook"
)

// TestMain stops the DynamoDB Local and local SES that testenv starts.
func TestMain(m *testing.M) { testenv.Main(m) }

// world is what one function's process runs against: its own table, the
// local SES, and a stand-in for @connections.
type world struct {
	store *dynamo.Store
	conns *e2e.Connections
}

// step is one sample of events/ sent to a function: prepare (optional)
// arranges the table first, check asserts the raw response.
type step struct {
	sample  string
	prepare func(t *testing.T, w *world)
	check   func(t *testing.T, w *world, out []byte)
}

// plan is what each function is invoked with, in order. Every function of
// routes.Functions must have an entry: a new function cannot skip this test.
var plan = map[string][]step{
	routes.FnAPI: {
		{sample: "apigw-v2-health.json", check: checkHealth},
		{sample: "apigw-v2-settings-company-get.json", check: checkStatus200},
	},
	routes.FnAuthorizer: {
		{sample: "apigw-v2-authorizer-request.json", check: checkAuthorized},
	},
	routes.FnRealtime: {
		{sample: "apigw-ws-connect.json", prepare: forgetStaffConnection, check: checkConnected},
		{sample: "apigw-ws-message.json", check: checkDelivered},
		{sample: "apigw-ws-disconnect.json", check: checkDisconnected},
	},
	routes.FnStream: {
		{sample: "dynamodb-stream-settings-modify.json", check: checkAudited},
		{sample: "dynamodb-stream-mail-insert.json", check: checkMailSent},
	},
	routes.FnSweeper: {
		{sample: "eventbridge-scheduled.json", prepare: seedTimer, check: checkSwept},
	},
	routes.FnWebhooks: {
		{sample: "eventbridge-scheduled-webhooks.json", prepare: seedDelivery, check: checkDispatched},
	},
}

// TestFunctionsUnderRIE builds every function as its bootstrap, runs each
// under the Runtime Interface Emulator with nothing but the environment
// the stack gives it, and invokes it with its samples: a function whose
// main does not wire its clients, table or keys from that environment
// fails here. It logs each bootstrap's size and cold-start times.
func TestFunctionsUnderRIE(t *testing.T) {
	if runtime.GOOS != "linux" {
		missing(t, "the bootstraps are Linux binaries and this is "+runtime.GOOS)
	}
	for _, f := range routes.Functions {
		if len(plan[f.Name]) == 0 {
			t.Errorf("function %s has no samples in plan", f.Name)
		}
	}
	// Without the local parts there is nothing to wire to; find out
	// before paying for the builds.
	dynamoEndpoint, sesEndpoint := testenv.Endpoints(t)
	root, err := e2e.ModuleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// The emulator builds alongside the functions; the functions build one
	// after another, as they share almost every package and the first
	// build fills the cache for the rest.
	type built struct {
		path string
		err  error
	}
	rieDone := make(chan built, 1)
	go func() {
		p, err := e2e.BuildRIE(t.Context(), dir)
		rieDone <- built{p, err}
	}()
	bootstraps := map[string]string{}
	for _, f := range routes.Functions {
		start := time.Now()
		p, err := e2e.BuildFunction(t.Context(), dir, f.Name, runtime.GOARCH)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", f.Name, time.Since(start).Round(time.Millisecond))
		bootstraps[f.Name] = p
	}
	rie := <-rieDone
	if rie.err != nil {
		missing(t, rie.err.Error())
	}

	// The sweeper ticks through its whole minute before it answers, so it
	// starts first and the others run beside it.
	order := slices.Clone(routes.Functions)
	slices.SortStableFunc(order, func(a, b routes.Function) int {
		if a.Name == routes.FnSweeper {
			return -1
		}
		if b.Name == routes.FnSweeper {
			return 1
		}
		return 0
	})
	for _, f := range order {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			runFunction(t, f, rie.path, bootstraps[f.Name], root, dynamoEndpoint, sesEndpoint)
		})
	}
}

// missing fails the test where the local stack is required (CI), and
// skips it elsewhere.
func missing(t *testing.T, why string) {
	t.Helper()
	if testenv.Required() {
		t.Fatalf("cannot run functions under the emulator: %s", why)
	}
	t.Skipf("cannot run functions under the emulator (%s=1 makes this a failure): %s", testenv.EnvRequireLocal, why)
}

func runFunction(t *testing.T, f routes.Function, emulator, bootstrap, root, dynamoEndpoint, sesEndpoint string) {
	db, table := testenv.DynamoDB(t)
	w := &world{store: dynamo.New(db, table), conns: e2e.NewConnections()}
	t.Cleanup(w.conns.Close)
	if err := e2e.SeedDemo(t.Context(), w.store, time.Now()); err != nil {
		t.Fatal(err)
	}
	env := e2e.FunctionEnv(f, e2e.Local{Table: table, DynamoDBEndpoint: dynamoEndpoint, SESEndpoint: sesEndpoint, ConnectionsEndpoint: w.conns.URL})
	r, err := e2e.RunUnderRIE(t.Context(), emulator, bootstrap, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("stop the emulator: %v", err)
		}
	})
	for _, s := range plan[f.Name] {
		raw, err := os.ReadFile(filepath.Join(root, "events", s.sample))
		if err != nil {
			t.Fatal(err)
		}
		if s.prepare != nil {
			s.prepare(t, w)
		}
		out, err := r.Invoke(t.Context(), raw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.sample, err, r.Output())
		}
		s.check(t, w, out)
		if t.Failed() {
			t.Logf("%s: response %s\noutput:\n%s", s.sample, out, r.Output())
			return
		}
	}
	initDuration, ok := r.InitDuration()
	if !ok {
		t.Errorf("the emulator reported no init duration:\n%s", r.Output())
	}
	// The first response includes the first invocation's own work: for the
	// sweeper, the whole minute it ticks.
	t.Logf("%s: bootstrap %d bytes (%.1f MiB), init %s, first response %s after the emulator started",
		f.Name, r.Size, float64(r.Size)/(1<<20), initDuration.Round(100*time.Microsecond), r.FirstResponse().Round(time.Millisecond))
}

func checkHealth(t *testing.T, _ *world, out []byte) {
	resp := testkit.Decode[events.APIGatewayV2HTTPResponse](t, out)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"ok"`) {
		t.Errorf("health: %d %s, want 200 ok", resp.StatusCode, resp.Body)
	}
}

func checkStatus200(t *testing.T, _ *world, out []byte) {
	resp := testkit.Decode[events.APIGatewayV2HTTPResponse](t, out)
	if resp.StatusCode != 200 {
		t.Errorf("status %d %s, want 200", resp.StatusCode, resp.Body)
	}
}

func checkAuthorized(t *testing.T, _ *world, out []byte) {
	resp := testkit.Decode[events.APIGatewayV2CustomAuthorizerSimpleResponse](t, out)
	if !resp.IsAuthorized || resp.Context["accountId"] != e2e.DemoAccount {
		t.Errorf("authorizer: %s, want authorized for %s (is TOKEN_SECRET read from the environment?)", out, e2e.DemoAccount)
	}
}

// forgetStaffConnection removes the seeded connection that $connect must
// then store again.
func forgetStaffConnection(t *testing.T, w *world) {
	if err := w.store.DeleteConnection(t.Context(), e2e.DemoStaffConnection); err != nil {
		t.Fatal(err)
	}
}

func checkConnected(t *testing.T, w *world, out []byte) {
	if resp := testkit.Decode[events.APIGatewayProxyResponse](t, out); resp.StatusCode != 200 {
		t.Fatalf("$connect: %d, want 200", resp.StatusCode)
	}
	if _, err := w.store.Connection(t.Context(), e2e.DemoStaffConnection); err != nil {
		t.Errorf("connection not stored: %v", err)
	}
}

func checkDelivered(t *testing.T, w *world, out []byte) {
	resp := testkit.Decode[events.APIGatewayProxyResponse](t, out)
	var reply realtime.ChatFrame
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &reply) != nil || reply.Type != "sent" {
		t.Fatalf("sendMessage: %d %s, want 200 and a sent frame", resp.StatusCode, resp.Body)
	}
	// Proves CONNECTIONS_ENDPOINT was read: the message reached it (after
	// the new chat's announcement, protocol v2).
	posts := w.conns.Posts()
	if !slices.ContainsFunc(posts, func(p e2e.Post) bool {
		return p.ConnectionID == e2e.DemoStaffConnection && strings.Contains(string(p.Body), `"type":"message"`)
	}) {
		t.Errorf("posts %v, want the message to %s", posts, e2e.DemoStaffConnection)
	}
}

func checkDisconnected(t *testing.T, w *world, out []byte) {
	if resp := testkit.Decode[events.APIGatewayProxyResponse](t, out); resp.StatusCode != 200 {
		t.Fatalf("$disconnect: %d, want 200", resp.StatusCode)
	}
	if _, err := w.store.Connection(t.Context(), e2e.DemoStaffConnection); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("connection after $disconnect: %v, want not found", err)
	}
}

func checkNoFailures(t *testing.T, out []byte) {
	t.Helper()
	if resp := testkit.Decode[events.DynamoDBEventResponse](t, out); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batchItemFailures %v, want none", resp.BatchItemFailures)
	}
}

func checkAudited(t *testing.T, w *world, out []byte) {
	checkNoFailures(t, out)
	got, err := w.store.Audit(t.Context(), e2e.DemoAccount, 0, 10)
	if err != nil || len(got) != 1 || got[0].Version != e2e.DemoSettingsVersion {
		t.Errorf("audit trail %+v (%v), want the one entry of version %d", got, err, e2e.DemoSettingsVersion)
	}
}

func checkMailSent(t *testing.T, w *world, out []byte) {
	checkNoFailures(t, out)
	// Marked sent only after SES accepted it: proves the SES v2 endpoint
	// and MAIL_FROM were read.
	if status, err := w.store.MailStatus(t.Context(), e2e.DemoAccount, e2e.DemoMailID); err != nil || status != "sent" {
		t.Errorf("mail status %q (%v), want sent", status, err)
	}
}

func seedTimer(t *testing.T, w *world) {
	if err := w.store.PutTimer(t.Context(), e2e.DemoTimer(time.Now())); err != nil {
		t.Fatal(err)
	}
}

// seedDelivery puts a webhook delivery due in the dispatcher's lookback;
// the demo account has no handler, so its attempt fails without a call.
func seedDelivery(t *testing.T, w *world) {
	at := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	d := webhook.Delivery{AccountID: e2e.DemoAccount, ID: webhook.NewID(at, "rie"), Event: webhook.ChatStart, Body: []byte(`{}`),
		Status: webhook.Pending, CreatedAt: at, Since: at, NextAt: at}
	if _, err := w.store.PutDelivery(t.Context(), d); err != nil {
		t.Fatal(err)
	}
}

func checkDispatched(t *testing.T, _ *world, out []byte) {
	if got := testkit.Decode[webhook.Result](t, out); got.Attempts != 1 {
		t.Errorf("webhooks: %s, want the 1 seeded delivery attempted", out)
	}
}

func checkSwept(t *testing.T, _ *world, out []byte) {
	if got := testkit.Decode[lambdas.SweepResult](t, out); got.Fired != 1 {
		t.Errorf("sweeper: %s, want the 1 seeded timer fired", out)
	}
}

package browser_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/local/messengers"
	"parley/internal/local/stack"
	"parley/internal/testkit"
	"parley/internal/testkit/crmfake"
	"parley/internal/testkit/testenv"
	"parley/internal/timers"
	"parley/internal/visitor"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// envChromium points the tests at another chromium binary; by default they
// use Debian's, which scripts/browser-deps.sh installs. Playwright's own
// browser downloads are never used.
const envChromium = "PARLEY_CHROMIUM"

// tools finds node, chromium and playwright-core. A missing one skips the
// test on a developer's machine but fails it under make test and in CI,
// where a skip would let the browser tests pass by not running.
func tools(t *testing.T, root string) (node string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if testenv.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg + " (skipping; " + testenv.EnvRequireLocal + "=1 makes this a failure)")
	}
	chromium := os.Getenv(envChromium)
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no chromium at %s: run scripts/browser-deps.sh", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("playwright-core is not installed: run make deps")
	}
	return node
}

// browserBotToken is a bot token the local Bot API knows, badBotToken a
// well-formed one it does not, and tokenSecret the stack's signing key.
var (
	browserBotToken = "7000001:" + strings.Repeat("B", 35)
	badBotToken     = "7000002:" + strings.Repeat("X", 35)
	tokenSecret     = strings.Repeat("b", 32)
)

// TestBrowser runs web/tests/*.test.mjs under node's test runner against a
// local stack of its own, with an administrator account made through the
// public sign-up route as a customer would.
func TestBrowser(t *testing.T) {
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	node := tools(t, root)
	// PARLEY_BROWSER_TESTS narrows the run to the files matching one or
	// more comma-separated globs (e.g. "workplace*,settings-*"), for
	// working on a page; make test runs all.
	patterns := "*.test.mjs"
	if p := os.Getenv("PARLEY_BROWSER_TESTS"); p != "" {
		patterns = p
	}
	var files []string
	for _, pattern := range strings.Split(patterns, ",") {
		matched, err := filepath.Glob(filepath.Join(root, "web", "tests", strings.TrimSpace(pattern)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matched...)
	}
	if len(files) == 0 {
		t.Fatalf("no browser tests in web/tests match %q", patterns)
	}

	// The CRM and mailing services answer from a local fake; the export's
	// batches are small, so its progress bar moves over some seconds.
	fake := crmfake.New()
	t.Cleanup(fake.Close)
	crmConfig := fake.Config()
	crmConfig.ExportBatch = 200
	// Generous: node runs the files two at a time (each file is a process
	// of its own with its own chromium) on a 2-core machine, the workplace
	// test with two staff pages and visitors, on cores other jobs share.
	// Telegram's Bot API is a local stand-in too, knowing every
	// well-formed token (the settings pages save their own) but the bad
	// one; channels.test.mjs reads the webhook it registered and what it
	// was sent through its state route.
	tg := messengers.NewTelegram(browserBotToken).AnyBot()
	tg.Refuse(badBotToken)
	t.Cleanup(tg.Close)
	t.Cleanup(func() {
		if p := tg.Problem(); p != "" {
			t.Errorf("a Bot API request broke the documented shape: %s", p)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	s := testkit.Start(t, func(o *stack.Options) {
		o.TokenSecret = tokenSecret
		// The webhook page's test sends to a receiver on loopback, and sees
		// the dispatcher's attempts within seconds: a schedule minute every
		// 6 s, each run ticking until the next (timers still fire on the
		// real clock).
		o.OutboundAllowLoopback, o.ScheduleSpeed, o.SweepWindow, o.CRM = true, 10, 6*time.Second, crmConfig
		o.TelegramAPIURL = tg.URL()
	})
	// The schedule starts the sweeper at the next whole minute; pages that
	// wait for a timeout of seconds (timeouts.test.mjs) get one ticking
	// from the start, as every run after the first is. Overlapping
	// sweepers fire a timer once.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	t.Cleanup(stopSweep)
	go func() {
		sw := &timers.Sweeper{Store: s.Store, Now: time.Now, Sleep: timers.SleepContext, Window: 12 * time.Minute, Lookback: time.Minute}
		_, _ = sw.Run(sweepCtx)
	}()

	email := fmt.Sprintf("browser-%d@example.com", time.Now().UnixNano())
	const password = "correct horse battery staple"
	kit := testkit.Client{Base: s.HTTPURL}
	admin := kit.SignUp(t, testkit.SignUp{Email: email, Password: password})
	accountID, token := admin.ID, admin.Token

	// The export's page gets an account of its own with 2,000 identified
	// visitors, written straight to the table (only when it runs).
	exportEmail := fmt.Sprintf("export-%d@example.com", time.Now().UnixNano())
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "unisender-export") {
			exportAccount := kit.SignUp(t, testkit.SignUp{Email: exportEmail, Password: password}).ID
			seedContacts(t, ctx, s, exportAccount, 2000)
		}
	}

	// Screenshots go to an ignored folder that make clean empties, to be
	// looked at after a run.
	artifacts := filepath.Join(root, ".local", "test", "browser")
	// Two files at once: the browser waits on the stack more than it
	// computes, and the files do not share state that one could change
	// under another (those that change settings sign up their own account).
	args := append([]string{"--test", "--test-concurrency=2", "--test-reporter=spec"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"PARLEY_HTTP_URL="+s.HTTPURL,
		"PARLEY_WEBSOCKET_URL="+s.WebSocketURL,
		"PARLEY_ACCOUNT_ID="+accountID,
		"PARLEY_EMAIL="+email,
		"PARLEY_PASSWORD="+password,
		"PARLEY_EXPORT_EMAIL="+exportEmail,
		"PARLEY_UNISENDER_KEY="+crmfake.UnisenderKey,
		"PARLEY_TOKEN="+token,
		"PARLEY_TELEGRAM_API_URL="+tg.URL(),
		"PARLEY_TELEGRAM_BOT_TOKEN="+browserBotToken,
		"PARLEY_TELEGRAM_BAD_BOT_TOKEN="+badBotToken,
		"PARLEY_ARTIFACTS="+artifacts,
		// The local SES, whose GET /store shows the mails the tests open.
		"PARLEY_SES_URL="+s.SESEndpoint,
		"NO_COLOR=1",
	)
	cmd.Stdout = t.Output()
	cmd.Stderr = t.Output()
	// On timeout node gets SIGINT first: playwright then closes chromium,
	// which a SIGKILL to node would leave running.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	started := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node --test %s: %v", strings.Join(files, " "), err)
	}
	t.Logf("browser tests passed in %s; screenshots in %s", time.Since(started).Round(100*time.Millisecond), artifacts)
}

// seedContacts writes n identified visitors with an e-mail, eight writers
// at once.
func seedContacts(t *testing.T, ctx context.Context, s *stack.Stack, accountID string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				id := fmt.Sprintf("seed-%05d", i)
				if err := s.Store.SetVisitorIdentity(ctx, accountID, id, visitor.Fields{"id": id, "email": id + "@contacts.example"}, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

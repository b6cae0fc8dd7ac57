// Package seslocal runs aws-ses-v2-local, the SES v2 emulator from npm, and
// reads the mail it has "sent" from its GET /store endpoint.
package seslocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"parley/internal/local/childproc"
)

// Package is the npm package of the emulator.
const Package = "aws-ses-v2-local"

// ErrNotInstalled is returned (wrapped) when the package or node is missing.
var ErrNotInstalled = errors.New("seslocal: not installed")

// Options configure Start.
type Options struct {
	// Root is the repository root, holding node_modules.
	Root string
	// Port to listen on; 0 picks a free one.
	Port int
	// Log receives the emulator's output; nil discards it.
	Log io.Writer
	// StartTimeout bounds the wait for the first answer; 0 means 30 s.
	StartTimeout time.Duration
}

// Server is a running aws-ses-v2-local.
type Server struct {
	proc     *childproc.Process
	endpoint string
}

// Start runs the emulator and returns once GET /store answers.
func Start(ctx context.Context, o Options) (*Server, error) {
	bin, err := FindBin(o.Root)
	if err != nil {
		return nil, err
	}
	node, err := childproc.Lookup("node")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	attempts := 1
	if o.Port == 0 {
		attempts = 3 // a picked port may be taken before node binds it
	}
	for i := 0; ; i++ {
		s, err := start(ctx, node, bin, o)
		if err == nil || i+1 >= attempts || ctx.Err() != nil {
			return s, err
		}
	}
}

func start(ctx context.Context, node, bin string, o Options) (*Server, error) {
	port := o.Port
	if port == 0 {
		var err error
		if port, err = childproc.FreePort(); err != nil {
			return nil, err
		}
	}
	// Loopback only: its default is every interface, and it accepts any
	// credentials.
	args := []string{bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	proc, err := childproc.Start(node, args, o.Root, o.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{proc: proc, endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
	err = proc.WaitReady(ctx, o.StartTimeout, func(ctx context.Context) error {
		_, err := Store(ctx, s.endpoint)
		return err
	})
	if err != nil {
		_ = proc.Stop(5 * time.Second)
		return nil, fmt.Errorf("seslocal: %w", err)
	}
	return s, nil
}

// Endpoint returns the base URL, e.g. http://127.0.0.1:8005: the SES v2
// client's endpoint, and in a browser the page listing the mail.
func (s *Server) Endpoint() string { return s.endpoint }

// Stop terminates the emulator and waits for it. Its store lives in memory
// and is gone afterwards.
func (s *Server) Stop() error {
	return s.proc.Stop(5 * time.Second)
}

// FindBin returns the emulator's command-line script, as the package's
// "bin" entry names it.
func FindBin(root string) (string, error) {
	dir := filepath.Join(root, "node_modules", Package)
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%w: %v (run npm install at the repository root)", ErrNotInstalled, err)
	}
	var pkg struct {
		Bin json.RawMessage `json:"bin"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return "", fmt.Errorf("seslocal: %s/package.json: %w", dir, err)
	}
	// "bin" is either one path or a map of command names to paths.
	var rel string
	var bins map[string]string
	switch {
	case json.Unmarshal(pkg.Bin, &rel) == nil:
	case json.Unmarshal(pkg.Bin, &bins) == nil:
		rel = bins[Package]
	}
	if rel == "" {
		return "", fmt.Errorf("%w: %s/package.json names no %s command", ErrNotInstalled, dir, Package)
	}
	bin := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return bin, nil
}

// Mail is one message the emulator accepted, as GET /store lists it. Only
// what SendEmail put in the message is kept: the emulator drops the
// configuration set and the email tags.
type Mail struct {
	MessageID string   `json:"messageId"`
	From      string   `json:"from"`
	ReplyTo   []string `json:"replyTo"`
	// Destination is the three recipient lists as given (addresses may
	// carry display names).
	Destination struct {
		To  []string `json:"to"`
		CC  []string `json:"cc"`
		BCC []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	// Body holds the parts that were sent; an absent part is "".
	Body struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Attachments []Attachment `json:"attachments"`
	Headers     []Header     `json:"headers"`
	// At is when the emulator accepted it, in Unix seconds.
	At int64 `json:"at"`
}

// Time returns At as a time.
func (m Mail) Time() time.Time { return time.Unix(m.At, 0) }

// To is a shortcut for Destination.To.
func (m Mail) To() []string { return m.Destination.To }

// Attachment is an attachment of a Mail.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Content     string `json:"content"` // base64
	Size        int    `json:"size"`
}

// Header is a custom header of a Mail.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Store returns every mail the emulator at endpoint holds, oldest first.
func Store(ctx context.Context, endpoint string) ([]Mail, error) {
	var store struct {
		Emails []Mail `json:"emails"`
	}
	if err := call(ctx, http.MethodGet, endpoint, "/store", &store); err != nil {
		return nil, err
	}
	return store.Emails, nil
}

// Clear empties the emulator's store (mail and templates).
func Clear(ctx context.Context, endpoint string) error {
	return call(ctx, http.MethodPost, endpoint, "/clear-store", nil)
}

func call(ctx context.Context, method, endpoint, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(endpoint, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("seslocal: %s %s: %w", method, path, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("seslocal: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("seslocal: %s %s: %w", method, path, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("seslocal: %s %s: %s: %.200s", method, path, res.Status, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("seslocal: %s %s: decode: %w", method, path, err)
	}
	return nil
}

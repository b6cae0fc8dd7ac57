package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// party is one side of a benchmark chat: who it is and the query string
// its browser would connect with.
type party struct {
	account string
	id      string
	query   string // the WebSocket URL's query: token=… or visitorToken=…
	token   string // the staff token, for the HTTP API; empty for a visitor
}

// chatPair is a visitor and an operator of one account.
type chatPair struct {
	visitor, operator party
}

// signUp signs up an account through the HTTP API, as a company would:
// the administrator who signed up is the operator, with a real session.
func signUp(ctx context.Context, httpURL, name string) (party, error) {
	var signup struct {
		Token   string `json:"token"`
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	email := name + "@bench.parley.example"
	if err := callJSON(ctx, "POST", httpURL+"/v1/accounts", "", map[string]string{"companyName": "Bench " + name, "email": email,
		"password": "bench-password-" + name, "plan": "basic", "language": "en"}, http.StatusCreated, &signup); err != nil {
		return party{}, err
	}
	if signup.Token == "" {
		return party{}, fmt.Errorf("bench: sign-up of %s gave no token", name)
	}
	return party{account: signup.Account.ID, id: signup.User.ID, query: "token=" + url.QueryEscape(signup.Token), token: signup.Token}, nil
}

// newVisitor loads the widget's configuration of account, as a visitor's
// browser would: the widget hands out a new visitor's token.
func newVisitor(ctx context.Context, httpURL, account string) (party, error) {
	var widget struct {
		VisitorID    string `json:"visitorId"`
		VisitorToken string `json:"visitorToken"`
	}
	if err := callJSON(ctx, "GET", httpURL+"/v1/widget/"+url.PathEscape(account)+"/config", "", nil, http.StatusOK, &widget); err != nil {
		return party{}, err
	}
	if widget.VisitorToken == "" || widget.VisitorID == "" {
		return party{}, fmt.Errorf("bench: the widget config of %s gave no visitor token", account)
	}
	return party{account: account, id: widget.VisitorID, query: "visitorToken=" + url.QueryEscape(widget.VisitorToken)}, nil
}

// newPair signs up an account and makes one visitor of it.
func newPair(ctx context.Context, httpURL, name string) (chatPair, error) {
	op, err := signUp(ctx, httpURL, name)
	if err != nil {
		return chatPair{}, err
	}
	v, err := newVisitor(ctx, httpURL, op.account)
	return chatPair{visitor: v, operator: op}, err
}

// newTeams signs up operators accounts, two at a time (sign-up hashes a
// password, which is all the CPU one sign-up needs), and makes chats
// visitors spread over them: pair i's operator is operator i%operators.
func newTeams(ctx context.Context, httpURL, prefix string, operators, chats int) ([]chatPair, error) {
	ops := make([]party, operators)
	errs := make([]error, operators)
	runAll(operators, 2, func(i int) {
		ops[i], errs[i] = signUp(ctx, httpURL, fmt.Sprintf("%s-%04d", prefix, i))
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	pairs := make([]chatPair, chats)
	errs = make([]error, chats)
	runAll(chats, 8, func(i int) {
		pairs[i].operator = ops[i%operators]
		pairs[i].visitor, errs[i] = newVisitor(ctx, httpURL, pairs[i].operator.account)
	})
	return pairs, errors.Join(errs...)
}

// callJSON calls the HTTP API, with token as the bearer when given.
func callJSON(ctx context.Context, method, url, token string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("content-type", "application/json")
	if token != "" {
		req.Header.Set("authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("bench: %s %s: %s %.300s", method, url, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}

// frame is what the realtime function and the gateway send a client: the
// function's frames have a type; the gateway's own errors only a message.
type frame struct {
	Type     string `json:"type"`
	ClientID string `json:"clientId"`
	Text     string `json:"text"`
	Chat     *struct {
		ID         string    `json:"id"`
		Status     string    `json:"status"`
		OperatorID string    `json:"operatorId"`
		StartedAt  time.Time `json:"startedAt"`
	} `json:"chat"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Message string `json:"message"` // the gateway's "Internal server error" and the like
}

func (f frame) failed() bool { return f.Type == "error" || (f.Type == "" && f.Message != "") }

func (f frame) String() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// client is one WebSocket connection of a benchmark party. A goroutine
// reads every frame and hands it to onFrame with the time it arrived.
type client struct {
	conn     *websocket.Conn
	received atomic.Int64 // frames read
	sent     atomic.Int64 // frames written
	done     chan struct{}
}

// dial connects to the local gateway; the $connect invocation runs before
// it returns, as the gateway refuses or accepts the upgrade after it.
func dial(ctx context.Context, wsURL string, p party, onFrame func(f frame, at time.Time)) (*client, error) {
	conn, _, err := websocket.Dial(ctx, wsURL+"?"+p.query, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, fmt.Errorf("bench: connect %s: %w", p.id, err)
	}
	c := &client{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			at := time.Now()
			c.received.Add(1)
			var f frame
			if json.Unmarshal(b, &f) != nil {
				f = frame{Message: "not JSON: " + string(b)}
			}
			onFrame(f, at)
		}
	}()
	return c, nil
}

func (c *client) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.sent.Add(1)
	return c.conn.Write(ctx, websocket.MessageText, b)
}

// close ends the connection and waits for the reader; the gateway then
// invokes $disconnect on its own time.
func (c *client) close() {
	_ = c.conn.Close(websocket.StatusNormalClosure, "")
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.conn.CloseNow()
	}
}

// outbound is a client frame of the chat protocol, with the fields the
// benchmark uses.
type outbound struct {
	Action   string `json:"action"`
	ClientID string `json:"clientId,omitempty"`
	ChatID   string `json:"chatId,omitempty"`
	Text     string `json:"text,omitempty"`
	Question string `json:"question,omitempty"` // startChat's first message
}

var errTimeout = errors.New("bench: timed out")

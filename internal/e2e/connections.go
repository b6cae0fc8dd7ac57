package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Post is one frame a function posted to a connection.
type Post struct {
	ConnectionID string
	Body         []byte
}

// Connections stands in for API Gateway's @connections endpoint: it
// accepts every PostToConnection and records it, so a test can see what a
// function delivered to whom. Set CONNECTIONS_ENDPOINT to URL.
type Connections struct {
	URL string

	srv   *httptest.Server
	mu    sync.Mutex
	posts []Post
}

// NewConnections starts the endpoint; Close stops it.
func NewConnections() *Connections {
	c := &Connections{}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	c.URL = c.srv.URL
	return c
}

func (c *Connections) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/@connections/")
	if r.Method != http.MethodPost || !ok || id == "" {
		// Only PostToConnection is expected; anything else is a bug the
		// caller sees as an error.
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.posts = append(c.posts, Post{ConnectionID: id, Body: body})
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Posts returns what was posted so far, in order.
func (c *Connections) Posts() []Post {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Post(nil), c.posts...)
}

// Close stops the endpoint.
func (c *Connections) Close() { c.srv.Close() }

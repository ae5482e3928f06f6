// Package gocacheprog serves the go command's build and test cache from a
// cent cache, speaking the GOCACHEPROG protocol (Go 1.24 and later): JSON
// requests on stdin, JSON responses on stdout, one per line.
//
// A "put" stores the object body in the cache's CAS under its OutputID
// (the SHA-256 of the body, verified) and an entry in the AC under a key
// derived from the ActionID; a "get" looks the entry up locally and then
// in the remote store and answers with the path of the body in the local
// CAS. So `go build` and `go test` on every machine that points
// GOCACHEPROG at `cent gocache` share package and test results through the
// same remote cache as cent's tasks.
package gocacheprog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// Commands of the protocol (cmd/go/internal/cacheprog).
const (
	CmdGet   = "get"
	CmdPut   = "put"
	CmdClose = "close"
)

// Request is a message from the go command.
type Request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

// Response is a message to the go command.
type Response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// ErrProtocol reports a malformed request stream.
var ErrProtocol = errors.New("gocacheprog: protocol error")

// outputName is the single output of a Go cache entry.
const outputName = "go-output"

// inputName records the Go action ID in the entry's key manifest.
const inputName = "go-action-id"

// Key returns the cent cache key of a Go action ID. The prefix keeps Go's
// entries apart from cent task entries in a shared store.
func Key(actionID []byte) cache.Digest {
	return cache.Sum(append([]byte("cent-gocache/1\x00"), actionID...))
}

// Server answers GOCACHEPROG requests from a cache.
type Server struct {
	// Cache stores the objects.
	Cache *cache.Cache
	// Warn reports problems that do not fail a request; nil discards.
	Warn func(format string, args ...any)
	// Now stamps new entries; nil means time.Now.
	Now func() time.Time
	// Parallel bounds concurrently served requests; zero means 16.
	Parallel int

	mu  sync.Mutex // guards enc and bw
	bw  *bufio.Writer
	enc *json.Encoder
}

// Serve reads requests from r and writes responses to w until a "close"
// request (answered after every earlier request) or the end of r. Gets run
// concurrently and responses may come out of order, as the protocol
// allows; a put is answered once its object and entry are in the local
// cache (and, unless the cache uploads asynchronously, in the remote). It returns an error wrapping ErrProtocol
// when the request stream is malformed.
func (s *Server) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	if s.Cache == nil {
		return errors.New("gocacheprog: no cache")
	}
	if s.Warn == nil {
		s.Warn = func(string, ...any) {}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Parallel <= 0 {
		s.Parallel = 16
	}
	s.bw = bufio.NewWriter(w)
	s.enc = json.NewEncoder(s.bw)
	if err := s.send(&Response{KnownCommands: []string{CmdGet, CmdPut, CmdClose}}); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.Parallel)
	async := func(f func()) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f()
		}()
	}
	for {
		line, err := readLine(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			return fmt.Errorf("request %q: %v: %w", truncate(line), err, ErrProtocol)
		}
		switch req.Command {
		case CmdGet:
			async(func() { s.send(s.get(ctx, &req)) })
		case CmdPut:
			res, err := s.put(ctx, &req, br)
			if err != nil {
				return err
			}
			s.send(res)
		case CmdClose:
			wg.Wait()
			return s.send(&Response{ID: req.ID})
		default:
			s.send(&Response{ID: req.ID, Err: fmt.Sprintf("unknown command %q", req.Command)})
		}
	}
}

// get answers a "get" from the cache.
func (s *Server) get(ctx context.Context, req *Request) *Response {
	if len(req.ActionID) == 0 {
		return &Response{ID: req.ID, Err: "get without ActionID"}
	}
	key := Key(req.ActionID)
	e, err := s.Cache.Lookup(ctx, key)
	if err != nil {
		return &Response{ID: req.ID, Miss: true}
	}
	if len(e.Outputs) != 1 || e.Outputs[0].Path != outputName || e.Inputs[inputName] != hex.EncodeToString(req.ActionID) {
		s.Warn("go cache entry %s is not a Go cache object (treated as a miss)", key)
		return &Response{ID: req.ID, Miss: true}
	}
	o := e.Outputs[0]
	path, err := s.Cache.BlobPath(ctx, o.Digest, o.Size)
	if err != nil {
		return &Response{ID: req.ID, Miss: true}
	}
	created := e.Created
	return &Response{ID: req.ID, OutputID: o.Digest[:], Size: o.Size, Time: &created, DiskPath: path}
}

// put stores a body read from br (the request stream continues after it)
// and its entry. A malformed body stream is fatal; other problems are
// reported in the response.
func (s *Server) put(ctx context.Context, req *Request, br *bufio.Reader) (*Response, error) {
	var body *bodyReader
	if req.BodySize > 0 {
		b, err := newBodyReader(br)
		if err != nil {
			return nil, err
		}
		body = b
	}
	var out cache.Digest
	if len(req.ActionID) == 0 || len(req.OutputID) != len(out) || req.BodySize < 0 {
		if body != nil {
			if err := body.drain(); err != nil {
				return nil, err
			}
		}
		return &Response{ID: req.ID, Err: "put needs an ActionID, a 32-byte OutputID and a non-negative BodySize"}, nil
	}
	copy(out[:], req.OutputID)
	// The cache verifies that the body hashes to the OutputID.
	var r io.Reader = bytes.NewReader(nil)
	if body != nil {
		r = body
	}
	path, err := s.Cache.PutBlob(ctx, out, req.BodySize, r)
	if body != nil {
		if derr := body.drain(); derr != nil {
			return nil, derr
		}
	}
	if err != nil {
		return &Response{ID: req.ID, Err: fmt.Sprintf("storing object %x: %v", req.OutputID, err)}, nil
	}
	e := &cache.Entry{
		Key:     Key(req.ActionID),
		Created: s.Now().UTC(),
		Stdout:  cache.Sum(nil),
		Stderr:  cache.Sum(nil),
		Outputs: []cache.Output{{Path: outputName, Mode: 0o644, Size: req.BodySize, Digest: out}},
		Inputs:  map[string]string{inputName: hex.EncodeToString(req.ActionID)},
	}
	if err := s.Cache.SaveEntry(ctx, e); err != nil {
		return &Response{ID: req.ID, Err: fmt.Sprintf("storing entry: %v", err)}, nil
	}
	return &Response{ID: req.ID, DiskPath: path}, nil
}

// send writes one response and flushes it.
func (s *Server) send(r *Response) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enc.Encode(r); err != nil {
		return err
	}
	return s.bw.Flush()
}

// readLine returns the next non-empty line without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			return line, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// bodyReader decodes a put's body: a JSON string of base64 on the line
// after the request, streamed without holding it in memory.
type bodyReader struct {
	q   *quoted
	dec io.Reader
}

func newBodyReader(br *bufio.Reader) (*bodyReader, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("reading put body: %v: %w", err, ErrProtocol)
		}
		if c == '"' {
			break
		}
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return nil, fmt.Errorf("put body starts with %q, want a JSON string: %w", c, ErrProtocol)
		}
	}
	q := &quoted{br: br}
	return &bodyReader{q: q, dec: base64.NewDecoder(base64.StdEncoding, q)}, nil
}

func (b *bodyReader) Read(p []byte) (int, error) { return b.dec.Read(p) }

// drain consumes the rest of the string, so the stream stays in step even
// when the body was rejected half-way.
func (b *bodyReader) drain() error {
	_, err := io.Copy(io.Discard, b.q)
	return err
}

// quoted reads up to (and consumes) the closing quote of a JSON string
// that holds only base64 characters.
type quoted struct {
	br   *bufio.Reader
	done bool
}

func (q *quoted) Read(p []byte) (int, error) {
	if q.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := q.br.Peek(1); err != nil {
		return 0, fmt.Errorf("put body: unterminated string: %w", ErrProtocol)
	}
	buf, _ := q.br.Peek(min(len(p), q.br.Buffered()))
	if i := bytes.IndexByte(buf, '"'); i >= 0 {
		n := copy(p, buf[:i])
		q.br.Discard(i + 1)
		q.done = true
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	n := copy(p, buf)
	q.br.Discard(n)
	return n, nil
}

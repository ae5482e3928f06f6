package gocacheprog_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
	_ "github.com/centuria/centuria/tools/cent/pkg/cache/httpstore"
	"github.com/centuria/centuria/tools/cent/pkg/gocacheprog"
)

// client plays the go command's side of the protocol, writing requests
// the way cmd/go/internal/cache/prog.go does.
type client struct {
	t   *testing.T
	w   *io.PipeWriter
	dec *json.Decoder
	id  int64
}

func startServer(t *testing.T, c *cache.Cache) (*client, chan error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		s := &gocacheprog.Server{Cache: c}
		err := s.Serve(context.Background(), inR, outW)
		outW.CloseWithError(io.EOF)
		done <- err
	}()
	cl := &client{t: t, w: inW, dec: json.NewDecoder(bufio.NewReader(outR))}
	hello := cl.read()
	if strings.Join(hello.KnownCommands, ",") != "get,put,close" || hello.ID != 0 {
		t.Fatalf("capabilities = %+v", hello)
	}
	return cl, done
}

func (c *client) read() gocacheprog.Response {
	c.t.Helper()
	var r gocacheprog.Response
	if err := c.dec.Decode(&r); err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	return r
}

func (c *client) send(req gocacheprog.Request, body []byte) {
	c.t.Helper()
	c.id++
	req.ID = c.id
	b, _ := json.Marshal(req)
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteString("\n\n") // cmd/go writes a blank line after each request
	if req.BodySize > 0 {
		buf.WriteString(`"` + base64.StdEncoding.EncodeToString(body) + "\"\n")
	}
	if _, err := c.w.Write(buf.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) put(action, body []byte) gocacheprog.Response {
	c.t.Helper()
	out := sha256.Sum256(body)
	c.send(gocacheprog.Request{Command: "put", ActionID: action, OutputID: out[:], BodySize: int64(len(body))}, body)
	return c.read()
}

func (c *client) get(action []byte) gocacheprog.Response {
	c.t.Helper()
	c.send(gocacheprog.Request{Command: "get", ActionID: action}, nil)
	return c.read()
}

func TestProtocol(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	cl, done := startServer(t, c)
	action := bytes.Repeat([]byte{7}, 32)
	if r := cl.get(action); !r.Miss || r.Err != "" {
		t.Fatalf("get before put = %+v", r)
	}
	body := cachetest.RandomBytes(t, 300<<10+1)
	r := cl.put(action, body)
	if r.Err != "" || r.DiskPath == "" {
		t.Fatalf("put = %+v", r)
	}
	if got, err := os.ReadFile(r.DiskPath); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("put DiskPath holds %d bytes (err %v), want the body", len(got), err)
	}
	g := cl.get(action)
	out := sha256.Sum256(body)
	if g.Miss || !bytes.Equal(g.OutputID, out[:]) || g.Size != int64(len(body)) || g.Time == nil {
		t.Fatalf("get after put = %+v", g)
	}
	if got, _ := os.ReadFile(g.DiskPath); !bytes.Equal(got, body) {
		t.Fatal("get DiskPath does not hold the body")
	}
	// An empty body has no body line.
	empty := bytes.Repeat([]byte{8}, 32)
	if r := cl.put(empty, nil); r.Err != "" {
		t.Fatalf("put of an empty body = %+v", r)
	}
	if g := cl.get(empty); g.Miss || g.Size != 0 || g.DiskPath == "" {
		t.Fatalf("get of an empty body = %+v", g)
	}
	// A body that does not match its OutputID is refused, and the stream
	// stays in step.
	bad := bytes.Repeat([]byte{9}, 32)
	wrong := sha256.Sum256([]byte("right"))
	cl.send(gocacheprog.Request{Command: "put", ActionID: bad, OutputID: wrong[:], BodySize: 5}, []byte("wrong"))
	if r := cl.read(); r.Err == "" {
		t.Fatalf("put with a wrong OutputID = %+v", r)
	}
	if g := cl.get(bad); !g.Miss {
		t.Fatalf("get after a refused put = %+v", g)
	}
	// So is a wrong body for an OutputID already stored, which keeps the
	// stored object intact.
	cl.send(gocacheprog.Request{Command: "put", ActionID: bad, OutputID: out[:], BodySize: 5}, []byte("wrong"))
	if r := cl.read(); r.Err == "" {
		t.Fatalf("put of a wrong body for a stored OutputID = %+v", r)
	}
	if g := cl.get(action); g.Miss {
		t.Fatal("a refused put damaged a stored object")
	}
	cl.send(gocacheprog.Request{Command: "close"}, nil)
	if r := cl.read(); r.Err != "" || r.ID != cl.id {
		t.Fatalf("close = %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestSharedThroughRemote puts through one machine's server and gets
// through another's, which has a fresh local directory.
func TestSharedThroughRemote(t *testing.T) {
	n := cachetest.Nginx(t, cachetest.NginxOptions{})
	remote, err := cache.OpenStore(context.Background(), n.URL, cache.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cachetest.NewCache(t, remote, nil)
	cl, _ := startServer(t, a)
	action := cachetest.RandomBytes(t, 32)
	body := []byte("compiled package archive")
	if r := cl.put(action, body); r.Err != "" {
		t.Fatal(r.Err)
	}
	b, w := cachetest.NewCache(t, remote, nil)
	cl2, _ := startServer(t, b)
	g := cl2.get(action)
	if g.Miss {
		t.Fatalf("second machine missed; warnings: %s", w)
	}
	if got, _ := os.ReadFile(g.DiskPath); !bytes.Equal(got, body) {
		t.Fatal("second machine's DiskPath does not hold the body")
	}
}

func TestMalformedStream(t *testing.T) {
	for name, in := range map[string]string{
		"not json":          "hello\n",
		"unterminated body": `{"ID":1,"Command":"put","ActionID":"AAAA","OutputID":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `","BodySize":3}` + "\n\"QUJD",
		"body not a string": `{"ID":1,"Command":"put","ActionID":"AAAA","OutputID":"AAAA","BodySize":3}` + "\nQUJD\n",
	} {
		c, _ := cachetest.NewCache(t, nil, nil)
		s := &gocacheprog.Server{Cache: c}
		err := s.Serve(context.Background(), strings.NewReader(in), io.Discard)
		if !errors.Is(err, gocacheprog.ErrProtocol) {
			t.Errorf("%s: Serve error = %v, want ErrProtocol", name, err)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	cl, _ := startServer(t, c)
	cl.send(gocacheprog.Request{Command: "get2"}, nil)
	if r := cl.read(); !strings.Contains(r.Err, "get2") {
		t.Fatalf("unknown command = %+v", r)
	}
}

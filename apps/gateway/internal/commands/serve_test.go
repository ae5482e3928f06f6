package commands

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
)

// TestBufferedAccessLogIsFlushedOnShutdown serves requests with the
// default (buffered, flushed every second) access log and checks that
// every line is on stdout once the gateway has stopped, well before a
// periodic flush could have written them.
func TestBufferedAccessLogIsFlushedOnShutdown(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer up.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(t.TempDir(), "gw.yaml")
	_ = os.WriteFile(cfg, []byte(fmt.Sprintf("server:\n  addr: %s\nadmin:\n  addr: \"off\"\nroutes:\n  - name: r\n    path_prefix: /\n    upstreams: [%q]\n", addr, up.URL)), 0o600)
	var stdout, stderr testenv.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{cfg}, &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/x")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 4; i++ {
		resp, err := http.Get(fmt.Sprintf("http://%s/n%d", addr, i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
	out := stdout.String()
	for i := 0; i < 4; i++ {
		if !strings.Contains(out, fmt.Sprintf(`"path":"/n%d"`, i)) {
			t.Fatalf("access line for /n%d missing after shutdown:\n%s", i, out)
		}
	}
}

package commands

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/gocacheprog"
)

// TestGocacheCommand drives `cent gocache` in-process over pipes, the way
// the go command does, through a file:// remote shared by two "machines".
func TestGocacheCommand(t *testing.T) {
	remote := "file://" + t.TempDir()
	action := bytes.Repeat([]byte{1}, 32)
	body := []byte("package archive bytes")
	out := sha256.Sum256(body)

	session := func(requests string) []gocacheprog.Response {
		cmd := newGocacheCmd(&GlobalOptions{})
		cmd.SetArgs([]string{"--cache-dir", t.TempDir(), "--remote-cache", remote})
		var stdout, stderr bytes.Buffer
		cmd.SetIn(strings.NewReader(requests))
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("cent gocache: %v\n%s", err, stderr.String())
		}
		if stderr.Len() != 0 {
			t.Fatalf("cent gocache wrote to stderr: %s", stderr.String())
		}
		var res []gocacheprog.Response
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			var r gocacheprog.Response
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("response %q: %v", sc.Text(), err)
			}
			res = append(res, r)
		}
		return res
	}
	req := func(r gocacheprog.Request) string {
		b, _ := json.Marshal(r)
		return string(b) + "\n\n"
	}
	put := req(gocacheprog.Request{ID: 1, Command: "put", ActionID: action, OutputID: out[:], BodySize: int64(len(body))}) +
		`"` + base64.StdEncoding.EncodeToString(body) + "\"\n" +
		req(gocacheprog.Request{ID: 2, Command: "close"})
	res := session(put)
	if len(res) != 3 || len(res[0].KnownCommands) != 3 || res[1].ID != 1 || res[1].Err != "" || res[2].ID != 2 {
		t.Fatalf("put session: %+v", res)
	}
	// Machine B: fresh local directory, same remote.
	res = session(req(gocacheprog.Request{ID: 1, Command: "get", ActionID: action}) + req(gocacheprog.Request{ID: 2, Command: "close"}))
	if len(res) != 3 || res[1].Miss || res[1].DiskPath == "" {
		t.Fatalf("get session: %+v", res)
	}
	got, err := os.ReadFile(res[1].DiskPath)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("DiskPath holds %q (%v)", got, err)
	}
}

package supervisor

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
)

// The test binary doubles as the child process: with SUPERVISOR_HELPER set
// it behaves as that mode says instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("SUPERVISOR_HELPER") {
	case "":
		os.Exit(m.Run())
	case "serve": // print lines, exit 0 on SIGTERM
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		for i := 1; i <= 3; i++ {
			fmt.Printf("line %d\n", i)
		}
		fmt.Fprintln(os.Stderr, "ready")
		<-sig
		fmt.Println("bye")
		os.Exit(0)
	case "crash": // print more lines than the tail keeps, then fail
		for i := 1; i <= TailLines+5; i++ {
			fmt.Fprintf(os.Stderr, "crash line %d\n", i)
		}
		os.Exit(3)
	case "stubborn": // ignore SIGTERM
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		os.Exit(0)
	case "chatty": // many lines quickly, then wait
		for i := 0; i < 500; i++ {
			fmt.Printf("%s-%03d %s\n", os.Getenv("NAME"), i, strings.Repeat("x", 100))
		}
		fmt.Println("done")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

func helper(t *testing.T, name, mode string) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Name: name, Path: exe, Env: append(os.Environ(), "SUPERVISOR_HELPER="+mode, "NAME="+name)}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCrashIsReportedWithTail(t *testing.T) {
	g := New(Discard{})
	if _, err := g.Start(helper(t, "svc", "crash")); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-g.Crashed():
		if e.Name != "svc" || e.Err == nil || !strings.Contains(e.Err.Error(), "exit status 3") {
			t.Fatalf("exit = %+v, want svc with exit status 3", e)
		}
		if len(e.Tail) != TailLines {
			t.Fatalf("tail has %d lines, want %d", len(e.Tail), TailLines)
		}
		if last := e.Tail[len(e.Tail)-1]; last != fmt.Sprintf("crash line %d", TailLines+5) {
			t.Fatalf("last tail line = %q", last)
		}
		if !strings.Contains(e.String(), "svc stopped unexpectedly (exit status 3)") {
			t.Fatalf("String() = %q", e.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("crash not reported")
	}
}

func TestStopSendsSIGTERMAndIsNotACrash(t *testing.T) {
	out := &testenv.Buffer{}
	g := New(NewPrefixed(out, false, 5))
	p, err := g.Start(helper(t, "svc", "serve"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready", func() bool { return strings.Contains(out.String(), "ready") })
	if _, err := g.Start(helper(t, "svc", "serve")); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second start of a running name: err = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want clean exit", err)
	}
	if !strings.Contains(out.String(), "svc   | bye\n") {
		t.Fatalf("output lacks the prefixed goodbye line:\n%s", out.String())
	}
	select {
	case e := <-g.Crashed():
		t.Fatalf("a stop was reported as a crash: %v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestStopKillsAfterTheGracePeriod(t *testing.T) {
	out := &testenv.Buffer{}
	g := New(NewPrefixed(out, false, 5))
	p, err := g.Start(helper(t, "stub", "stubborn"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready", func() bool { return strings.Contains(out.String(), "ready") })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = g.Stop(ctx, "stub")
	if err == nil || !strings.Contains(err.Error(), "stopping stub: did not exit after SIGTERM, killed") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stop took %s", d)
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("exit = %v, want killed", err)
	}
}

func TestKillAndRestart(t *testing.T) {
	out := &testenv.Buffer{}
	g := New(NewPrefixed(out, false, 5))
	p1, err := g.Start(helper(t, "svc", "serve"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first ready", func() bool { return strings.Count(out.String(), "ready") == 1 })
	p2, err := g.Restart("svc")
	if err != nil {
		t.Fatal(err)
	}
	if p1.Err() == nil || p2.Pid() == p1.Pid() {
		t.Fatalf("restart: old exit %v, pids %d/%d", p1.Err(), p1.Pid(), p2.Pid())
	}
	waitFor(t, "second ready", func() bool { return strings.Count(out.String(), "ready") == 2 })
	if err := g.Kill("svc"); err != nil {
		t.Fatal(err)
	}
	if err := p2.Err(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("exit after Kill = %v", err)
	}
	select {
	case e := <-g.Crashed():
		t.Fatalf("a kill was reported as a crash: %v", e)
	case <-time.After(100 * time.Millisecond):
	}
	if got := g.Names(); len(got) != 1 || got[0] != "svc" {
		t.Fatalf("names = %v", got)
	}
	if err := g.Kill("nope"); err == nil {
		t.Fatal("Kill of an unknown name succeeded")
	}
}

func TestPrefixedLinesDoNotInterleave(t *testing.T) {
	out := &testenv.Buffer{}
	g := New(NewPrefixed(out, true, 6))
	for _, n := range []string{"alpha", "beta", "gamma"} {
		if _, err := g.Start(helper(t, n, "chatty")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all output", func() bool { return strings.Count(out.String(), "done") == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.StopAll(ctx)
	line := regexp.MustCompile(`^\x1b\[\d+m(alpha |beta  |gamma ) \|\x1b\[0m (?:(alpha|beta|gamma)-\d{3} x{100}|done)$`)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3*501 {
		t.Fatalf("%d lines, want %d", len(lines), 3*501)
	}
	for _, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("malformed or interleaved line %q", l)
		}
		if m[2] != "" && strings.TrimSpace(m[1]) != m[2] {
			t.Fatalf("line of %s under the prefix of %s: %q", m[2], m[1], l)
		}
	}
}

func TestDirSinkWritesOneFilePerProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	g := New(Dir(dir))
	p, err := g.Start(helper(t, "svc", "crash"))
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	b, err := os.ReadFile(filepath.Join(dir, "svc.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "crash line"); n != TailLines+5 {
		t.Fatalf("svc.log has %d lines, want %d", n, TailLines+5)
	}
}

func TestStartOfAMissingBinaryNamesIt(t *testing.T) {
	g := New(Discard{})
	_, err := g.Start(Spec{Name: "ghost", Path: filepath.Join(t.TempDir(), "ghost")})
	if err == nil || !strings.Contains(err.Error(), "starting ghost") {
		t.Fatalf("err = %v", err)
	}
}

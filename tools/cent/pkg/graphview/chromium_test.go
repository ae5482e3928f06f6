package graphview

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the headless browser's path. A missing browser fails
// the test in CI (CI=true) and skips it elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI needs the Debian package chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI fails here instead of skipping")
	return ""
}

// runChromium loads file in headless Chromium with extra flags and returns
// its standard output.
func runChromium(t *testing.T, bin, file, fragment string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,900", "--virtual-time-budget=5000"}, extra...)
	args = append(args, (&url.URL{Scheme: "file", Path: file}).String()+fragment)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return out
}

func writePage(t *testing.T, v View) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "graph.html")
	var b bytes.Buffer
	if err := RenderHTML(&b, v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	renderedAttr = regexp.MustCompile(`<body[^>]*data-rendered="(\d+)"`)
	projectItem  = regexp.MustCompile(`<li class="project[^"]*" data-index="\d+"[^>]*>([^<]*)</li>`)
)

func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromium(t)
	const n = 4000
	v := sampleView(n)
	v.Title = evilName
	page := writePage(t, v)
	dom := string(runChromium(t, bin, page, "", "--dump-dom"))

	m := renderedAttr.FindStringSubmatch(dom)
	if m == nil || m[1] != "4000" {
		t.Fatalf("page script did not finish drawing (data-rendered %v); DOM starts %.500s", m, dom)
	}
	if ms := regexp.MustCompile(`data-draw-ms="(\d+)"`).FindStringSubmatch(dom); ms != nil {
		t.Logf("last full draw of %d projects took %s ms", n, ms[1])
	}
	items := projectItem.FindAllStringSubmatch(dom, -1)
	if len(items) != n {
		t.Fatalf("rendered list has %d projects, want %d", len(items), n)
	}
	names := make(map[string]bool, n)
	for _, it := range items {
		names[it[1]] = true
	}
	for _, want := range []string{"app-0000", "feature-0800", "util-3999",
		`&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror="document.body.dataset.pwned=1"&gt;"\N\l`} {
		if !names[want] {
			t.Errorf("project %q missing from the rendered list", want)
		}
	}
	// The hostile name stays text: no extra script or image element, and
	// its handler never ran.
	if strings.Contains(dom, "data-pwned") || strings.Contains(dom, "<img") {
		t.Error("hostile project name was parsed as markup")
	}
	if c := strings.Count(dom, "<script"); c != 2 {
		t.Errorf("rendered DOM has %d script elements, want 2", c)
	}
	if !strings.Contains(dom, `<h1 id="title">&lt;/script&gt;`) {
		t.Error("title not rendered as text")
	}
}

// TestHTMLDrawsGraphInChromium takes a screenshot and checks the canvas
// shows boxes in the colours of the project types.
func TestHTMLDrawsGraphInChromium(t *testing.T) {
	bin := chromium(t)
	page := writePage(t, sampleView(400))
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, bin, page, "", "--screenshot="+shot, "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	found := make(map[string]int)
	b := img.Bounds()
	// The canvas is right of the 320px sidebar.
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + 330; x < b.Max.X; x++ {
			if name, ok := typeAt(img, x, y); ok {
				found[name]++
			}
		}
	}
	for _, typ := range []string{"app", "feature", "ui", "data-access", "util"} {
		if found[typ] < 20 {
			t.Errorf("screenshot shows %d pixels of %s's colour %s, want boxes (found %v)", found[typ], typ, knownColors[typ], found)
		}
	}
}

// typeAt names the project type whose colour the pixel has.
func typeAt(img image.Image, x, y int) (string, bool) {
	r, g, b, _ := img.At(x, y).RGBA()
	for typ, hex := range knownColors {
		if typ == "" {
			continue
		}
		var cr, cg, cb uint32
		for i, p := range []*uint32{&cr, &cg, &cb} {
			v := hex[1+2*i : 3+2*i]
			for _, c := range v {
				*p *= 16
				switch {
				case c >= '0' && c <= '9':
					*p += uint32(c - '0')
				default:
					*p += uint32(c-'a') + 10
				}
			}
		}
		if near(r>>8, cr) && near(g>>8, cg) && near(b>>8, cb) {
			return typ, true
		}
	}
	return "", false
}

func near(a, b uint32) bool { return a+3 >= b && b+3 >= a }

// TestHTMLFocusAndSearchInChromium drives focus and search through the
// page's URL fragment.
func TestHTMLFocusAndSearchInChromium(t *testing.T) {
	bin := chromium(t)
	page := writePage(t, sampleView(300))
	dom := string(runChromium(t, bin, page, "#focus="+url.PathEscape(evilName), "--dump-dom"))
	if !strings.Contains(dom, `<section id="details"><h2>&lt;/script&gt;&lt;script&gt;alert(1)`) {
		t.Errorf("focusing the hostile project did not show it as text in the details")
	}
	if !strings.Contains(dom, "Depends on (") || !strings.Contains(dom, "Used by (") {
		t.Error("details lack the dependency lists")
	}
	if c := strings.Count(dom, `<li class="project selected"`) + strings.Count(dom, `<li class="project affected selected"`); c != 1 {
		t.Errorf("%d selected list items, want 1", c)
	}
	dom = string(runChromium(t, bin, page, "#q=app-00", "--dump-dom"))
	shown := 0
	for _, it := range projectItem.FindAllStringSubmatch(dom, -1) {
		if !strings.Contains(it[0], "hidden") {
			shown++
			if !strings.HasPrefix(it[1], "app-00") {
				t.Errorf("search app-00 shows %q", it[1])
			}
		}
	}
	if shown != 60 {
		t.Errorf("search app-00 shows %d projects, want 60", shown)
	}
}

// TestHTMLEmptyGraphInChromium loads a page without projects.
func TestHTMLEmptyGraphInChromium(t *testing.T) {
	bin := chromium(t)
	dom := string(runChromium(t, bin, writePage(t, View{Title: "empty"}), "", "--dump-dom"))
	if m := renderedAttr.FindStringSubmatch(dom); m == nil || m[1] != "0" {
		t.Fatalf("empty page did not draw (data-rendered %v)", m)
	}
	if !strings.Contains(dom, `<div id="count">0 projects</div>`) {
		t.Error("empty page does not say it has no projects")
	}
}

// TestHTMLInteractionInChromium runs the page's #selftest, which sends
// synthetic wheel, drag and click events to the canvas handlers.
func TestHTMLInteractionInChromium(t *testing.T) {
	bin := chromium(t)
	dom := string(runChromium(t, bin, writePage(t, sampleView(500)), "#selftest", "--dump-dom"))
	m := regexp.MustCompile(`data-selftest="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil || m[1] != "wheel:ok drag:ok click:ok clear:ok" {
		t.Fatalf("self-test result %v", m)
	}
}

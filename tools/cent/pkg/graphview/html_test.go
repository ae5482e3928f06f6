package graphview

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

var scriptTag = regexp.MustCompile(`(?i)<\s*/?\s*script`)

// checkPage verifies the page holds exactly its own two script elements,
// loads nothing from the network and never carries a name as markup.
func checkPage(t *testing.T, page string, network bool) {
	t.Helper()
	if n := len(scriptTag.FindAllString(page, -1)); n != 4 {
		t.Fatalf("page has %d script tags, want 4 (two elements)", n)
	}
	lower := strings.ToLower(page)
	for _, bad := range []string{"<img", "<link", "<iframe", "<object", "http://", "https://", "@import"} {
		if strings.Contains(lower, bad) && (network || strings.HasPrefix(bad, "<")) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestRenderHTMLEscapes(t *testing.T) {
	v := sampleView(50)
	v.Title = evilName
	var b bytes.Buffer
	if err := RenderHTML(&b, v); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	checkPage(t, page, true)
	if !strings.Contains(page, `\u003c/script\u003e\u003cscript\u003ealert(1)`) {
		t.Error("hostile name is not JSON-escaped in the data block")
	}
	if !strings.Contains(page, "<title>&lt;/script&gt;&lt;script&gt;alert(1)") {
		t.Error("hostile title is not HTML-escaped")
	}
	if !strings.Contains(page, "Content-Security-Policy") || !strings.Contains(page, "default-src &#39;none&#39;") {
		t.Error("page lacks its Content-Security-Policy")
	}
	csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no CSP meta element")
	}
	policy := html.UnescapeString(csp[1])
	for _, want := range []string{"script-src " + hashSource(graphJS) + ";", "style-src " + hashSource(graphCSS) + ";"} {
		if !strings.Contains(policy, want) {
			t.Errorf("CSP %q lacks %q", policy, want)
		}
	}
}

func FuzzRenderHTML(f *testing.F) {
	f.Add(evilName, "util", "scope:x")
	f.Add("<!--", "</style><script>", "\u2028")
	f.Add("]]></script>", "<SCRIPT", "&lt;")
	f.Fuzz(func(t *testing.T, name, typ, tag string) {
		v := View{Title: name + typ, Projects: []Node{{Name: name, Type: typ, Tags: []string{tag}, Root: tag}, {Name: name + "x", Type: tag}},
			Edges: []Edge{{From: name, To: name + "x"}}}
		var b bytes.Buffer
		if err := RenderHTML(&b, v); err != nil {
			t.Fatal(err)
		}
		checkPage(t, b.String(), false)
	})
}

package image

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSBOMMatchesGoVersionM checks the SBOM lists exactly the modules the
// built binary links, as `go version -m` reports them.
func TestSBOMMatchesGoVersionM(t *testing.T) {
	t.Parallel()
	o := options(tinyApp(t, "with deps", true), hostPlatform)
	o.SBOM = true
	idx := build(t, o)
	img, err := PlatformImage(idx, hostPlatform)
	if err != nil {
		t.Fatal(err)
	}
	bin := binaryOf(t, img)
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var want []string
	lines := strings.Split(string(out), "\n")
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "mod" && f[0] != "dep") {
			continue
		}
		version := f[2]
		if i+1 < len(lines) {
			if r := strings.Fields(lines[i+1]); len(r) >= 2 && r[0] == "=>" {
				version = ""
				if len(r) >= 3 {
					version = r[2]
				}
			}
		}
		want = append(want, f[1]+"@"+version)
	}
	if !slices.Contains(want, "golang.org/x/mod@"+workspaceVersion(t, "golang.org/x/mod")) {
		t.Fatalf("the test binary does not link golang.org/x/mod: %s", out)
	}

	raw, err := ReadSBOM(idx, hostPlatform)
	if err != nil {
		t.Fatal(err)
	}
	var doc SPDXDocument
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range doc.Packages {
		if p.Name == StdlibPackage {
			if !strings.HasPrefix(p.VersionInfo, "go1.") {
				t.Errorf("stdlib version %q", p.VersionInfo)
			}
			continue
		}
		got = append(got, p.Name+"@"+p.VersionInfo)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("SBOM modules\n%v\ngo version -m\n%v", got, want)
	}
	ids := map[string]bool{}
	for _, p := range doc.Packages {
		if ids[p.SPDXID] {
			t.Errorf("duplicate SPDXID %s", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	if len(doc.Relationships) != len(doc.Packages) {
		t.Errorf("%d relationships for %d packages", len(doc.Relationships), len(doc.Packages))
	}
	for _, r := range doc.Relationships {
		if !ids[r.RelatedSPDXElement] {
			t.Errorf("relationship to unknown element %s", r.RelatedSPDXElement)
		}
	}
}

// TestSBOMFromBinaryErrors checks a file without Go build info is refused.
func TestSBOMFromBinaryErrors(t *testing.T) {
	t.Parallel()
	if _, err := SBOMFromBinary([]byte("#!/bin/sh\necho not go\n"), SBOMInfo{Name: "x", Created: time.Unix(0, 0)}); err == nil {
		t.Fatal("a shell script gave an SBOM")
	}
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	a, err := SBOMFromBinary(self, SBOMInfo{Name: "x", Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SBOMFromBinary(self, SBOMInfo{Name: "x", Created: time.Unix(0, 0)})
	if string(a) != string(b) {
		t.Fatal("SBOMFromBinary is not deterministic")
	}
}

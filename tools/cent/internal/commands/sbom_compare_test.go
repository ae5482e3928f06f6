package commands

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/centuria/centuria/tools/cent/pkg/image"
	"github.com/centuria/centuria/tools/cent/pkg/vuln/vulntest"
)

// TestSBOMListsTheModulesTheBinaryLinks builds an app image with an SBOM,
// takes the binary out of the image, and checks the SBOM against `go
// version -m` on that binary: the main module with the binary's checksum,
// exactly the linked dependency modules at the linked paths and versions
// (a module replaced by another module is that module; one replaced by a
// directory keeps its path), their go.sum hashes, and the standard library
// at the binary's Go version.
func TestSBOMListsTheModulesTheBinaryLinks(t *testing.T) {
	p := vulntest.NewProxy(t)
	for _, kv := range p.Env(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CENT_GRAPH_CACHE", "off")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := p.Workspace(t, "example.com/ws", map[string]string{
		"go.mod": "module example.com/ws\n\ngo 1.22\n\nrequire (\n\texample.com/locallib v0.0.0\n\t" +
			vulntest.ModulePath + " " + vulntest.ModuleVersion + "\n)\n\n" +
			"replace " + vulntest.ModulePath + " => " + vulntest.ForkPath + " " + vulntest.ForkVersion + "\n\n" +
			"replace example.com/locallib => ./third_party/locallib\n",
		"third_party/locallib/go.mod":  "module example.com/locallib\n\ngo 1.22\n",
		"third_party/locallib/name.go": "// Package locallib is a module replaced by a directory.\npackage locallib\n\n// Name names it.\nfunc Name() string { return \"local\" }\n",
		"apps/svc/main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/locallib\"\n\t\"example.com/vulnlib\"\n)\n\n" +
			"func main() { fmt.Println(vulnlib.Quote(locallib.Name())) }\n",
	})
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	plat := "linux/" + runtime.GOARCH
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}

	oci := filepath.Join(t.TempDir(), "oci")
	if code, out, errs := vulnCent(t, dir, "image", "svc", "--platform", plat, "--sbom", "--oci-layout", oci); code != 0 {
		t.Fatalf("cent image: exit %d\n%s\n%s", code, out, errs)
	}
	idx, err := layoutIndex(oci, "svc:latest")
	if err != nil {
		t.Fatal(err)
	}
	img, err := image.PlatformImage(idx, platform)
	if err != nil {
		t.Fatal(err)
	}
	bin := imageBinary(t, img)
	want := goVersionM(t, bin)

	code, attached, errs := vulnCent(t, dir, "sbom", "svc", "--platform", plat, "--oci-layout", oci)
	if code != 0 {
		t.Fatalf("cent sbom --oci-layout: exit %d\n%s", code, errs)
	}
	var doc image.SPDXDocument
	dec := json.NewDecoder(strings.NewReader(attached))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the SBOM is not an SPDX document of the expected shape: %v", err)
	}

	// The main module, explicitly: the application, with the binary's checksum.
	binData, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(binData)
	var mainPkg *image.SPDXPackage
	var got []string
	for i, pk := range doc.Packages {
		switch {
		case pk.PrimaryPackagePurpose == "APPLICATION":
			if mainPkg != nil {
				t.Errorf("two APPLICATION packages: %s and %s", mainPkg.Name, pk.Name)
			}
			mainPkg = &doc.Packages[i]
		case pk.Name == image.StdlibPackage:
			if pk.VersionInfo != want.goVersion {
				t.Errorf("stdlib at %q, the binary was built by %q", pk.VersionInfo, want.goVersion)
			}
		default:
			entry := pk.Name + "@" + pk.VersionInfo
			if pk.Comment != "" {
				entry += " " + strings.TrimPrefix(pk.Comment, "go.sum ")
			}
			got = append(got, entry)
			wantSource := map[string]string{
				vulntest.ForkPath:      "replaces " + vulntest.ModulePath + " " + vulntest.ModuleVersion,
				"example.com/locallib": "replaced by the directory ./third_party/locallib",
			}[pk.Name]
			if pk.SourceInfo != wantSource {
				t.Errorf("%s: source info %q, want %q", pk.Name, pk.SourceInfo, wantSource)
			}
			if purl := "pkg:golang/" + pk.Name + versionSuffix(pk.VersionInfo); len(pk.ExternalRefs) != 1 || pk.ExternalRefs[0].ReferenceLocator != purl {
				t.Errorf("%s: package URL %+v, want %s", pk.Name, pk.ExternalRefs, purl)
			}
		}
	}
	if mainPkg == nil {
		t.Fatal("no APPLICATION package")
	}
	if mainPkg.Name != want.mainPath || mainPkg.VersionInfo != want.mainVersion || mainPkg.Comment != "main package "+want.path {
		t.Errorf("main package %s@%s (%s), go version -m says mod %s %s, path %s",
			mainPkg.Name, mainPkg.VersionInfo, mainPkg.Comment, want.mainPath, want.mainVersion, want.path)
	}
	if len(mainPkg.Checksums) != 1 || mainPkg.Checksums[0].ChecksumValue != hex.EncodeToString(sum[:]) {
		t.Errorf("main package checksums %+v, want the binary's SHA-256 %x", mainPkg.Checksums, sum)
	}
	described := false
	for _, r := range doc.Relationships {
		described = described || r.RelationshipType == "DESCRIBES" && r.RelatedSPDXElement == mainPkg.SPDXID
	}
	if !described {
		t.Error("the document does not DESCRIBE the main package")
	}

	slices.Sort(got)
	if !slices.Equal(got, want.deps) {
		t.Errorf("SBOM dependency modules:\n  %s\ngo version -m:\n  %s", strings.Join(got, "\n  "), strings.Join(want.deps, "\n  "))
	}
	for _, d := range []string{vulntest.ForkPath + "@" + vulntest.ForkVersion + " h1:", "example.com/locallib@(devel)"} {
		if !slices.ContainsFunc(want.deps, func(s string) bool { return strings.HasPrefix(s, d) }) {
			t.Errorf("the test binary does not link %s: %v", d, want.deps)
		}
	}

	// cent sbom compiling the app itself gives the same document.
	code, compiled, errs := vulnCent(t, dir, "sbom", "svc", "--platform", plat)
	if code != 0 {
		t.Fatalf("cent sbom: exit %d\n%s", code, errs)
	}
	if compiled != attached {
		t.Errorf("cent sbom differs from the SBOM cent image attached:\n%s\n---\n%s", compiled, attached)
	}
}

func versionSuffix(v string) string {
	if v == "" || v == "(devel)" {
		return ""
	}
	return "@" + v
}

// buildInfo is what `go version -m` says about a binary.
type buildInfo struct {
	goVersion             string
	path                  string
	mainPath, mainVersion string
	// deps are "path@version sum" for each linked module as linked: a
	// module replaced by another module version is that version; one
	// replaced by a directory keeps its path, at the version go records
	// for the directory, without a sum. Sorted.
	deps []string
}

// goVersionM runs `go version -m` on bin and parses its output.
func goVersionM(t *testing.T, bin string) buildInfo {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var bi buildInfo
	lines := strings.Split(string(out), "\n")
	if f := strings.Fields(lines[0]); len(f) == 2 {
		bi.goVersion = f[1]
	}
	for i, line := range lines[1:] {
		f := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case len(f) >= 2 && f[0] == "path":
			bi.path = f[1]
		case len(f) >= 3 && f[0] == "mod":
			bi.mainPath, bi.mainVersion = f[1], f[2]
		case len(f) >= 3 && f[0] == "dep":
			entry := strings.TrimSpace(f[1] + "@" + f[2] + " " + strings.Join(f[3:], " "))
			if i+2 < len(lines) {
				if r := strings.Split(strings.TrimSpace(lines[i+2]), "\t"); r[0] == "=>" && len(r) >= 2 {
					switch {
					case strings.HasPrefix(r[1], "./"), strings.HasPrefix(r[1], "../"), filepath.IsAbs(r[1]):
						entry = f[1] + "@" + strings.Join(r[2:], " ")
					case len(r) >= 3:
						entry = strings.TrimSpace(r[1] + "@" + r[2] + " " + strings.Join(r[3:], " "))
					}
				}
			}
			bi.deps = append(bi.deps, entry)
		}
	}
	if bi.goVersion == "" || bi.mainPath == "" || bi.path == "" {
		t.Fatalf("go version -m output not understood:\n%s", out)
	}
	slices.Sort(bi.deps)
	return bi
}

// imageBinary writes the app binary of img's top layer to a file.
func imageBinary(t *testing.T, img v1.Image) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("the top layer has no %s", image.BinaryPath)
		}
		if err != nil {
			t.Fatal(err)
		}
		if "/"+strings.TrimPrefix(h.Name, "./") != image.BinaryPath {
			continue
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, tr); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "service")
		if err := os.WriteFile(p, buf.Bytes(), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

var digestRe = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// SetImageDigest returns data, a values document, with image.digest set to
// digest. Only that line changes (or one line is added under image:), so
// comments and formatting survive and the commit diff is one line. name is
// used in errors. It returns ErrValues for a malformed digest, a document
// without an image mapping, or a digest that is not a plain scalar.
func SetImageDigest(data []byte, name, digest string) ([]byte, error) {
	if !digestRe.MatchString(digest) {
		return nil, &ValuesError{File: name, Key: "image.digest", Msg: fmt.Sprintf("%q is not sha256:<64 hex digits>", digest)}
	}
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(data, &root); err != nil {
		return nil, yamlValuesError(name, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yamlv3.MappingNode {
		return nil, &ValuesError{File: name, Msg: "values must be a mapping"}
	}
	imageKey, image := mapValue(root.Content[0], "image")
	if image == nil || image.Kind != yamlv3.MappingNode {
		return nil, &ValuesError{File: name, Key: "image", Msg: "no image mapping to set the digest in"}
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if _, old := mapValue(image, "digest"); old != nil {
		if old.Kind != yamlv3.ScalarNode || old.Line != lineOfKey(image, "digest") {
			return nil, &ValuesError{File: name, Line: old.Line, Key: "image.digest", Msg: "must be a plain scalar on the key's line"}
		}
		i := old.Line - 1
		line := string(lines[i])
		if old.Value == "" && old.Style == 0 {
			// An empty value has no token: write after the key's colon.
			key, _ := mapValue(image, "digest")
			colon := key.Column - 1 + len(key.Value)
			for colon < len(line) && line[colon] == ' ' {
				colon++
			}
			if key.Style != 0 || colon >= len(line) || line[colon] != ':' {
				return nil, &ValuesError{File: name, Line: key.Line, Key: "image.digest", Msg: "write it as digest: \"\" to let it be set"}
			}
			rest := strings.TrimLeft(line[colon+1:], " \t")
			if strings.HasPrefix(rest, "#") {
				rest = " " + rest
			}
			lines[i] = []byte(line[:colon+1] + " " + digest + rest)
			return bytes.Join(lines, nil), nil
		}
		start := old.Column - 1
		end := scalarEnd(line, start, old)
		lines[i] = []byte(line[:start] + digest + line[end:])
		return bytes.Join(lines, nil), nil
	}
	if image.Style&yamlv3.FlowStyle != 0 || len(image.Content) == 0 {
		return nil, &ValuesError{File: name, Line: imageKey.Line, Key: "image", Msg: "add digest: to a block-style image mapping first"}
	}
	// Insert "digest: ..." after the image: line, indented like its keys.
	indent := strings.Repeat(" ", image.Content[0].Column-1)
	at := imageKey.Line // index of the line after "image:"
	out := append([][]byte{}, lines[:at]...)
	out = append(out, []byte(indent+"digest: "+digest+"\n"))
	out = append(out, lines[at:]...)
	return bytes.Join(out, nil), nil
}

// mapValue returns the key and value nodes of key in mapping m.
func mapValue(m *yamlv3.Node, key string) (*yamlv3.Node, *yamlv3.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func lineOfKey(m *yamlv3.Node, key string) int {
	k, _ := mapValue(m, key)
	return k.Line
}

// scalarEnd finds where the scalar token starting at start ends on line:
// after the closing quote for quoted scalars, after the value for plain ones.
func scalarEnd(line string, start int, n *yamlv3.Node) int {
	rest := line[start:]
	switch n.Style {
	case yamlv3.DoubleQuotedStyle, yamlv3.SingleQuotedStyle:
		q := rest[0]
		for i := 1; i < len(rest); i++ {
			if rest[i] == q {
				if q == '\'' && i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				if q == '"' && rest[i-1] == '\\' {
					continue
				}
				return start + i + 1
			}
		}
		return len(line)
	}
	// A single-line plain scalar's text is its value.
	return start + len(n.Value)
}

// SetAppImageDigest finds the values file the ApplicationSet reads for app
// (via the generator, so the file is the one ArgoCD deploys) and writes
// digest into it atomically. It returns the workspace-relative file, or
// ErrUnknownApp, ErrValues and the generator's errors.
func SetAppImageDigest(ctx context.Context, root, appSetFile, app, digest string) (string, error) {
	if appSetFile == "" {
		appSetFile = ApplicationSetFile
	}
	set, err := LoadApplicationSet(filepath.Join(root, filepath.FromSlash(appSetFile)), appSetFile)
	if err != nil {
		return "", err
	}
	apps, err := Generate(ctx, root, set)
	if err != nil {
		return "", err
	}
	sel, err := selectApps(apps, []string{app})
	if err != nil {
		return "", err
	}
	file := sel[0].File
	p := filepath.Join(root, filepath.FromSlash(file))
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrValues, err)
	}
	out, err := SetImageDigest(data, file, digest)
	if err != nil {
		return "", err
	}
	if bytes.Equal(out, data) {
		return file, nil
	}
	return file, writeAtomic(p, out)
}

// writeAtomic replaces p with data through a temporary file and a rename.
func writeAtomic(p string, data []byte) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".values-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

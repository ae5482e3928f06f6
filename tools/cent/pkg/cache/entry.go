package cache

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Output is one restored file of an entry: its slash-separated path
// relative to the task's root, its permission bits and its content blob.
type Output struct {
	Path   string      `json:"path"`
	Mode   fs.FileMode `json:"mode"`
	Size   int64       `json:"size"`
	Digest Digest      `json:"digest"`
}

// Entry is a cached action result, stored in the AC namespace under Key.
// Its logs and output files live in the CAS namespace.
type Entry struct {
	Key        Digest        `json:"key"`
	ExitCode   int           `json:"exit_code"`
	Duration   time.Duration `json:"duration_ns"`
	Created    time.Time     `json:"created"`
	Stdout     Digest        `json:"stdout"`
	StdoutSize int64         `json:"stdout_size"`
	Stderr     Digest        `json:"stderr"`
	StderrSize int64         `json:"stderr_size"`
	Outputs    []Output      `json:"outputs"`
	// Inputs is the key manifest (input name -> hash) that produced Key,
	// kept so that `cent explain` can say why a later key differs.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// Blobs returns every CAS digest the entry refers to, with its size.
func (e *Entry) Blobs() []Output {
	b := make([]Output, 0, len(e.Outputs)+2)
	b = append(b, Output{Path: "(stdout)", Digest: e.Stdout, Size: e.StdoutSize})
	b = append(b, Output{Path: "(stderr)", Digest: e.Stderr, Size: e.StderrSize})
	return append(b, e.Outputs...)
}

// entryMagic starts every encoded entry; it names the format version.
const entryMagic = "cent-cache-entry/1"

// MaxEntrySize bounds an encoded entry; larger ones are corrupt.
const MaxEntrySize = 16 << 20

// EncodeEntry serialises e as a header line and a JSON body:
//
//	cent-cache-entry/1 <sha256 of body> <hmac-sha256 of key and body, or ->
//	{"key":...}
//
// The signature is set when key is non-empty.
func EncodeEntry(e *Entry, key []byte) ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding entry %s: %w", e.Key, err)
	}
	sum := sha256.Sum256(body)
	sig := "-"
	if len(key) > 0 {
		sig = hex.EncodeToString(sign(key, e.Key, body))
	}
	var b bytes.Buffer
	b.Grow(len(entryMagic) + 2*len(sum) + len(sig) + len(body) + 4)
	fmt.Fprintf(&b, "%s %x %s\n", entryMagic, sum, sig)
	b.Write(body)
	return b.Bytes(), nil
}

// DecodeEntry parses and verifies an encoded entry expected under want.
// The body's digest is always checked; when key is non-empty, the entry
// must carry a valid HMAC-SHA256 made with it. Errors wrap ErrCorrupt or
// ErrBadSignature.
func DecodeEntry(data []byte, want Digest, key []byte) (*Entry, error) {
	if len(data) > MaxEntrySize {
		return nil, fmt.Errorf("entry %s: %d bytes exceeds %d: %w", want, len(data), MaxEntrySize, ErrCorrupt)
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, fmt.Errorf("entry %s: no header line: %w", want, ErrCorrupt)
	}
	fields := strings.Split(string(data[:nl]), " ")
	body := data[nl+1:]
	if len(fields) != 3 || fields[0] != entryMagic {
		return nil, fmt.Errorf("entry %s: header is not %q: %w", want, entryMagic+" <sha256> <hmac>", ErrCorrupt)
	}
	sum, err := ParseDigest(fields[1])
	if err != nil {
		return nil, fmt.Errorf("entry %s: header: %w", want, err)
	}
	if Sum(body) != sum {
		return nil, fmt.Errorf("entry %s: body does not match its sha256: %w", want, ErrCorrupt)
	}
	if len(key) > 0 {
		if fields[2] == "-" {
			return nil, fmt.Errorf("entry %s: unsigned, but a signing key is configured: %w", want, ErrBadSignature)
		}
		got, err := hex.DecodeString(fields[2])
		if err != nil || !hmac.Equal(got, sign(key, want, body)) {
			return nil, fmt.Errorf("entry %s: signature does not verify with the configured key: %w", want, ErrBadSignature)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("entry %s: decoding body: %v: %w", want, err, ErrCorrupt)
	}
	if dec.More() {
		return nil, fmt.Errorf("entry %s: trailing data after body: %w", want, ErrCorrupt)
	}
	if e.Key != want {
		return nil, fmt.Errorf("entry %s: body names key %s: %w", want, e.Key, ErrCorrupt)
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// sign returns the HMAC-SHA256 of the entry's key and body.
func sign(key []byte, k Digest, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(entryMagic))
	m.Write(k[:])
	m.Write(body)
	return m.Sum(nil)
}

// validate checks the invariants restore relies on: relative, clean,
// unique output paths inside the root, plain permission bits and sane
// sizes. Errors wrap ErrCorrupt.
func (e *Entry) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("entry %s: %s: %w", e.Key, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if e.Key.IsZero() {
		return bad("zero key")
	}
	if e.StdoutSize < 0 || e.StderrSize < 0 {
		return bad("negative log size")
	}
	seen := make(map[string]bool, len(e.Outputs))
	for i, o := range e.Outputs {
		if !ValidOutputPath(o.Path) {
			return bad("outputs[%d]: path %q is not a clean relative path inside the root", i, o.Path)
		}
		if seen[o.Path] {
			return bad("outputs[%d]: duplicate path %q", i, o.Path)
		}
		seen[o.Path] = true
		if o.Mode&^fs.ModePerm != 0 {
			return bad("outputs[%d] %s: mode %v is not a regular file's", i, o.Path, o.Mode)
		}
		if o.Size < 0 {
			return bad("outputs[%d] %s: negative size", i, o.Path)
		}
	}
	return nil
}

// ValidOutputPath reports whether p is a clean, slash-separated path that
// stays inside the root it is relative to.
func ValidOutputPath(p string) bool {
	if p == "" || p == "." || strings.ContainsAny(p, "\\\x00") || path.IsAbs(p) || path.Clean(p) != p {
		return false
	}
	return p != ".." && !strings.HasPrefix(p, "../")
}

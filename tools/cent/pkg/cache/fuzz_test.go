package cache_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

var fuzzKey = cache.Sum([]byte("fuzz key"))

func sampleEntry() *cache.Entry {
	return &cache.Entry{
		Key:        fuzzKey,
		ExitCode:   1,
		Duration:   1234 * time.Millisecond,
		Created:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Stdout:     cache.Sum([]byte("out")),
		StdoutSize: 3,
		Stderr:     cache.Sum(nil),
		Outputs: []cache.Output{
			{Path: "bin/app", Mode: 0o755, Size: 10, Digest: cache.Sum([]byte("0123456789"))},
		},
		Inputs: map[string]string{"file:main.go": "ab12"},
	}
}

// FuzzDecodeEntry feeds arbitrary bytes to the entry decoder, with and
// without a signing key: it must never panic, and whatever it accepts must
// be a valid entry that re-encodes to an equal one.
func FuzzDecodeEntry(f *testing.F) {
	for _, key := range [][]byte{nil, []byte("k")} {
		b, err := cache.EncodeEntry(sampleEntry(), key)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("cent-cache-entry/1 00 -\n{}"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, key := range [][]byte{nil, []byte("k")} {
			e, err := cache.DecodeEntry(data, fuzzKey, key)
			if err != nil {
				if !errors.Is(err, cache.ErrCorrupt) && !errors.Is(err, cache.ErrBadSignature) {
					t.Fatalf("error wraps no sentinel: %v", err)
				}
				continue
			}
			for _, o := range e.Outputs {
				if !cache.ValidOutputPath(o.Path) {
					t.Fatalf("accepted output path %q", o.Path)
				}
			}
			again, err := cache.EncodeEntry(e, key)
			if err != nil {
				t.Fatalf("re-encoding an accepted entry: %v", err)
			}
			e2, err := cache.DecodeEntry(again, fuzzKey, key)
			if err != nil {
				t.Fatalf("decoding a re-encoded entry: %v", err)
			}
			if !reflect.DeepEqual(e, e2) {
				t.Fatalf("round trip changed the entry:\n%+v\n%+v", e, e2)
			}
		}
	})
}

func TestEntryRoundTrip(t *testing.T) {
	key := []byte("secret")
	b, err := cache.EncodeEntry(sampleEntry(), key)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cache.DecodeEntry(b, fuzzKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e, sampleEntry()) {
		t.Fatalf("round trip: %+v", e)
	}
	if _, err := cache.DecodeEntry(b, cache.Sum([]byte("other")), nil); !errors.Is(err, cache.ErrCorrupt) {
		t.Fatalf("entry under the wrong key: %v", err)
	}
	bad := bytes.Replace(b, []byte(`"bin/app"`), []byte(`"../app"`), 1)
	if _, err := cache.DecodeEntry(bad, fuzzKey, nil); !errors.Is(err, cache.ErrCorrupt) {
		t.Fatalf("entry with an escaping path: %v", err)
	}
	for _, p := range []string{"", ".", "..", "../x", "/abs", "a/./b", "a//b", "a/", `a\b`} {
		if cache.ValidOutputPath(p) {
			t.Errorf("ValidOutputPath(%q) = true", p)
		}
	}
}

// FuzzDecodeEntryBody fuzzes the JSON body behind a header whose digest
// matches it, so that inputs get past the integrity check and exercise
// decoding and validation.
func FuzzDecodeEntryBody(f *testing.F) {
	b, err := cache.EncodeEntry(sampleEntry(), nil)
	if err != nil {
		f.Fatal(err)
	}
	_, body, _ := bytes.Cut(b, []byte("\n"))
	f.Add(body)
	f.Add([]byte(`{"key":"` + fuzzKey.String() + `","outputs":[{"path":"a/../b","mode":420,"size":1,"digest":"` + fuzzKey.String() + `"}]}`))
	f.Add([]byte(`{"key":"` + fuzzKey.String() + `","stdout_size":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append([]byte("cent-cache-entry/1 "+cache.Sum(body).String()+" -\n"), body...)
		e, err := cache.DecodeEntry(data, fuzzKey, nil)
		if err != nil {
			if !errors.Is(err, cache.ErrCorrupt) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if e.Key != fuzzKey || e.StdoutSize < 0 || e.StderrSize < 0 {
			t.Fatalf("accepted invalid entry %+v", e)
		}
		seen := map[string]bool{}
		for _, o := range e.Outputs {
			if !cache.ValidOutputPath(o.Path) || seen[o.Path] || o.Size < 0 || o.Mode&^0o777 != 0 {
				t.Fatalf("accepted invalid output %+v", o)
			}
			seen[o.Path] = true
		}
		if _, err := cache.EncodeEntry(e, nil); err != nil {
			t.Fatalf("re-encoding an accepted entry: %v", err)
		}
	})
}

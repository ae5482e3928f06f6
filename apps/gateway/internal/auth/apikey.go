package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// APIKey is a stored API key: its name, the SHA-256 of the secret and the
// scopes it grants. The secret itself is never stored.
type APIKey struct {
	Name   string   `yaml:"name"`
	SHA256 string   `yaml:"sha256"`
	Scopes []string `yaml:"scopes"`
}

// APIKeys looks presented keys up by their SHA-256 digest.
type APIKeys struct {
	byHash map[[32]byte]*APIKey
}

// HashAPIKey returns the hex SHA-256 of a secret, the form stored in files.
func HashAPIKey(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// LoadAPIKeys reads keys from a YAML file (a "keys" list) and from an
// environment value ("name:sha256hex[:scope|scope],..."); either may be
// empty. Errors wrap ErrInvalidKeyFile and name the file and line or the
// entry.
func LoadAPIKeys(file, envName, envValue string) (*APIKeys, error) {
	s := &APIKeys{byHash: map[[32]byte]*APIKey{}}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKeyFile, err)
		}
		var doc struct {
			Keys []yaml.Node `yaml:"keys"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKeyFile, file, err)
		}
		for _, n := range doc.Keys {
			var k APIKey
			if err := decodeStrict(&n, &k); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrInvalidKeyFile, file, n.Line, err)
			}
			if err := s.add(k); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrInvalidKeyFile, file, n.Line, err)
			}
		}
	}
	if envValue != "" {
		for i, e := range strings.Split(envValue, ",") {
			parts := strings.Split(strings.TrimSpace(e), ":")
			if len(parts) < 2 || len(parts) > 3 {
				return nil, fmt.Errorf("%w: %s entry %d: want name:sha256[:scope|scope]", ErrInvalidKeyFile, envName, i+1)
			}
			k := APIKey{Name: parts[0], SHA256: parts[1]}
			if len(parts) == 3 && parts[2] != "" {
				k.Scopes = strings.Split(parts[2], "|")
			}
			if err := s.add(k); err != nil {
				return nil, fmt.Errorf("%w: %s entry %d: %v", ErrInvalidKeyFile, envName, i+1, err)
			}
		}
	}
	return s, nil
}

// decodeStrict decodes a node rejecting unknown keys by re-encoding it.
func decodeStrict(n *yaml.Node, out any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(out)
}

func (s *APIKeys) add(k APIKey) error {
	if k.Name == "" {
		return fmt.Errorf("name is required")
	}
	raw, err := hex.DecodeString(k.SHA256)
	if err != nil || len(raw) != sha256.Size {
		return fmt.Errorf("key %q: sha256 must be 64 hex digits", k.Name)
	}
	var h [32]byte
	copy(h[:], raw)
	if prev, dup := s.byHash[h]; dup {
		return fmt.Errorf("key %q has the same hash as key %q", k.Name, prev.Name)
	}
	kk := k
	s.byHash[h] = &kk
	return nil
}

// Len returns the number of keys.
func (s *APIKeys) Len() int { return len(s.byHash) }

// Lookup returns the key whose hash matches secret. It returns
// ErrUnknownAPIKey when none does.
func (s *APIKeys) Lookup(secret string) (*APIKey, error) {
	h := sha256.Sum256([]byte(secret))
	if k, ok := s.byHash[h]; ok {
		return k, nil
	}
	return nil, ErrUnknownAPIKey
}

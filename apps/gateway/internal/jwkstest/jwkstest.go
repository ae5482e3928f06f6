// Package jwkstest runs a real JWKS endpoint over HTTP with keys that tests
// add, rotate and remove, and signs tokens with them.
package jwkstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Server is a JWKS endpoint backed by an httptest.Server.
type Server struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]key
	hits atomic.Int64
}

type key struct {
	priv crypto.Signer
	alg  string
	jwk  map[string]string
}

// New starts a JWKS server that closes when the test ends.
func New(t testing.TB) *Server {
	s := &Server{keys: map[string]key{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		doc := map[string]any{"keys": s.jwks()}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the JWKS document's address.
func (s *Server) URL() string { return s.srv.URL + "/.well-known/jwks.json" }

// Hits counts JWKS fetches.
func (s *Server) Hits() int64 { return s.hits.Load() }

func (s *Server) jwks() []map[string]string {
	out := []map[string]string{}
	for _, k := range s.keys {
		out = append(out, k.jwk)
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// AddRSA adds a 2048-bit RSA key for RS256 under kid and returns it.
func (s *Server) AddRSA(t testing.TB, kid string) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[kid] = key{priv: k, alg: "RS256", jwk: map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}}
	return k
}

// AddEC adds a P-256 key for ES256 under kid.
func (s *Server) AddEC(t testing.TB, kid string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[kid] = key{priv: k, alg: "ES256", jwk: map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256",
		"x": b64(raw[1:33]), "y": b64(raw[33:65])}}
	return k
}

// Remove drops kid from the published key set (rotation).
func (s *Server) Remove(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
}

// Sign returns a token over claims signed with kid's key and algorithm.
func (s *Server) Sign(t testing.TB, kid string, claims jwt.MapClaims) string {
	t.Helper()
	s.mu.Lock()
	k, ok := s.keys[kid]
	s.mu.Unlock()
	if !ok {
		t.Fatalf("jwkstest: no key %q", kid)
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = kid
	out, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

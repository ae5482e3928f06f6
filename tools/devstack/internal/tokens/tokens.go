// Package tokens is the launcher's own small identity provider: an ES256
// key pair, a JWKS endpoint the gateway reads it from, and signed bearer
// tokens for demo customers.
package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the audience of every token the issuer signs and the one the
// gateway configuration requires.
const Audience = "centuria-devstack"

// Issuer signs tokens with one ES256 key and serves its public half as a
// JWKS document.
type Issuer struct {
	key *ecdsa.PrivateKey
	kid string
	srv *http.Server
	ln  net.Listener
	now func() time.Time
}

// NewIssuer generates a key pair and serves the JWKS on a free port of
// host (e.g. "127.0.0.1") until Close.
func NewIssuer(host string) (*Issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating signing key: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("listening for the JWKS endpoint: %w", err)
	}
	i := &Issuer{key: key, ln: ln, now: time.Now}
	i.kid = thumbprint(&key.PublicKey)[:16]
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", i.serveJWKS)
	i.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = i.srv.Serve(ln) }()
	return i, nil
}

// BaseURL is the issuer's address; it is also the "iss" of its tokens.
func (i *Issuer) BaseURL() string { return "http://" + i.ln.Addr().String() + "/" }

// JWKSURL is the address of the JWKS document.
func (i *Issuer) JWKSURL() string { return "http://" + i.ln.Addr().String() + "/.well-known/jwks.json" }

// Sign returns a token for subject sub valid for ttl.
func (i *Issuer) Sign(sub string, ttl time.Duration) (string, error) {
	if sub == "" {
		return "", errors.New("signing a token: subject is empty")
	}
	now := i.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    i.BaseURL(),
		Subject:   sub,
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	})
	tok.Header["kid"] = i.kid
	s, err := tok.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("signing a token for %s: %w", sub, err)
	}
	return s, nil
}

// Close stops the JWKS endpoint.
func (i *Issuer) Close(ctx context.Context) error { return i.srv.Shutdown(ctx) }

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	pub := i.key.PublicKey
	x, y := coords(&pub)
	doc := map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": i.kid, "use": "sig", "alg": "ES256",
		"x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y),
	}}}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_ = json.NewEncoder(w).Encode(doc)
}

// coords returns the fixed-size big-endian X and Y of a P-256 key.
func coords(pub *ecdsa.PublicKey) (x, y []byte) {
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(raw) != 65 {
		panic("tokens: P-256 public key does not encode") // cannot happen for a generated key
	}
	return raw[1:33], raw[33:]
}

func thumbprint(pub *ecdsa.PublicKey) string {
	x, y := coords(pub)
	s := sha256.Sum256(append(x, y...))
	return hex.EncodeToString(s[:])
}

// NewAPIKey returns a random API key secret and its hex SHA-256, the form
// the gateway stores.
func NewAPIKey() (secret, sha256hex string, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("generating an API key: %w", err)
	}
	secret = "cdev_" + hex.EncodeToString(b[:])
	s := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(s[:]), nil
}

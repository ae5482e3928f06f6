package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tokens verify against the key the JWKS endpoint serves, with the
// issuer, audience and lifetime the gateway checks.
func TestTokensVerifyAgainstTheServedJWKS(t *testing.T) {
	iss, err := NewIssuer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close(context.Background())
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("JWKS: %v %+v", err, doc)
	}
	k := doc.Keys[0]
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" {
		t.Fatalf("JWK = %v", k)
	}
	x, _ := base64.RawURLEncoding.DecodeString(k["x"])
	y, _ := base64.RawURLEncoding.DecodeString(k["y"])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("JWK point: %v", err)
	}

	tok, err := iss.Sign("customer-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	parsed, err := jwt.ParseWithClaims(tok, &claims, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != k["kid"] {
			t.Errorf("kid %v, want %s", tk.Header["kid"], k["kid"])
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(iss.BaseURL()), jwt.WithAudience(Audience), jwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("token does not verify: %v", err)
	}
	if claims.Subject != "customer-1" || time.Until(claims.ExpiresAt.Time) < 59*time.Minute {
		t.Fatalf("claims = %+v", claims)
	}

	expired, _ := iss.Sign("customer-1", -time.Hour)
	if _, err := jwt.Parse(expired, func(*jwt.Token) (any, error) { return pub, nil }); err == nil {
		t.Fatal("an expired token verifies")
	}
	if _, err := iss.Sign("", time.Hour); err == nil {
		t.Fatal("a token without subject was signed")
	}
}

func TestAPIKeysAreRandomAndHashed(t *testing.T) {
	s1, h1, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := NewAPIKey()
	sum := sha256.Sum256([]byte(s1))
	if s1 == s2 || !strings.HasPrefix(s1, "cdev_") || h1 != hex.EncodeToString(sum[:]) {
		t.Fatalf("keys %q %q, hash %s", s1, s2, h1)
	}
}

package auth_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/jwkstest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const iss, aud = "https://issuer.test/", "api.test"

type fixture struct {
	srv  *jwkstest.Server
	jwks *auth.JWKS
	v    *auth.Verifier
	clk  *clock
}

func newFixture(t *testing.T, algs ...string) *fixture {
	t.Helper()
	if len(algs) == 0 {
		algs = []string{"RS256", "ES256"}
	}
	f := &fixture{srv: jwkstest.New(t), clk: &clock{t: time.Now().Truncate(time.Second)}}
	f.srv.AddRSA(t, "rsa1")
	f.jwks = auth.NewJWKS(f.srv.URL(), auth.JWKSOptions{Now: f.clk.now, MinRefetchInterval: time.Minute})
	if err := f.jwks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.v = auth.NewVerifier(f.jwks, auth.VerifierOptions{Issuer: iss, Audience: []string{aud}, Algorithms: algs,
		Leeway: 30 * time.Second, Now: f.clk.now, Forward: []auth.ClaimHeader{{Claim: "sub", Header: "X-User-Id"}, {Claim: "tier", Header: "X-Tier"}}})
	return f
}

func (f *fixture) claims(extra map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"iss": iss, "aud": aud, "sub": "alice", "tier": "gold",
		"iat": f.clk.now().Unix(), "exp": f.clk.now().Add(10 * time.Minute).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestVerifyValidTokenForwardsClaims(t *testing.T) {
	f := newFixture(t)
	id, err := f.v.Verify(context.Background(), f.srv.Sign(t, "rsa1", f.claims(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "alice" || id.Method != auth.MethodJWT {
		t.Fatalf("identity %+v", id)
	}
	got := map[string]string{}
	for _, kv := range id.Headers {
		got[kv[0]] = kv[1]
	}
	if got["X-User-Id"] != "alice" || got["X-Tier"] != "gold" {
		t.Fatalf("forwarded headers %v", got)
	}
}

func TestVerifyES256(t *testing.T) {
	f := newFixture(t)
	f.srv.AddEC(t, "ec1")
	f.clk.add(2 * time.Minute) // past the refetch interval
	if _, err := f.v.Verify(context.Background(), f.srv.Sign(t, "ec1", f.claims(nil))); err != nil {
		t.Fatal(err)
	}
}

// TestRejections is the regression suite of token attacks.
func TestRejections(t *testing.T) {
	f := newFixture(t)
	rsaKey := f.srv.AddRSA(t, "rsa2")
	f.clk.add(2 * time.Minute)
	if _, err := f.v.Verify(context.Background(), f.srv.Sign(t, "rsa2", f.claims(nil))); err != nil {
		t.Fatal(err)
	}
	now := f.clk.now()

	none := jwt.NewWithClaims(jwt.SigningMethodNone, f.claims(nil))
	none.Header["kid"] = "rsa1"
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)

	// HS256 "signed" with the RSA public key, in the two forms attackers use.
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims(nil))
		tok.Header["kid"] = "rsa2"
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// PS256 with an RSA key whose JWK says RS256 (per-key algorithm pin).
	ps := jwt.NewWithClaims(jwt.SigningMethodPS256, f.claims(nil))
	ps.Header["kid"] = "rsa2"
	psTok, _ := ps.SignedString(rsaKey)

	good := f.srv.Sign(t, "rsa1", f.claims(nil))
	tampered := good[:len(good)-4] + "AAAA"

	cases := map[string]string{
		"alg none":              noneTok,
		"HS256 with public PEM": hs(pubPEM),
		"HS256 with public DER": hs(pubDER),
		"PS256 on RS256 key":    psTok,
		"expired":               f.srv.Sign(t, "rsa1", f.claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})),
		"no exp":                f.srv.Sign(t, "rsa1", f.claims(map[string]any{"exp": nil})),
		"nbf in future":         f.srv.Sign(t, "rsa1", f.claims(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})),
		"iat in future":         f.srv.Sign(t, "rsa1", f.claims(map[string]any{"iat": now.Add(5 * time.Minute).Unix()})),
		"wrong audience":        f.srv.Sign(t, "rsa1", f.claims(map[string]any{"aud": "other.test"})),
		"wrong issuer":          f.srv.Sign(t, "rsa1", f.claims(map[string]any{"iss": "https://evil.test/"})),
		"tampered signature":    tampered,
		"garbage":               "not.a.jwt",
	}
	for name, tok := range cases {
		_, err := f.v.Verify(context.Background(), tok)
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: got %v, want ErrInvalidToken", name, err)
		}
	}
	// Leeway: expired 10s ago is still accepted with 30s leeway.
	if _, err := f.v.Verify(context.Background(), f.srv.Sign(t, "rsa1", f.claims(map[string]any{"exp": now.Add(-10 * time.Second).Unix()}))); err != nil {
		t.Errorf("token within leeway rejected: %v", err)
	}
}

func TestAlgorithmAllowList(t *testing.T) {
	f := newFixture(t, "RS256") // ES256 not allowed
	f.srv.AddEC(t, "ec1")
	f.clk.add(2 * time.Minute)
	if _, err := f.v.Verify(context.Background(), f.srv.Sign(t, "ec1", f.claims(nil))); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("ES256 accepted although not allowed: %v", err)
	}
}

func TestRotationRefetchIsRateLimited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hits := f.srv.Hits()
	// A new key appears; the first token with it triggers one refetch
	// (the last fetch is older than the minimum interval).
	f.clk.add(2 * time.Minute)
	f.srv.AddRSA(t, "rsa-new")
	if _, err := f.v.Verify(ctx, f.srv.Sign(t, "rsa-new", f.claims(nil))); err != nil {
		t.Fatalf("token with rotated-in key: %v", err)
	}
	if got := f.srv.Hits() - hits; got != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", got)
	}
	// Unknown kids within the minimum interval do not hammer the JWKS.
	f.srv.AddRSA(t, "rsa-later")
	for i := 0; i < 20; i++ {
		if _, err := f.v.Verify(ctx, f.srv.Sign(t, "rsa-later", f.claims(map[string]any{"jti": i}))); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("unknown kid accepted before refetch: %v", err)
		}
	}
	if got := f.srv.Hits() - hits; got != 1 {
		t.Fatalf("JWKS fetched %d times within the refetch interval, want 1", got)
	}
	// Rotating a key out revokes tokens signed with it, even cached ones.
	old := f.srv.Sign(t, "rsa1", f.claims(nil))
	if _, err := f.v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	f.srv.Remove("rsa1")
	if err := f.jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(ctx, old); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of a removed key accepted: %v", err)
	}
}

func TestCachedTokenExpires(t *testing.T) {
	f := newFixture(t)
	tok := f.srv.Sign(t, "rsa1", f.claims(map[string]any{"exp": f.clk.now().Add(time.Minute).Unix()}))
	if _, err := f.v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.clk.add(2 * time.Minute)
	if _, err := f.v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("expired cached token accepted: %v", err)
	}
}

func TestJWKSRejectsBadDocuments(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      "{",
		"symmetric key": `{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}`,
		"small rsa":     `{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}`,
		"no kid":        `{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		"bad point":     `{"keys":[{"kty":"EC","kid":"k","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`,
	} {
		srv := newStatic(t, body)
		j := auth.NewJWKS(srv, auth.JWKSOptions{})
		if err := j.Refresh(context.Background()); !errors.Is(err, auth.ErrJWKS) {
			t.Errorf("%s: got %v, want ErrJWKS", name, err)
		}
		if j.Loaded() {
			t.Errorf("%s: marked loaded", name)
		}
	}
}

func newStatic(t *testing.T, body string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
	srv := httptestServer(t, mux)
	return srv
}

func TestAPIKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.yaml")
	content := "keys:\n  - name: partner-a\n    sha256: " + auth.HashAPIKey("secret-a") + "\n    scopes: [partners:read]\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := auth.LoadAPIKeys(file, "GW_KEYS", "ci:"+auth.HashAPIKey("secret-ci")+":deploy|read")
	if err != nil {
		t.Fatal(err)
	}
	a := &auth.Authenticator{Keys: keys, KeyHeader: "X-API-Key", KeyNameHdr: "X-Api-Key-Name"}
	req := func(key string) *http.Request {
		r, _ := http.NewRequest("GET", "http://gw/x", nil)
		if key != "" {
			r.Header.Set("X-API-Key", key)
		}
		return r
	}
	ctx := context.Background()
	id, err := a.Authenticate(ctx, req("secret-a"), auth.APIKeyOnly, []string{"partners:read"})
	if err != nil || id.Subject != "partner-a" || id.Headers[0] != [2]string{"X-Api-Key-Name", "partner-a"} {
		t.Fatalf("file key: %+v %v", id, err)
	}
	if _, err := a.Authenticate(ctx, req("secret-ci"), auth.APIKeyOnly, []string{"deploy"}); err != nil {
		t.Fatalf("env key: %v", err)
	}
	if _, err := a.Authenticate(ctx, req("secret-ci"), auth.APIKeyOnly, []string{"partners:read"}); !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("missing scope: %v", err)
	}
	if _, err := a.Authenticate(ctx, req("wrong"), auth.APIKeyOnly, nil); !errors.Is(err, auth.ErrUnknownAPIKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := a.Authenticate(ctx, req(""), auth.Either, nil); !errors.Is(err, auth.ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
	if id, err := a.Authenticate(ctx, req(""), auth.Public, nil); id != nil || err != nil {
		t.Fatalf("public: %v %v", id, err)
	}
	if strings.Contains(content, "secret-a") {
		t.Fatal("the key file must hold hashes only")
	}
}

func TestAPIKeyFileErrorsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"keys:\n  - name: a\n    sha256: zz\n":                                           "keys.yaml:2:",
		"keys:\n  - name: a\n    sha256: " + auth.HashAPIKey("x") + "\n    scope: [a]\n": "keys.yaml:2:",
		"kees: []\n": "keys.yaml",
	}
	for content, want := range cases {
		file := filepath.Join(dir, "keys.yaml")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := auth.LoadAPIKeys(file, "", "")
		if !errors.Is(err, auth.ErrInvalidKeyFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("content %q: got %v, want %q", content, err, want)
		}
	}
	if _, err := auth.LoadAPIKeys("", "GW_KEYS", "only-a-name"); !errors.Is(err, auth.ErrInvalidKeyFile) || !strings.Contains(err.Error(), "GW_KEYS entry 1") {
		t.Errorf("env: %v", err)
	}
}

func TestPerKeyAlgorithmPin(t *testing.T) {
	f := newFixture(t, "RS256", "PS256")
	k := f.srv.AddRSA(t, "rsa2") // its JWK declares alg RS256
	f.clk.add(2 * time.Minute)
	ps := jwt.NewWithClaims(jwt.SigningMethodPS256, f.claims(nil))
	ps.Header["kid"] = "rsa2"
	tok, err := ps.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.v.Verify(context.Background(), tok)
	if !errors.Is(err, auth.ErrInvalidToken) || !strings.Contains(err.Error(), "is for RS256") {
		t.Fatalf("PS256 token on an RS256-pinned key: %v", err)
	}
}

func TestJWKSBackgroundRefresh(t *testing.T) {
	srv := jwkstest.New(t)
	srv.AddRSA(t, "k1")
	j := auth.NewJWKS(srv.URL(), auth.JWKSOptions{RefreshInterval: 5 * time.Millisecond, MinRefetchInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := j.Refresh(ctx); err != nil { // sets the last fetch: no refetch for an hour
		t.Fatal(err)
	}
	srv.AddRSA(t, "k2")
	v := auth.NewVerifier(j, auth.VerifierOptions{Issuer: iss, Audience: []string{aud}, Algorithms: []string{"RS256"}, CacheSize: -1})
	tok0 := srv.Sign(t, "k2", jwt.MapClaims{"iss": iss, "aud": aud, "sub": "bob", "exp": time.Now().Add(time.Hour).Unix()})
	if _, err := v.Verify(ctx, tok0); err == nil {
		t.Fatal("unknown kid accepted without a refresh")
	}
	go j.Run(ctx)
	tok := srv.Sign(t, "k2", jwt.MapClaims{"iss": iss, "aud": aud, "sub": "bob", "exp": time.Now().Add(time.Hour).Unix()})
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The unknown-kid refetch is disabled (one hour), so only the
		// background refresh can bring k2 in.
		if _, err := v.Verify(ctx, tok); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background refresh never picked up the new key")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !j.Loaded() {
		t.Fatal("not marked loaded")
	}
}

// TestCachedTokenOfReplacedKeyRejected: a kid that comes back with other
// key material (rotation reusing the kid) must not validate cached tokens
// signed with the old key, and tokens of the new key verify.
func TestCachedTokenOfReplacedKeyRejected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.srv.Sign(t, "rsa1", f.claims(nil))
	if _, err := f.v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	// An unchanged key set keeps cached entries valid across refreshes.
	if err := f.jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(ctx, old); err != nil {
		t.Fatalf("cached token rejected after a refresh that changed nothing: %v", err)
	}
	f.srv.AddRSA(t, "rsa1") // same kid, new key
	if err := f.jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(ctx, old); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token signed with the replaced key accepted: %v", err)
	}
	if _, err := f.v.Verify(ctx, f.srv.Sign(t, "rsa1", f.claims(nil))); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
}

// TestCachedTokenNotBeforeAndRemovedKey: a token not valid yet is never
// cached as valid, and a cached token stops verifying when its key leaves
// the key set even though it has not expired.
func TestCachedTokenNotBeforeAndRemovedKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	early := f.srv.Sign(t, "rsa1", f.claims(map[string]any{"nbf": f.clk.now().Add(5 * time.Minute).Unix()}))
	for i := 0; i < 2; i++ {
		if _, err := f.v.Verify(ctx, early); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("attempt %d: token before nbf accepted: %v", i, err)
		}
	}
	f.clk.add(5 * time.Minute)
	if _, err := f.v.Verify(ctx, early); err != nil {
		t.Fatalf("token after nbf: %v", err)
	}
	f.srv.AddRSA(t, "rsa2")
	f.srv.Remove("rsa1")
	if err := f.jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(ctx, early); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("cached token of a removed key accepted: %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	srv := jwkstest.New(b)
	srv.AddRSA(b, "k")
	j := auth.NewJWKS(srv.URL(), auth.JWKSOptions{})
	if err := j.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	tok := srv.Sign(b, "k", jwt.MapClaims{"iss": iss, "aud": aud, "sub": "bob", "exp": time.Now().Add(time.Hour).Unix()})
	for _, c := range []struct {
		name string
		size int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(c.name, func(b *testing.B) {
			v := auth.NewVerifier(j, auth.VerifierOptions{Issuer: iss, Audience: []string{aud}, Algorithms: []string{"RS256"}, CacheSize: c.size})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(context.Background(), tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

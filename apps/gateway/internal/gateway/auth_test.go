package gateway_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/gateway"
	"github.com/centuria/centuria/apps/gateway/internal/jwkstest"
)

func TestJWTAndAPIKeyRoutes(t *testing.T) {
	up := newUpstream(t, "u")
	js := jwkstest.New(t)
	js.AddRSA(t, "k1")
	keys := "partner:" + auth.HashAPIKey("s3cret") + ":orders|read"
	g := startGateway(t, fmt.Sprintf(`
auth:
  jwt:
    jwks_url: %q
    issuer: https://issuer.test/
    audience: [api.test]
    forward_claims: {sub: X-User-Id, role: X-User-Role}
    algorithms: [RS256, ES256]
    min_refetch_interval: 1ms
  api_keys:
    env: GW_KEYS
routes:
  - name: jwt
    path_prefix: /jwt
    upstreams: [%q]
    auth: jwt
  - name: key
    path_prefix: /key
    upstreams: [%q]
    auth: api_key
    scopes: [orders]
  - name: admin
    path_prefix: /admin
    upstreams: [%q]
    auth: api_key
    scopes: [admin]
  - name: either
    path_prefix: /either
    upstreams: [%q]
    auth: either
  - name: public
    path_prefix: /public
    upstreams: [%q]
`, js.URL(), up.URL, up.URL, up.URL, up.URL, up.URL), gateway.Options{Getenv: func(k string) string {
		if k == "GW_KEYS" {
			return keys
		}
		return ""
	}})
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "https://issuer.test/", "aud": "api.test", "sub": "alice", "role": "reader",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	good := js.Sign(t, "k1", claims(nil))
	bearer := func(tok string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok, "X-User-Id": "root", "X-User-Role": "admin"}
	}

	resp, _ := get(t, g.url("/jwt/x"), bearer(good))
	if resp.StatusCode != 200 {
		t.Fatalf("valid token: %d", resp.StatusCode)
	}
	h := up.lastRequest().Header
	if h.Get("X-User-Id") != "alice" || h.Get("X-User-Role") != "reader" || len(h.Values("X-User-Id")) != 1 {
		t.Fatalf("forwarded claims %v (spoofed values must be replaced)", h)
	}

	expired := js.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }))
	notYet := js.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))
	wrongAud := js.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["aud"] = "other" }))
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
	none.Header["kid"] = "k1"
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hits := up.hits.Load()
	for name, hdr := range map[string]map[string]string{
		"no token":  nil,
		"expired":   bearer(expired),
		"nbf":       bearer(notYet),
		"audience":  bearer(wrongAud),
		"alg none":  bearer(noneTok),
		"malformed": bearer("x.y.z"),
	} {
		resp, _ := get(t, g.url("/jwt/x"), hdr)
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	if up.hits.Load() != hits {
		t.Fatal("a rejected request reached the upstream")
	}

	if resp, _ := get(t, g.url("/key/x"), map[string]string{"X-API-Key": "s3cret", "X-Api-Key-Name": "root"}); resp.StatusCode != 200 {
		t.Fatalf("api key: %d", resp.StatusCode)
	}
	if got := up.lastRequest().Header.Get("X-Api-Key-Name"); got != "partner" {
		t.Fatalf("key name header %q", got)
	}
	if resp, _ := get(t, g.url("/admin/x"), map[string]string{"X-API-Key": "s3cret"}); resp.StatusCode != 403 {
		t.Fatalf("missing scope: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url("/key/x"), map[string]string{"X-API-Key": "wrong"}); resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url("/either/x"), map[string]string{"X-API-Key": "s3cret"}); resp.StatusCode != 200 {
		t.Fatalf("either with key: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url("/either/x"), bearer(good)); resp.StatusCode != 200 {
		t.Fatalf("either with jwt: %d", resp.StatusCode)
	}
	// A public route never forwards client-supplied identity headers.
	if resp, _ := get(t, g.url("/public/x"), map[string]string{"X-User-Id": "root", "X-Api-Key-Name": "root"}); resp.StatusCode != 200 {
		t.Fatalf("public: %d", resp.StatusCode)
	}
	if h := up.lastRequest().Header; h.Get("X-User-Id") != "" || h.Get("X-Api-Key-Name") != "" {
		t.Fatalf("spoofed identity headers forwarded on a public route: %v", h)
	}

	// Key rotation: a token from a newly published key is accepted (refetch on unknown kid).
	js.AddEC(t, "k2")
	time.Sleep(2 * time.Millisecond) // past min_refetch_interval
	if resp, _ := get(t, g.url("/jwt/x"), bearer(js.Sign(t, "k2", claims(nil)))); resp.StatusCode != 200 {
		t.Fatalf("token signed with a rotated-in key: %d", resp.StatusCode)
	}
	// Rotating k1 out: its tokens stop working once the key set is refetched.
	js.Remove("k1")
	js.AddRSA(t, "k3")
	time.Sleep(2 * time.Millisecond)
	if resp, _ := get(t, g.url("/jwt/x"), bearer(js.Sign(t, "k3", claims(nil)))); resp.StatusCode != 200 {
		t.Fatalf("token signed with k3: %d", resp.StatusCode)
	}
	if resp, _ := get(t, g.url("/jwt/x"), bearer(good)); resp.StatusCode != 401 {
		t.Fatalf("token of a rotated-out key: %d", resp.StatusCode)
	}
}

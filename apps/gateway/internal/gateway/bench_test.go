package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/centuria/centuria/apps/gateway/internal/jwkstest"
	"github.com/centuria/centuria/internal/testenv"
)

// BenchmarkProxy measures requests through a started gateway over loopback
// (client, gateway and upstream in one process): plain and with JWT plus a
// Redis rate limit. Use bench/gateway for the comparison with nginx.
func BenchmarkProxy(b *testing.B) {
	up := newUpstream(b, "u")
	js := jwkstest.New(b)
	js.AddRSA(b, "k1")
	addr, prefix := testenv.Redis(b)
	yaml := fmt.Sprintf(`
server:
  addr: 127.0.0.1:0
admin:
  addr: "off"
log:
  access: false
redis:
  addr: %q
  key_prefix: %q
auth:
  jwt:
    jwks_url: %q
    issuer: https://issuer.test/
    audience: [api.test]
rate_limits:
  big:
    rate: 1000000
    period: 1s
    key: jwt_sub
    backend: redis
routes:
  - name: plain
    path_prefix: /plain
    upstreams: [%q]
  - name: jwt
    path_prefix: /jwt
    upstreams: [%q]
    auth: jwt
    rate_limit: big
`, addr, prefix, js.URL(), up.URL, up.URL)
	g := startGatewayB(b, nil, yaml)
	tok := js.Sign(b, "k1", jwt.MapClaims{"iss": "https://issuer.test/", "aud": "api.test", "sub": "bench",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr}
	for _, bc := range []struct{ name, path, auth string }{{"plain", "/plain", ""}, {"jwt+redis", "/jwt", "Bearer " + tok}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", "http://"+g.Addr("main")+bc.path, nil)
					if bc.auth != "" {
						req.Header.Set("Authorization", bc.auth)
					}
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

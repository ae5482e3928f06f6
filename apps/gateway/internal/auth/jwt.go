package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ClaimHeader forwards one claim to upstreams in a request header.
type ClaimHeader struct {
	Claim  string
	Header string // canonical header key
}

// VerifierOptions configures a Verifier.
type VerifierOptions struct {
	Issuer     string
	Audience   []string
	Algorithms []string
	Leeway     time.Duration
	Forward    []ClaimHeader
	Now        func() time.Time
	// CacheSize bounds the cache of verified tokens (default 10,000; a
	// negative value disables it).
	CacheSize int
}

// Verifier checks bearer tokens against a JWKS: signature with an allowed
// asymmetric algorithm that matches the key, issuer, audience, exp and nbf
// with leeway. Verified tokens are cached until they expire, as long as
// their key stays in the key set.
type Verifier struct {
	jwks    *JWKS
	parser  *jwt.Parser
	algs    map[string]bool
	forward []ClaimHeader
	now     func() time.Time

	cache *tokenCache // nil when disabled
}

// NewVerifier returns a Verifier using the keys of jwks.
func NewVerifier(jwks *JWKS, o VerifierOptions) *Verifier {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheSize == 0 {
		o.CacheSize = 10000
	}
	algs := map[string]bool{}
	for _, a := range o.Algorithms {
		algs[a] = true
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(o.Algorithms),
		jwt.WithIssuer(o.Issuer),
		jwt.WithAudience(o.Audience...),
		jwt.WithLeeway(o.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(o.Now),
	}
	v := &Verifier{jwks: jwks, parser: jwt.NewParser(opts...), algs: algs, forward: o.Forward, now: o.Now}
	if o.CacheSize > 0 {
		v.cache = newTokenCache(o.CacheSize)
	}
	return v
}

// Verify checks token and returns the caller's identity. Errors wrap
// ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = tokenSum(token)
		if c, ok := v.cache.get(&sum); ok {
			if v.now().Before(c.exp) && v.jwks.current(c.kid, c.serial) {
				return c.id, nil
			}
			v.cache.drop(&sum)
		}
	}
	var kid string
	var serial uint64
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		k, _ := t.Header["kid"].(string)
		if k == "" {
			return nil, errors.New("token has no kid")
		}
		alg := t.Method.Alg()
		if !v.algs[alg] {
			return nil, fmt.Errorf("algorithm %q not allowed", alg)
		}
		pk, ok := v.jwks.lookup(ctx, k)
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", k)
		}
		if pk.alg != "" && pk.alg != alg {
			return nil, fmt.Errorf("key %q is for %s, token uses %s", k, pk.alg, alg)
		}
		if !keyFits(pk.key, alg) {
			return nil, fmt.Errorf("key %q cannot verify %s", k, alg)
		}
		kid, serial = k, pk.serial
		return pk.key, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	id := &Identity{Method: MethodJWT}
	id.Subject, _ = claims["sub"].(string)
	for _, f := range v.forward {
		if s, ok := claimString(claims[f.Claim]); ok {
			id.Headers = append(id.Headers, [2]string{f.Header, s})
		}
	}
	if v.cache != nil {
		// Cached until the token's own exp (no leeway), and only while kid
		// maps to the key that verified it.
		if exp, _ := claims.GetExpirationTime(); exp != nil {
			v.cache.put(&sum, cachedToken{id: id, exp: exp.Time, kid: kid, serial: serial}, v.now())
		}
	}
	return id, nil
}

// tokenSum hashes token without a heap copy for tokens of up to 4 KiB.
func tokenSum(token string) [sha256.Size]byte {
	var buf [4 << 10]byte
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// keyFits reports whether key's type belongs to the algorithm's family, so
// that an RSA key can never be used as an HMAC secret and vice versa.
func keyFits(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		bits := k.Curve.Params().BitSize
		return (alg == "ES256" && bits == 256) || (alg == "ES384" && bits == 384) || (alg == "ES512" && bits == 521)
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// claimString renders a claim value for a header: strings as they are,
// numbers and booleans in their JSON form; other types and values with
// control characters are not forwarded.
func claimString(v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "", false
		}
	}
	return s, true
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

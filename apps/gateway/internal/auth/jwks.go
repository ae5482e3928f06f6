package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// publicKey is one verified JWKS entry.
type publicKey struct {
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK's own "alg", empty when absent
	// serial identifies this key material: it is kept across refreshes
	// while the kid maps to an equal key and alg, and is new otherwise, so
	// a cached verification can tell whether its key is still the same.
	serial uint64
}

// keySerials numbers key material process-wide.
var keySerials atomic.Uint64

type keySet map[string]publicKey

// JWKS is a cached JSON Web Key Set fetched over HTTP. It refreshes in the
// background and refetches on an unknown kid at most once per
// MinRefetchInterval. It is safe for concurrent use.
type JWKS struct {
	url        string
	client     *http.Client
	now        func() time.Time
	refresh    time.Duration
	minRefetch time.Duration
	log        *slog.Logger

	keys      atomic.Pointer[keySet]
	gen       atomic.Uint64
	mu        sync.Mutex
	lastFetch time.Time
	sf        singleflight.Group
}

// JWKSOptions configures a JWKS cache; zero values take the defaults.
type JWKSOptions struct {
	Client             *http.Client
	Now                func() time.Time
	RefreshInterval    time.Duration
	MinRefetchInterval time.Duration
	Logger             *slog.Logger
}

// NewJWKS returns a cache for the key set at url. It does not fetch: call
// Refresh or Run.
func NewJWKS(url string, o JWKSOptions) *JWKS {
	j := &JWKS{url: url, client: o.Client, now: o.Now, refresh: o.RefreshInterval, minRefetch: o.MinRefetchInterval, log: o.Logger}
	if j.client == nil {
		j.client = &http.Client{Timeout: 10 * time.Second}
	}
	if j.now == nil {
		j.now = time.Now
	}
	if j.refresh <= 0 {
		j.refresh = 5 * time.Minute
	}
	if j.minRefetch <= 0 {
		j.minRefetch = 10 * time.Second
	}
	if j.log == nil {
		j.log = slog.New(slog.DiscardHandler)
	}
	empty := keySet{}
	j.keys.Store(&empty)
	return j
}

// Run refreshes the key set until ctx ends, first immediately, then every
// RefreshInterval. Failures are logged and the previous keys are kept.
func (j *JWKS) Run(ctx context.Context) {
	t := time.NewTicker(j.refresh)
	defer t.Stop()
	for {
		if err := j.Refresh(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("jwks refresh failed", "url", j.url, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Loaded reports whether a key set has been fetched successfully.
func (j *JWKS) Loaded() bool { return j.gen.Load() > 0 }

// Refresh fetches the key set now. Concurrent calls share one fetch. It
// returns an error wrapping ErrJWKS and keeps the old keys on failure.
func (j *JWKS) Refresh(ctx context.Context) error {
	_, err, _ := j.sf.Do("fetch", func() (any, error) {
		j.mu.Lock()
		j.lastFetch = j.now()
		j.mu.Unlock()
		ks, err := j.fetch(ctx)
		if err != nil {
			return nil, err
		}
		old := *j.keys.Load()
		for kid, k := range ks {
			if o, ok := old[kid]; ok && o.alg == k.alg && sameKey(o.key, k.key) {
				k.serial = o.serial
			} else {
				k.serial = keySerials.Add(1)
			}
			ks[kid] = k
		}
		j.keys.Store(&ks)
		j.gen.Add(1)
		return nil, nil
	})
	return err
}

func (j *JWKS) fetch(ctx context.Context) (keySet, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJWKS, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: fetching %s: %v", ErrJWKS, j.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: fetching %s: status %s", ErrJWKS, j.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrJWKS, j.url, err)
	}
	ks, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrJWKS, j.url, err)
	}
	return ks, nil
}

// lookup returns the key with kid; on a miss it refetches, unless the last
// fetch was less than MinRefetchInterval ago.
func (j *JWKS) lookup(ctx context.Context, kid string) (publicKey, bool) {
	if k, ok := (*j.keys.Load())[kid]; ok {
		return k, true
	}
	j.mu.Lock()
	due := j.now().Sub(j.lastFetch) >= j.minRefetch
	j.mu.Unlock()
	if !due {
		return publicKey{}, false
	}
	if err := j.Refresh(ctx); err != nil {
		j.log.Warn("jwks refetch on unknown kid failed", "kid", kid, "err", err)
	}
	k, ok := (*j.keys.Load())[kid]
	return k, ok
}

// current reports whether kid maps to the key material with serial in the
// current key set, without fetching.
func (j *JWKS) current(kid string, serial uint64) bool {
	k, ok := (*j.keys.Load())[kid]
	return ok && k.serial == serial
}

// sameKey reports whether two parsed public keys are equal.
func sameKey(a, b any) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS parses a JWKS document. Entries that are not signature keys, or
// that use an unsupported type, are skipped; a malformed supported entry or
// a symmetric key is an error.
func parseJWKS(b []byte) (keySet, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decoding key set: %v", err)
	}
	ks := keySet{}
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Kid == "" {
			return nil, fmt.Errorf("keys[%d]: kid is required", i)
		}
		key, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("keys[%d] (kid %q): %v", i, k.Kid, err)
		}
		if key == nil {
			continue
		}
		ks[k.Kid] = publicKey{key: key, alg: k.Alg}
	}
	return ks, nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (k jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("bad RSA modulus or exponent")
		}
		pk := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pk.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too small (need 2048)", pk.N.BitLen())
		}
		if pk.E < 3 || pk.E%2 == 0 {
			return nil, fmt.Errorf("bad RSA exponent")
		}
		return pk, nil
	case "EC":
		var c elliptic.Curve
		switch k.Crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		case "P-521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		size := (c.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, fmt.Errorf("bad EC coordinates")
		}
		// Validate the point through the uncompressed encoding parser.
		raw := append(append([]byte{4}, x...), y...)
		pk, err := ecdsa.ParseUncompressedPublicKey(c, raw)
		if err != nil {
			return nil, fmt.Errorf("EC point: %v", err)
		}
		return pk, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", k.Crv)
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	case "oct":
		return nil, fmt.Errorf("symmetric keys are not accepted")
	default:
		return nil, nil
	}
}

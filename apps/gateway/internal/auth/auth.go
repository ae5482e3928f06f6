// Package auth authenticates gateway requests with JWTs verified against a
// JWKS endpoint or with API keys stored as SHA-256 digests, and applies a
// route's policy: public, jwt, api_key or either.
package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// Authentication methods reported in Identity.Method.
const (
	MethodJWT    = "jwt"
	MethodAPIKey = "api_key"
)

// Policy is a route's authentication requirement.
type Policy int

// Route policies.
const (
	Public Policy = iota
	JWTOnly
	APIKeyOnly
	Either
)

// ParsePolicy maps the configuration words to a Policy.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "public", "":
		return Public, nil
	case "jwt":
		return JWTOnly, nil
	case "api_key":
		return APIKeyOnly, nil
	case "either":
		return Either, nil
	}
	return 0, fmt.Errorf("unknown auth policy %q", s)
}

// Identity is an authenticated caller.
type Identity struct {
	Method  string
	Subject string // JWT sub, or the API key's name
	Scopes  []string
	// Headers are set on the upstream request (forwarded claims or the
	// API key name).
	Headers [][2]string
}

// Authenticator applies route policies with the configured methods; a nil
// method is unavailable.
type Authenticator struct {
	JWT          *Verifier
	Keys         *APIKeys
	KeyHeader    string
	KeyNameHdr   string
	StripHeaders []string // headers no client may send (forwarded claims)
}

// Authenticate checks r against policy and scopes. It returns a nil
// Identity for public routes, and errors wrapping ErrNoCredentials,
// ErrInvalidToken, ErrUnknownAPIKey or ErrForbidden.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, p Policy, scopes []string) (*Identity, error) {
	switch p {
	case Public:
		return nil, nil
	case JWTOnly:
		return a.jwt(ctx, r)
	case APIKeyOnly:
		return a.apiKey(r, scopes)
	case Either:
		if _, ok := BearerToken(r); ok {
			return a.jwt(ctx, r)
		}
		if r.Header.Get(a.KeyHeader) != "" {
			return a.apiKey(r, scopes)
		}
		return nil, ErrNoCredentials
	}
	return nil, fmt.Errorf("%w: unknown policy", ErrNoCredentials)
}

func (a *Authenticator) jwt(ctx context.Context, r *http.Request) (*Identity, error) {
	tok, ok := BearerToken(r)
	if !ok || a.JWT == nil {
		return nil, ErrNoCredentials
	}
	return a.JWT.Verify(ctx, tok)
}

func (a *Authenticator) apiKey(r *http.Request, scopes []string) (*Identity, error) {
	secret := r.Header.Get(a.KeyHeader)
	if secret == "" || a.Keys == nil {
		return nil, ErrNoCredentials
	}
	k, err := a.Keys.Lookup(secret)
	if err != nil {
		return nil, err
	}
	for _, s := range scopes {
		if !slices.Contains(k.Scopes, s) {
			return nil, fmt.Errorf("%w: key %q lacks scope %q", ErrForbidden, k.Name, s)
		}
	}
	return &Identity{Method: MethodAPIKey, Subject: k.Name, Scopes: k.Scopes, Headers: [][2]string{{a.KeyNameHdr, k.Name}}}, nil
}

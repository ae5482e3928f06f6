package auth

import "errors"

// Sentinel errors of the auth package.
var (
	// ErrNoCredentials means the request carried neither a bearer token nor
	// an API key where the route requires one.
	ErrNoCredentials = errors.New("no credentials")
	// ErrInvalidToken means a bearer token failed verification.
	ErrInvalidToken = errors.New("invalid token")
	// ErrUnknownAPIKey means the presented API key matches no stored hash.
	ErrUnknownAPIKey = errors.New("unknown API key")
	// ErrForbidden means the credential is valid but lacks a required scope.
	ErrForbidden = errors.New("insufficient scope")
	// ErrJWKS means the key set could not be fetched or parsed.
	ErrJWKS = errors.New("JWKS unavailable")
	// ErrInvalidKeyFile means an API key file or variable is malformed.
	ErrInvalidKeyFile = errors.New("invalid API key list")
)

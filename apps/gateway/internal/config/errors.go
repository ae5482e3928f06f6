package config

import "errors"

// ErrInvalid is wrapped by every error that reports a bad configuration file:
// a syntax error, an unknown key or an invalid value.
var ErrInvalid = errors.New("invalid gateway configuration")

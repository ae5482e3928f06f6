package image

import "errors"

// ErrInvalidOption is returned when Options or a flag value is invalid.
var ErrInvalidOption = errors.New("invalid image option")

// ErrCompile is returned when the go build of an app fails; the error text
// includes the compiler's output.
var ErrCompile = errors.New("compiling app")

// ErrBase is returned when the base image cannot be read or has no manifest
// for a requested platform.
var ErrBase = errors.New("base image")

// ErrNoSBOM is returned by ReadSBOM when an index holds no SBOM for the
// requested platform.
var ErrNoSBOM = errors.New("no SBOM in image index")

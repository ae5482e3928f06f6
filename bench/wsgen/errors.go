package wsgen

import "errors"

// Sentinel errors returned by this package; wrapped errors name the field,
// file or change they refer to.
var (
	// ErrInvalidSpec reports a Spec that cannot be generated.
	ErrInvalidSpec = errors.New("invalid workspace spec")
	// ErrInvalidOption reports an invalid Oracle option.
	ErrInvalidOption = errors.New("invalid option")
	// ErrUnknownPreset reports a preset name that is not defined.
	ErrUnknownPreset = errors.New("unknown preset")
	// ErrUnknownChange reports a ChangeKind that is not defined or that the
	// manifest has no candidate for.
	ErrUnknownChange = errors.New("unknown change kind")
	// ErrNotEmpty reports an output directory that already holds files.
	ErrNotEmpty = errors.New("output directory is not empty")
	// ErrGoList reports a failure of the go list command the oracle runs.
	ErrGoList = errors.New("go list failed")
	// ErrGit reports a failed git command.
	ErrGit = errors.New("git failed")
	// ErrNoBaseGoMod reports a changed go.mod whose previous content the
	// oracle could not obtain.
	ErrNoBaseGoMod = errors.New("previous go.mod unavailable")
)

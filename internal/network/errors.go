package network

import "errors"

// Sentinel errors, matched with errors.Is. Every returned error wraps one of
// these or a system error, and names the uid, address or field it is about.
var (
	// ErrExhausted: the subnet has no free address left.
	ErrExhausted = errors.New("address pool exhausted")
	// ErrConflict: the address, MAC or uid is already held by someone else.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: an argument or a Config field is malformed.
	ErrInvalid = errors.New("invalid")
)

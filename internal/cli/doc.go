// Package cli is the vigil command line: `vigil serve` (the daemon, see
// serve.go) and every client subcommand, built with cobra. Client commands
// talk to the daemon only through internal/client; they print tables the way
// kubectl does and exit non-zero on any error.
package cli

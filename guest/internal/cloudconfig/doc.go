// Package cloudconfig understands the part of cloud-init's NoCloud data that
// the tiny guest acts on: meta-data (instance-id, local-hostname) and
// user-data, either a "#!" script or a "#cloud-config" document with
// write_files, bootcmd, runcmd and hostname. Other cloud-config keys are
// reported back as unsupported so the guest can say so on its console.
//
// It is pure: it parses bytes and renders shell scripts, and never touches
// the filesystem or runs anything (the guest's init does that).
//
// The YAML here is our own small subset (block mappings and sequences, plain,
// quoted and block scalars, one-line or bracket-balanced flow collections,
// comments), because the guest's init may only use the standard library and
// golang.org/x/sys; anchors, aliases, tags and multiple documents are not
// understood and come back as plain text.
package cloudconfig

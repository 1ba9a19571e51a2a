// Package kmod reads a kernel's modules.dep and puts modules in load order
// (every dependency before the module that needs it), as modprobe does.
//
// Both sides of the tiny guest use it: the image builder to know which .ko
// files to copy, the guest's init to load them. It only does arithmetic on
// names and paths; it never reads /lib/modules or loads anything itself.
// Own code because the guest's init may use only the standard library and
// golang.org/x/sys, and the part we need is the file format plus a
// depth-first walk.
package kmod

// Package newc writes and reads the "newc" (SVR4, magic 070701) cpio format,
// the only archive format the Linux kernel unpacks as an initramfs.
//
// It owns nothing but the byte layout: callers decide what goes in. We wrote
// it ourselves because the format is small (a fixed ASCII-hex header, the
// name, the body, 4-byte padding, a TRAILER!!! entry) and we need exact
// control of device nodes (/dev/console), symlinks, entry order and mtimes
// (reproducible images); shelling out to cpio(1) would need root to create
// the device node and real files on disk for every entry.
package newc

// Package newc writes and reads the "newc" (SVR4, magic 070701) cpio format,
// the only archive format the Linux kernel unpacks as an initramfs.
//
// It owns nothing but the byte layout: callers decide what goes in. We wrote
// it ourselves because the format is ~100 lines (a fixed ASCII-hex header,
// the name, the body, 4-byte padding, a TRAILER!!! entry), the kernel needs
// device nodes and symlinks that archive/tar-style libraries cannot express
// in newc, and shelling out to cpio(1) would need root to create /dev nodes.
package newc

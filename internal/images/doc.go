// Package images is vigil's local image store: the guest images that
// containerDisk.image and kernelBoot.container.image name. It lives in one
// directory on the host (by default <data-dir>/images, see DefaultDir); each
// image is a directory named after it (a DNS label) holding its files and
// image.json (name, kind, format, size, sha256, created, source):
//
//	kernel  vmlinuz + initrd, booted directly (kernelBoot)
//	disk    disk.qcow2 or disk.raw, given to each VMI through its own
//	        copy-on-write overlay, so writes vanish with the VMI (containerDisk)
//
// Images appear whole or not at all: every import fills a hidden staging
// directory in the store, syncs it and renames it into place, and a flock
// per name keeps two writers of one name (in one process or several) from
// interleaving. Image files are read-only once stored.
//
// The store knows nothing about VMIs beyond the two fields it resolves
// (ResolveKernelBoot, PrepareContainerDisk); it does not start QEMU, and it
// does not know which VMIs use an image: removing a disk image that running
// VMIs use breaks their overlays, so remove images only when nothing uses
// them. Building the tiny guest is guest/image's job; BuildTiny only stores
// its output. There is no registry and nothing is downloaded.
package images

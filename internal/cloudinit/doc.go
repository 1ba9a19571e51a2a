// Package cloudinit turns a VMI's cloudInitNoCloud volume into the disk
// cloud-init's NoCloud datasource reads: an ISO9660 image labelled "cidata"
// holding meta-data (instance-id, local-hostname), user-data and, when
// given, network-config. Real cloud images and vigil's tiny guest
// (guest/init) both find the seed by that label.
//
// FromVMI reads the volume (inline or base64 data; Secret references are
// refused, vigil serves no Secrets) and BuildNoCloud writes the image. The
// package does not attach the disk to QEMU or choose where it lives: the node
// agent does, and owns the file's lifetime.
//
// The image is written with github.com/diskfs/go-diskfs, a maintained Go
// ISO9660 writer that records Rock Ridge and Joliet names and the volume
// identifier; github.com/kdomanski/iso9660 was ruled out because it only
// writes plain ISO9660 names and turns "meta-data" into "meta_data", which
// cloud-init would not find. Shelling out to xorriso or genisoimage would
// make a host package a runtime dependency of every VM start.
package cloudinit

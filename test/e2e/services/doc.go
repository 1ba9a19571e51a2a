// Package services holds the end-to-end test of Services on real VMs:
// readiness decides which VMs get new connections through the service
// address, in the kernel (nftables), while connections already open stay.
// The test binary runs in private namespaces (nstest.Main): the daemon, its
// VMs, its nftables tables and every connection the test makes stay there.
package services

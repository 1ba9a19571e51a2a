// Package vm holds the end-to-end tests of running real VMs: the real
// `vigil serve` with its node agent boots the tiny guest under QEMU, with
// cloud-init, the real qemu-guest-agent and a tap on the daemon's bridge.
// The whole test binary runs in private network and mount namespaces
// (nstest.Main), so the daemon's bridge, taps and nftables rules, and every
// connection the tests make to a VM, stay inside them.
package vm

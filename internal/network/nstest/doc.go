// Package nstest runs tests inside private Linux network namespaces, so
// that tests which create bridges, taps, routes, nftables rules or DHCP
// servers never touch the host's own network.
//
// Two layers:
//
//   - Main(m), called from a package's TestMain, re-executes the test binary
//     in fresh network and mount namespaces (clone flags on the child, so
//     every thread and every child process of the tests is inside). The
//     child checks that its namespaces really differ from its parent's
//     before running any test, makes every mount private, mounts its own
//     /sys (so /sys/class/net shows the private namespace) and a tmpfs on
//     /run/netns (so `ip netns add` leaves nothing behind on the host), and
//     brings loopback up. When the process dies, everything it made dies
//     with the namespaces. Without the privileges to do this (not root),
//     tests run unisolated and every test that calls Require is skipped.
//   - New(t) makes a further named namespace (a "guest" or an "outside"
//     network) inside that one, with Command/Run/Do to work in it and Veth
//     to wire it to the test's namespace.
//
// Usage (any package of the module may import it; e2e tests that start
// `vigil serve` get the daemon isolated too, as children inherit the
// namespaces):
//
//	func TestMain(m *testing.M) { nstest.Main(m) }
//
//	func TestX(t *testing.T) {
//		nstest.Require(t) // skip unless isolated
//		guest := nstest.New(t)
//		nstest.Veth(t, "vh0", guest, "eth0", mac)
//		out := guest.Run(t, "ip", "-br", "addr")
//	}
//
// What it must not do: run anything that changes networking unless the
// process is isolated. It owns no production code.
package nstest

// Package kubectl holds the end-to-end tests of kubectl compatibility: the
// real, unmodified kubectl (whatever /usr/bin/kubectl or PATH provides;
// a dispatcher picks its bundled version from the server's /version)
// against the real `vigil serve`, reached over HTTPS on the daemon's
// --listen-tcp with a kubeconfig from `vigil kubeconfig`.
//
// Each daemon runs in a network namespace of its own (framework.StartDaemon),
// so kubectl runs there too (`ip netns exec`), with its own --cache-dir:
// nothing touches the host's network or the user's kubectl cache.
//
// No node runs VMs in the other tests (--node=false): a VMI becomes Ready when
// the test says so through the status subresource, with kubectl itself, the
// way a node reports it. TestKubectlWaitOnARealVM runs the node agent, its
// probes and the tiny guest: there Ready comes from a real readiness probe.
package kubectl

// Package node is the node agent inside `vigil serve`: it turns the
// VirtualMachineInstances assigned to this host into running QEMU VMs,
// watches them, and writes what it sees to each VMI's status.
//
// What it owns, per VMI on this node: scheduling (status.nodeName, the
// finalizer vigil.dev/node-shutdown), the run directory
// <DataDir>/vmis/<uid>/ and everything in it (cloud-init ISO, disk
// overlays, QEMU's sockets and logs), the VMI's IP address, tap and DHCP
// lease, the QEMU process, the guest agent channel (one qga.Client per
// VMI, shared with the probes), the probe engine (one probe.Manager for
// the node: the agent is its Effects), and the status fields phase,
// reason, message, nodeName, interfaces, guestOSInfo, watchdog, probes and
// the conditions Ready, AgentConnected and Paused. It also serves the API
// server's VMI console, log, guest-exec, pause and unpause subresources
// (NodeProxy, NodePauser).
//
// What it must not touch: VMs (the VM controller's), other nodes' VMIs,
// the VMI spec (immutable), and the host network beyond what
// internal/network does for it. It reaches the API only through the
// daemon's socket, as any client would.
//
// How it is built (the kubelet's shape, small):
//   - decide.go, status.go, outcome.go, schedule.go, interfaces.go: pure
//     functions from observed facts (and `now`) to the next step or the
//     status to write. Tables test them.
//   - informer.go: list+watch of VMIs into a cache (relisting after 410 or
//     a broken watch) that queues VMI UIDs on the keyed work queue of
//     internal/controller/informer; a key is handled by one worker at a
//     time, so each VMI has one writer here, while VMIs proceed
//     independently. The list-and-watch loop is that package's
//     ListWatch; the node keeps its own cache rather than its typed
//     Informer because the cache differs in kind: keyed by UID (a VMI
//     re-created under the same name is another VMI), updated by the
//     agent's own status writes unless the watch already brought a newer
//     resourceVersion, and a relist queues every VMI it ever held, not
//     only the changed ones.
//   - reconcile.go, start.go, prepare.go, stop.go, finish.go, write.go: the
//     I/O that carries a decided step out: launch, stop, cleanup, status
//     writes (read-modify-write with retry on Conflict, only when something
//     changed).
//   - monitor.go, guestagent.go: one goroutine per running VMI for QMP
//     events and the process's exit, one for the guest agent. They only
//     record observations and queue the VMI; the worker writes the status.
//   - restore.go: start-up after a daemon restart: addresses are reserved
//     from the stored statuses and every QEMU still running is reattached
//     (same PID, nothing restarted); a VMI whose QEMU died meanwhile ends
//     Failed with reason ProcessLost.
//   - proxy.go, follow.go, pause.go: the API server's console, log,
//     guest-exec, pause and unpause subresources.
//   - probes.go, probestatus.go, observed.go, procstart.go: the probe
//     engine's wiring. A VMI is handed to it once QEMU runs (AddVMI, its
//     initial delay counted from QEMU's start as /proc tells it; reattached
//     VMIs with restarted=true), told when a stop begins (Stopping, before
//     the process ends), when it is paused, when its annotations change,
//     and forgotten when QEMU is gone. Its effects come back as SetReady,
//     LivenessFailed (StopVMI, reason LivenessProbeFailed) and Event.
//
// Decisions:
//   - A process's death is proven by qemu.Process.Exited (wait or pidfd),
//     never guessed from a timeout; a QEMU whose QMP does not answer after a
//     restart is left alone and retried, not declared dead.
//   - The VMI's IP is allocated when it is scheduled and recorded in
//     status.interfaces before QEMU starts, so a daemon killed mid-launch
//     finds the address again.
//   - Readiness: without a readinessProbe, Ready is True while Running. With
//     one, Ready stays False (reason ReadinessProbePending) until a prober
//     publishes a result through SetReadiness; whatever is published is
//     kept while the VMI runs. Ready drops to False (reason Terminating) as
//     soon as a stop or deletion begins, before the process ends, and is
//     False (reason Paused, KubeVirt's word) while the vCPUs are paused.
//   - Two writers, one rule: a published readiness, a pause and the start
//     of a stop are written at once from the caller's goroutine (publish),
//     not queued behind the workers: the probe engine measures the time
//     from a probe's end to its effect, and a launch can hold every worker
//     for seconds. Both writers compute the status from the same
//     observation, read inside each attempt, and every status write tries
//     the cached version first (one round trip) and retries on Conflict,
//     so neither can undo the other.
//   - status.probes is written when a result, a transition or a state
//     changes; run counts and probe times alone at most every 10 s (a
//     write per probe would be a thousand writes a second at 10,000 VMIs).
//   - A daemon restart cuts no traffic: the probes of reattached VMIs start
//     from the stored Ready condition, and shutdown stops the engine before
//     anything else, publishing nothing.
//   - A guest power-off ends Succeeded with reason GuestShutdown
//     (WatchdogShutdown after a watchdog "shutdown"); KubeVirt leaves the
//     reason empty, but an explicit reason tells users what happened.
//   - Deletion grace: metadata.deletionGracePeriodSeconds when the DELETE gave one,
//     else spec.terminationGracePeriodSeconds (default 30; 0 = at once).
//     The API server records the grace only when the DELETE gives one.
package node

// Package endpoints is the endpoints controller: for every Service with a
// selector it keeps an Endpoints object of the same name that lists the
// selected VirtualMachineInstances, the ready ones under addresses and the
// others under notReadyAddresses, each with its VMI reference and node,
// and the Service's ports resolved per VMI (a named targetPort through the
// VMI's spec.domain.devices.interfaces[].ports). It deletes the Endpoints
// it wrote when their Service is deleted.
//
// Ready means: the VMI's Ready condition is True, it is Running and it is
// not being deleted. Its address is status.interfaces[0].ipAddress; a VMI
// without one, or one that has ended, is not listed at all.
//
// Pure, tested with tables: derive.go (Derive, Ready, ResolvePort,
// Selects) and repack.go (subsets grouped by resolved ports, sorted, so an
// unchanged result compares equal and is not written). The Services
// dataplane (internal/proxy) calls Derive too, straight on VMI changes, so
// the kernel rules never wait for the Endpoints write and never disagree
// with what the API shows.
//
// Around them a thin loop: informers (internal/controller/informer) for
// Services, VMIs and Endpoints, a keyed queue of Services, workers that
// Sync one Service at a time and retry with backoff. A VMI change queues
// the Services that select it now or did before (VMIIndex). It talks to the API only through the API
// interface; it must not touch the store, the VMIs or the network. A
// Service without a selector is left alone: its Endpoints are the user's.
package endpoints

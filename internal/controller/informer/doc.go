// Package informer keeps typed caches of API objects in step with the API
// server (list, then watch from the list's resourceVersion, resume or
// relist when the watch ends) and offers a keyed work queue with delayed
// retries: the two pieces every controller of vigil's that is written as
// "react to a change, reconcile one key" needs.
//
// Users: the VM controller, the endpoints controller and the Services
// dataplane (proxy). The list-and-watch loop itself (ListWatch) also
// drives the node agent's own VMI cache, whose kind differs (see the
// node package). It talks to the API only through the small ListWatcher interface
// (*client.Client satisfies it) and must not know what its users do with
// the objects; handlers run on the informer's goroutine and must not block.
//
// Own code rather than client-go's informers and workqueue: those want a
// typed clientset and bring all of client-go in, while vigil's controllers
// need list, watch, a cache and a queue for a few kinds.
package informer

// Package client is the Go client of the vigil API: kube-style REST over the
// daemon's unix socket (the default, unix:///run/vigil/vigil.sock) or over
// HTTPS with a bearer token. It turns typed objects from internal/resource
// into requests and answers back into typed objects, decodes metav1.Status
// error bodies into *apierrors.StatusError (so apierrors.IsNotFound and
// friends work), hands `Warning:` headers to a callback, and reads watch
// streams into an apimachinery watch.Interface.
//
// It owns no state beyond its HTTP transport and must not know about
// printing or the command line (internal/cli does that) nor about the
// server's internals: it speaks only the wire format.
//
// Why our own client rather than client-go: client-go needs a generated
// clientset or the dynamic client plus a REST mapper and discovery for our
// own kubevirt.io types, and has no unix-socket transport; the handful of
// verbs we need fit in a few small files over net/http.
package client

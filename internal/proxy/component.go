package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os/exec"
	"time"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/network"
)

// DefaultServiceSubnet is the service range when Component.ServiceSubnet
// is unset; it must equal apiserver.DefaultServiceSubnet (a test checks).
var DefaultServiceSubnet = netip.MustParsePrefix("10.96.0.0/16")

// routeRetry is the pause between attempts to route the service subnet
// while the VM bridge does not exist yet (the node agent makes it).
const routeRetry = 2 * time.Second

// Component runs the proxy inside `vigil serve`, in the daemon's network
// namespace, talking to the API through the daemon's socket.
type Component struct {
	Logger *slog.Logger
	// ServiceSubnet is the range cluster IPs come from (default
	// DefaultServiceSubnet); the same value as the API server's.
	ServiceSubnet netip.Prefix
	// ClientSubnet is the VM network (default network.DefaultSubnet).
	ClientSubnet netip.Prefix
	// RouteLink is the interface the service subnet is routed to
	// (default network.DefaultBridge).
	RouteLink string
}

// Name names the component in the daemon's logs.
func (Component) Name() string { return "service-proxy" }

// Run runs the proxy until ctx ends. It fails at once without the nft
// binary.
func (c Component) Run(ctx context.Context, socket string) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return fmt.Errorf("the services dataplane needs nft (package nftables): %w", err)
	}
	cfg := Config{ServiceSubnet: c.ServiceSubnet, ClientSubnet: c.ClientSubnet}
	if !cfg.ServiceSubnet.IsValid() {
		cfg.ServiceSubnet = DefaultServiceSubnet
	}
	if !cfg.ClientSubnet.IsValid() {
		cfg.ClientSubnet = network.DefaultSubnet
	}
	link := c.RouteLink
	if link == "" {
		link = network.DefaultBridge
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	api, err := client.New(client.Config{Server: "unix://" + socket, UserAgent: "vigil/service-proxy"})
	if err != nil {
		return err
	}
	go routeWhenReady(ctx, log, link, cfg.ServiceSubnet)
	return New(api, Options{Config: cfg, Logger: log}).Run(ctx)
}

// routeWhenReady routes the service subnet to link, retrying until the
// link exists.
func routeWhenReady(ctx context.Context, log *slog.Logger, link string, subnet netip.Prefix) {
	last := ""
	for {
		err := EnsureRoute(link, subnet)
		if err == nil {
			log.Info("service subnet routed", "subnet", subnet.String(), "link", link)
			return
		}
		if err.Error() != last { // once per distinct failure, not every retry
			log.Warn("cannot route the service subnet yet, retrying", "err", err, "after", routeRetry)
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(routeRetry):
		}
	}
}

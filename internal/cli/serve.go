package cli

import (
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/spf13/cobra"

	"vigil.dev/vigil/internal/apiserver"
	"vigil.dev/vigil/internal/controller/endpoints"
	"vigil.dev/vigil/internal/controller/vm"
	"vigil.dev/vigil/internal/daemon"
	"vigil.dev/vigil/internal/network"
	"vigil.dev/vigil/internal/node"
	"vigil.dev/vigil/internal/proxy"
	"vigil.dev/vigil/internal/qemu"
)

// serveOptions are the flags of `vigil serve`.
type serveOptions struct {
	cfg       daemon.Config
	logFormat string
	// The node agent's flags.
	node       bool
	bridge     string
	subnet     string
	accel      string
	qemuBinary string
	// The Services flag.
	serviceSubnet string
}

func newServeCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the vigil daemon",
		Long: `Run the vigil daemon: the API server on a unix socket (and, with
--listen-tcp, over HTTPS with a bearer token kept in the data directory),
the object store (an embedded etcd in the data directory unless
--etcd-endpoints is given), and the background components.

SIGTERM or SIGINT shuts it down cleanly; virtual machines keep running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.cfg.DataDir, "data-dir", daemon.DefaultDataDir, "directory of the daemon's state: lock, embedded etcd, TLS credentials and token")
	f.StringVar(&o.cfg.Socket, "socket", daemon.DefaultSocket, "unix socket the API is served on (mode 0600)")
	f.StringVar(&o.cfg.ListenTCP, "listen-tcp", "", "also serve the API over HTTPS on this host:port; clients need the token in <data-dir>/token")
	f.StringSliceVar(&o.cfg.EtcdEndpoints, "etcd-endpoints", nil, "use this etcd cluster (comma-separated URLs) instead of the embedded one")
	f.StringVar(&o.cfg.NodeName, "node-name", "", "name of this host as VMIs record it (default: the hostname)")
	f.StringVar(&o.cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.BoolVar(&o.node, "node", true, "run the node agent: start the VMIs of this host as QEMU VMs (creates the bridge and nftables rules)")
	f.StringVar(&o.bridge, "bridge", network.DefaultBridge, "host bridge the VMs' taps join")
	f.StringVar(&o.subnet, "subnet", network.DefaultSubnet.String(), "private IPv4 subnet of the VMs; the bridge takes its first address")
	f.StringVar(&o.accel, "accel", qemu.AccelAuto, "QEMU accelerator: auto (KVM when it really works, else TCG), kvm or tcg")
	f.StringVar(&o.qemuBinary, "qemu", qemu.DefaultQEMUBinary, "QEMU system emulator to run VMs with")
	f.BoolVar(&o.cfg.DebugPprof, "debug-pprof", false, "serve the Go runtime's profiles (net/http/pprof) under /debug/pprof/ on the unix socket only, for profiling the daemon; off by default")
	f.StringVar(&o.serviceSubnet, "service-subnet", apiserver.DefaultServiceSubnet.String(), "IPv4 range Service cluster IPs come from; must not overlap --subnet")
	return cmd
}

func (o *serveOptions) run(cmd *cobra.Command) error {
	logger, err := daemon.NewLogger(cmd.ErrOrStderr(), o.cfg.LogLevel, o.logFormat)
	if err != nil {
		return err
	}
	cfg := o.cfg
	cfg.Logger = logger
	svcNet, vmNet, err := o.subnets()
	if err != nil {
		return err
	}
	cfg.ServiceSubnet = svcNet
	cfg.Components = append(cfg.Components,
		vm.Component{Logger: logger.With("component", "vm-controller")},
		endpoints.Component{Logger: logger.With("component", "endpoints-controller")})
	if o.node {
		// The Services dataplane programs this host's kernel, next to its VMs.
		cfg.Components = append(cfg.Components, proxy.Component{Logger: logger.With("component", "proxy"),
			ServiceSubnet: svcNet, ClientSubnet: vmNet, RouteLink: o.bridge})
		agent, err := o.nodeAgent(logger)
		if err != nil {
			return err
		}
		cfg.Components = append(cfg.Components, agent)
		cfg.NodeProxy = agent
		cfg.Metrics = append(cfg.Metrics, agent.Collectors()...)
	}
	return daemon.Run(cmd.Context(), cfg)
}

// subnets parses --service-subnet and --subnet and checks they do not overlap.
func (o *serveOptions) subnets() (svc, vms netip.Prefix, err error) {
	if vms, err = netip.ParsePrefix(o.subnet); err != nil {
		return svc, vms, fmt.Errorf("--subnet %q: %w", o.subnet, err)
	}
	if svc, err = netip.ParsePrefix(o.serviceSubnet); err != nil {
		return svc, vms, fmt.Errorf("--service-subnet %q: %w", o.serviceSubnet, err)
	}
	if err := apiserver.ValidateServiceSubnet(svc); err != nil {
		return svc, vms, fmt.Errorf("--service-subnet %q: %w", o.serviceSubnet, err)
	}
	if svc.Overlaps(vms) {
		return svc, vms, fmt.Errorf("--service-subnet %s overlaps the VM subnet --subnet %s", svc, vms)
	}
	return svc.Masked(), vms.Masked(), nil
}

// nodeAgent builds the node agent from the flags.
func (o *serveOptions) nodeAgent(logger *slog.Logger) (*node.Agent, error) {
	subnet, err := netip.ParsePrefix(o.subnet)
	if err != nil {
		return nil, fmt.Errorf("--subnet %q: %w", o.subnet, err)
	}
	return node.New(node.Config{
		NodeName:   o.cfg.NodeName,
		DataDir:    o.cfg.DataDir,
		Bridge:     o.bridge,
		Subnet:     subnet,
		Accel:      o.accel,
		QEMUBinary: o.qemuBinary,
		Logger:     logger.With("component", "node"),
		Version:    daemon.BuildVersion(),
	})
}

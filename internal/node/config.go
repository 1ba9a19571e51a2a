package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/events"
	"vigil.dev/vigil/internal/images"
	"vigil.dev/vigil/internal/network"
	"vigil.dev/vigil/internal/qemu"
	"vigil.dev/vigil/internal/resource"
)

// Defaults and named timeouts.
const (
	// DefaultWorkers is how many VMIs are worked on at once. A launch holds
	// a worker until QEMU answers (about a second); stops run in the
	// background.
	DefaultWorkers = 4
	// retryDelay is the first wait after a failed list, watch or step;
	// a VMI's retries double it up to maxRetryDelay.
	retryDelay    = time.Second
	maxRetryDelay = time.Minute
	// apiTimeout bounds one API call of a step.
	apiTimeout = 15 * time.Second
	// reattachTimeout bounds reattaching one QEMU at start-up (QMP
	// greeting), so one stuck QEMU cannot hold start-up.
	reattachTimeout = 10 * time.Second
	// eventFlushTimeout bounds the last event writes at shutdown.
	eventFlushTimeout = 5 * time.Second
	// vmisDir is the run directories' parent under DataDir.
	vmisDir = "vmis"
)

// Config configures the node agent.
type Config struct {
	// NodeName is this host's name in status.nodeName; default the hostname.
	NodeName string
	// DataDir is vigil's data directory; run directories are
	// <DataDir>/vmis/<uid>/. Required.
	DataDir string
	// ImagesDir is the image store; default <DataDir>/images.
	ImagesDir string
	// Bridge and Subnet are the VM network (network.Config); defaults
	// vigil0 and 10.89.0.0/16.
	Bridge string
	Subnet netip.Prefix
	// Accel is auto, kvm or tcg; default auto.
	Accel string
	// QEMUBinary is the emulator; default qemu-system-x86_64.
	QEMUBinary string
	// Logger gets the agent's logs; default slog.Default().
	Logger *slog.Logger
	// Clock drives timers and timestamps; default the real clock.
	Clock clock.WithTickerAndDelayedExecution
	// Workers is how many VMIs are worked on at once; default DefaultWorkers.
	Workers int
	// Version is vigil's version; HTTP probes send User-Agent
	// vigil-probe/<Version> (default: the version in the build info).
	Version string
	// API, when set, is used instead of a client over the daemon's socket
	// (tests).
	API API
	// Network, when set, is used instead of network.Setup (tests).
	Network NetworkHost
}

// API is what the agent needs of the API server; *client.Client satisfies
// it. Errors are Kubernetes API errors.
type API interface {
	events.EventsAPI
	List(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions, into runtime.Object) error
	UpdateStatus(ctx context.Context, r *resource.Info, obj runtime.Object) error
	Watch(ctx context.Context, r *resource.Info, ns string, opts client.ListOptions) (watch.Interface, error)
}

var _ API = (*client.Client)(nil)

// NetworkHost is the host side of the VM network; *network.Host satisfies it.
type NetworkHost interface {
	Subnet() netip.Prefix
	Attach(ctx context.Context, uid string, ip netip.Addr, mac net.HardwareAddr) (string, error)
	Detach(uid string) error
	Close() error
}

var _ NetworkHost = (*network.Host)(nil)

// EventRecorder records events about VMIs without blocking;
// *events.Recorder satisfies it.
type EventRecorder interface {
	Event(obj runtime.Object, eventType, reason, message string)
}

var _ EventRecorder = (*events.Recorder)(nil)

func (c Config) withDefaults() (Config, error) {
	if c.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return c, fmt.Errorf("node name: none given and no hostname: %w", err)
		}
		c.NodeName = host
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("node: config.dataDir is required")
	}
	var err error
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("node: config.dataDir %q: %w", c.DataDir, err)
	}
	if c.ImagesDir == "" {
		c.ImagesDir = images.DefaultDir(c.DataDir)
	}
	if c.Accel == "" {
		c.Accel = qemu.AccelAuto
	}
	switch c.Accel {
	case qemu.AccelAuto, qemu.AccelKVM, qemu.AccelTCG:
	default:
		return c, fmt.Errorf("node: config.accel %q: must be auto, kvm or tcg", c.Accel)
	}
	if c.QEMUBinary == "" {
		c.QEMUBinary = qemu.DefaultQEMUBinary
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Workers < 1 {
		c.Workers = DefaultWorkers
	}
	return c, nil
}

// Unix socket paths hold at most 107 bytes (sun_path is 108 with its NUL);
// a VMI's sockets live in its run directory.
const (
	maxSocketPath = 107
	uidLen        = 36 // a UUID in its text form
	// shortLinks holds short symlinks to run-directory parents whose own
	// path is too long for the sockets inside them.
	shortLinks = "/run/vigil/vmis"
)

// vmisBase is the directory that holds the VMIs' run directories:
// <data-dir>/vmis, or, when that path is too long for the sockets in it, a
// short symlink to it under /run/vigil/vmis named by a hash of the data
// dir — deterministic, so a restarted daemon finds its VMs again.
func (c Config) vmisBase() string {
	base := filepath.Join(c.DataDir, vmisDir)
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	if len(base)+1+uidLen+1+len(qemu.ConsoleSocket) <= maxSocketPath {
		return base
	}
	sum := sha256.Sum256([]byte(base))
	return filepath.Join(shortLinks, hex.EncodeToString(sum[:6]))
}

// prepareVMIsBase creates <data-dir>/vmis and, when vmisBase is a short
// link, the link to it.
func (c Config) prepareVMIsBase() error {
	base, err := filepath.Abs(filepath.Join(c.DataDir, vmisDir))
	if err != nil {
		return fmt.Errorf("node: run directories: %w", err)
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return fmt.Errorf("node: run directories: %w", err)
	}
	link := c.vmisBase()
	if link == base {
		return nil
	}
	if target, err := os.Readlink(link); err == nil && target == base {
		return nil
	}
	if err := os.MkdirAll(shortLinks, 0o755); err != nil {
		return fmt.Errorf("node: run directories: %w", err)
	}
	_ = os.Remove(link)
	if err := os.Symlink(base, link); err != nil {
		return fmt.Errorf("node: run directories: short link for %s: %w", base, err)
	}
	return nil
}

// runDir is the run directory of the VMI with uid.
func (c Config) runDir(uid string) string {
	return filepath.Join(c.vmisBase(), uid)
}

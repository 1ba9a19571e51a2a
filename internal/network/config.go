package network

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
)

// Defaults used when a Config field is left empty.
const (
	DefaultBridge = "vigil0"
)

// DefaultSubnet is the private IPv4 subnet of the bridge when Config.Subnet
// is unset.
var DefaultSubnet = netip.MustParsePrefix("10.89.0.0/16")

// maxIfName is IFNAMSIZ minus the terminating NUL.
const maxIfName = 15

// Config describes the host side of the VM network.
type Config struct {
	// Bridge is the name of the host bridge the taps join (default vigil0).
	Bridge string
	// Subnet is the IPv4 subnet of the VMs (default 10.89.0.0/16). The
	// bridge takes its first address as the guests' gateway.
	Subnet netip.Prefix
	// DNS servers handed to guests by DHCP; none when empty.
	DNS []netip.Addr
	// Logger receives structured logs; slog.Default() when nil.
	Logger *slog.Logger
}

// withDefaults returns cfg with empty fields filled and the subnet masked,
// or an error naming the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Bridge == "" {
		cfg.Bridge = DefaultBridge
	}
	if !cfg.Subnet.IsValid() {
		cfg.Subnet = DefaultSubnet
	}
	cfg.Subnet = cfg.Subnet.Masked()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := validIfName(cfg.Bridge); err != nil {
		return cfg, fmt.Errorf("config.bridge: %w", err)
	}
	if err := validSubnet(cfg.Subnet); err != nil {
		return cfg, fmt.Errorf("config.subnet: %w", err)
	}
	for i, d := range cfg.DNS {
		if !d.Is4() {
			return cfg, fmt.Errorf("config.dns[%d]: %q is not an IPv4 address: %w", i, d, ErrInvalid)
		}
	}
	return cfg, nil
}

// validIfName checks a Linux interface name.
func validIfName(name string) error {
	if name == "" || len(name) > maxIfName {
		return fmt.Errorf("interface name %q must have 1 to %d characters: %w", name, maxIfName, ErrInvalid)
	}
	for _, r := range name {
		if r == '/' || r == ':' || r <= ' ' || r > '~' {
			return fmt.Errorf("interface name %q has a forbidden character %q: %w", name, r, ErrInvalid)
		}
	}
	return nil
}

// validSubnet accepts IPv4 prefixes with room for a network address, a
// gateway, at least one guest and a broadcast address.
func validSubnet(p netip.Prefix) error {
	if !p.Addr().Is4() {
		return fmt.Errorf("%s is not an IPv4 subnet: %w", p, ErrInvalid)
	}
	if p.Bits() > 30 {
		return fmt.Errorf("%s is too small (at most /30): %w", p, ErrInvalid)
	}
	return nil
}

// Gateway is the bridge's address in subnet: its first host address.
func Gateway(subnet netip.Prefix) netip.Addr {
	return subnet.Masked().Addr().Next()
}

// broadcast is the last address of an IPv4 subnet.
func broadcast(subnet netip.Prefix) netip.Addr {
	a := subnet.Masked().Addr().As4()
	mask := net.CIDRMask(subnet.Bits(), 32)
	for i := range a {
		a[i] |= ^mask[i]
	}
	return netip.AddrFrom4(a)
}

// netmask is the subnet's mask in the form DHCP options want.
func netmask(subnet netip.Prefix) net.IPMask {
	return net.CIDRMask(subnet.Bits(), 32)
}

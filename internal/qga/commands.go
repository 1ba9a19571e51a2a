package qga

import "context"

// Ping asks the agent for a sign of life (guest-ping).
func (c *Client) Ping(ctx context.Context) error {
	return c.Execute(ctx, "guest-ping", nil, nil)
}

// Info is guest-info's reply: the agent's version and its commands.
type Info struct {
	Version           string    `json:"version"`
	SupportedCommands []Command `json:"supported_commands"`
}

// Command is one entry of Info.SupportedCommands.
type Command struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// SuccessResponse is false for commands that never answer on success
	// (guest-shutdown, for one).
	SuccessResponse bool `json:"success-response"`
}

// Supports reports whether the agent offers the named command, enabled.
func (i *Info) Supports(name string) bool {
	for _, c := range i.SupportedCommands {
		if c.Name == name {
			return c.Enabled
		}
	}
	return false
}

// Info asks the agent for its version and commands (guest-info).
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.Execute(ctx, "guest-info", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// OSInfo is guest-get-osinfo's reply (os-release and uname fields; absent
// ones are empty).
type OSInfo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	PrettyName    string `json:"pretty-name"`
	Version       string `json:"version"`
	VersionID     string `json:"version-id"`
	KernelRelease string `json:"kernel-release"`
	KernelVersion string `json:"kernel-version"`
	Machine       string `json:"machine"`
}

// OSInfo asks the agent about the guest operating system (guest-get-osinfo).
func (c *Client) OSInfo(ctx context.Context) (*OSInfo, error) {
	var info OSInfo
	if err := c.Execute(ctx, "guest-get-osinfo", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Interface is one guest network interface.
type Interface struct {
	Name            string      `json:"name"`
	HardwareAddress string      `json:"hardware-address"`
	IPAddresses     []IPAddress `json:"ip-addresses"`
}

// IPAddress is one address of an Interface; Type is "ipv4" or "ipv6".
type IPAddress struct {
	Type    string `json:"ip-address-type"`
	Address string `json:"ip-address"`
	Prefix  int    `json:"prefix"`
}

// NetworkInterfaces lists the guest's interfaces and their addresses
// (guest-network-get-interfaces).
func (c *Client) NetworkInterfaces(ctx context.Context) ([]Interface, error) {
	var ifaces []Interface
	if err := c.Execute(ctx, "guest-network-get-interfaces", nil, &ifaces); err != nil {
		return nil, err
	}
	return ifaces, nil
}

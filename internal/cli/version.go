package cli

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is this build's version, set at link time:
//
//	go build -ldflags "-X vigil.dev/vigil/internal/cli.Version=v0.1.0" ./cmd/vigil
//
// When empty, the module version or VCS revision recorded by the Go
// toolchain is used.
var Version string

// clientVersion is Version, or what the build info knows.
func clientVersion() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return versionFromBuildInfo(info)
}

func versionFromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

func newVersionCommand(e *env) *cobra.Command {
	var clientOnly bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client's version and, when reachable, the server's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fprintf(cmd.OutOrStdout(), "Client Version: %s\n", clientVersion())
			if clientOnly {
				return nil
			}
			c, err := e.client(cmd)
			if err != nil {
				return err
			}
			info, err := c.ServerVersion(cmd.Context())
			if err != nil {
				fprintf(cmd.ErrOrStderr(), "Server Version: unavailable (%v)\n", err)
				return nil
			}
			fprintf(cmd.OutOrStdout(), "Server Version: %s\n", info.GitVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&clientOnly, "client", false, "print the client version only")
	return cmd
}

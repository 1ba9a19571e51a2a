package endpoints

import (
	"context"
	"log/slog"

	"vigil.dev/vigil/internal/client"
)

// Component runs the endpoints controller inside `vigil serve`. It talks to
// the API through the daemon's own socket, as any client would.
type Component struct {
	Logger *slog.Logger
}

// Name names the component in the daemon's logs.
func (Component) Name() string { return "endpoints-controller" }

// Run runs the controller until ctx ends.
func (c Component) Run(ctx context.Context, socket string) error {
	api, err := client.New(client.Config{Server: "unix://" + socket, UserAgent: "vigil/endpoints-controller"})
	if err != nil {
		return err
	}
	return New(api, Options{Logger: c.Logger}).Run(ctx)
}

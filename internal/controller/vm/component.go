package vm

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/utils/clock"

	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/events"
)

// Component runs the VM controller inside `vigil serve`. It talks to the API
// through the daemon's own socket, as any client would, so the controller
// sees exactly what users see and needs no private path into the store.
type Component struct {
	Logger *slog.Logger
}

// Name names the component in the daemon's logs.
func (Component) Name() string { return "vm-controller" }

// Run runs the controller until ctx ends.
func (c Component) Run(ctx context.Context, socket string) error {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	api, err := client.New(client.Config{Server: "unix://" + socket, UserAgent: "vigil/vm-controller"})
	if err != nil {
		return err
	}
	rec := events.NewRecorder(api, "virtualmachine-controller", clock.RealClock{}, log)
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rec.Flush(flushCtx)
		rec.Close()
	}()
	return NewController(api, Options{Logger: log, Recorder: rec}).Run(ctx)
}

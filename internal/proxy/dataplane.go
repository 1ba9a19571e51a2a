package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Dataplane programs the table from States. It remembers what it last
// programmed, so each Sync sends only the difference; when that fails
// (the table was changed behind its back, say) it rebuilds the whole
// table in one transaction. Safe for one caller at a time.
type Dataplane struct {
	cfg    Config
	runner Runner
	log    *slog.Logger

	mu         sync.Mutex
	programmed map[string]*unit // nil: unknown, the next Sync replaces the table
	built      unitCache        // units of the last State, by Service
}

// NewDataplane builds a dataplane; nothing is programmed until Sync. A
// nil runner means a Netlink: increments as netlink batches, whole tables
// through nft.
func NewDataplane(cfg Config, runner Runner, log *slog.Logger) *Dataplane {
	if runner == nil {
		runner = &Netlink{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dataplane{cfg: cfg, runner: runner, log: log, built: unitCache{}}
}

// Result says what a Sync did.
type Result struct {
	// Full: the whole table was replaced (first Sync, or recovery).
	Full bool
	// Commands is the number of nft commands sent; 0 means nothing changed.
	Commands int
}

// Sync makes the table match st: incrementally after a successful Sync,
// by replacing the table otherwise or when the increment fails. A Service
// in st must not change once handed over: give a new *Service instead
// (what was built for an unchanged pointer is reused).
func (d *Dataplane) Sync(ctx context.Context, st State) (Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	want, conflicts := d.built.build(d.cfg, st)
	for _, c := range conflicts {
		d.log.Warn("service address claimed twice; the first service keeps it", "conflict", c)
	}
	if d.programmed == nil {
		return d.replace(ctx, want)
	}
	b := renderDiff(d.programmed, want)
	if b.Len() == 0 {
		return Result{}, nil
	}
	if err := d.runner.Apply(ctx, b); err != nil {
		d.log.Warn("incremental nftables update failed, replacing the table", "err", err, "commands", b.Len())
		return d.replace(ctx, want)
	}
	d.programmed = want
	return Result{Commands: b.Len()}, nil
}

// Replace rebuilds the whole table from st in one transaction, whatever
// was programmed before (used at start: the old rules serve until then).
func (d *Dataplane) Replace(ctx context.Context, st State) (Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	want, _ := d.built.build(d.cfg, st)
	return d.replace(ctx, want)
}

// replace makes the table the wanted one in one transaction: from what the
// kernel holds (renderReplace) when it can be read and the script loads,
// else by deleting and recreating the table (renderRecreate).
func (d *Dataplane) replace(ctx context.Context, want map[string]*unit) (Result, error) {
	d.programmed = nil
	existing, err := d.runner.Chains(ctx)
	if err == nil {
		script := renderReplace(d.cfg, want, existing)
		if err = d.runner.Run(ctx, script); err == nil {
			d.programmed = want
			return Result{Full: true, Commands: strings.Count(script, "\n")}, nil
		}
	}
	d.log.Warn("replacing the nftables table in place failed, recreating it", "table", Table, "err", err)
	script := renderRecreate(d.cfg, want)
	if err := d.runner.Run(ctx, script); err != nil {
		return Result{Full: true}, fmt.Errorf("recreate nftables table ip %s: %w", Table, err)
	}
	d.programmed = want
	return Result{Full: true, Commands: strings.Count(script, "\n")}, nil
}

// Close releases the runner's resources (the Netlink's socket); the
// rules stay.
func (d *Dataplane) Close() error {
	if c, ok := d.runner.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Delete removes the table: every Service rule goes. The daemon does not
// call it on shutdown (the rules must outlive a restart); it is for
// tearing the host down.
func (d *Dataplane) Delete(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.programmed = nil
	if err := d.runner.Run(ctx, renderDelete()); err != nil {
		return fmt.Errorf("delete nftables table ip %s: %w", Table, err)
	}
	return nil
}

// Render is the complete table for st as one self-contained nft script
// (the one Replace falls back to), for inspection and golden tests.
func Render(cfg Config, st State) string {
	us, _ := units(cfg, st)
	return renderRecreate(cfg, us)
}

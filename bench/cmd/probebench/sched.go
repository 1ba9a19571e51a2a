package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/bench/internal/sched"
	"vigil.dev/vigil/bench/internal/target"
)

// schedulers are the schedulers part 2 can run, by name.
var schedulers = map[string]struct {
	about string
	make  func() sched.Scheduler
}{
	"vigil":          {"internal/probe Manager (one dispatcher, a heap of workers) with vigil's probers", func() sched.Scheduler { return &sched.Manager{} }},
	"ticker":         {"a goroutine and a time.Ticker per target (kubelet's shape) with vigil's probers", func() sched.Scheduler { return &sched.Ticker{Impl: "vigil"} }},
	"ticker+kubelet": {"a goroutine and a time.Ticker per target with kubelet's probers: kubelet's probing", func() sched.Scheduler { return &sched.Ticker{Impl: "kubelet"} }},
}

type schedRow struct {
	sc    sched.Scenario
	name  string
	rep   sched.Report
	label string
}

func runSched(ctx context.Context, cfg config, ports target.Ports) error {
	scs, err := parseScenarios(cfg)
	if err != nil {
		return err
	}
	names := strings.Split(cfg.schedulers, ",")
	for _, n := range names {
		if _, ok := schedulers[n]; !ok {
			return fmt.Errorf("-schedulers: unknown scheduler %q", n)
		}
	}
	var rows []schedRow
	for _, sc := range scs {
		for _, kind := range strings.Split(cfg.kinds, ",") {
			sc.Kind, sc.Ports = impl.Kind(kind), ports
			for _, n := range names {
				rep, err := sched.Run(ctx, schedulers[n].make(), sc)
				if err != nil {
					return fmt.Errorf("%s %s: %w", label(sc), n, err)
				}
				rows = append(rows, schedRow{sc, n, rep, label(sc)})
				settle(ctx)
			}
		}
	}
	printSched(names, rows)
	return nil
}

// settle gives the kernel a moment between runs to retire the last run's
// sockets, so a run does not inherit its predecessor's backlog.
func settle(ctx context.Context) {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func label(sc sched.Scenario) string {
	return fmt.Sprintf("%d %s @ %v", sc.N, sc.Kind, sc.Period)
}

func parseScenarios(cfg config) ([]sched.Scenario, error) {
	var out []sched.Scenario
	for _, s := range strings.Split(cfg.scenarios, ",") {
		n, p, ok := strings.Cut(strings.TrimSpace(s), "@")
		count, err1 := strconv.Atoi(n)
		period, err2 := time.ParseDuration(p)
		if !ok || err1 != nil || err2 != nil || count < 1 || period < time.Second {
			return nil, fmt.Errorf("-scenarios: %q is not N@period (period at least 1s)", s)
		}
		d := cfg.duration
		if d == 0 {
			d = max(3*period, 20*time.Second)
			if cfg.quick {
				d = max(2*period, 4*time.Second)
			}
		}
		out = append(out, sched.Scenario{N: count, Period: period, Timeout: cfg.timeout, Duration: d})
	}
	return out, nil
}

func printSched(names []string, rows []schedRow) {
	fmt.Println("### Scheduling under load")
	fmt.Println()
	fmt.Println("N loopback targets, first probes spread evenly over one period, then every period; each run lasts one period " +
		"plus the measured time. Every other HTTP target alternates between 200 and 503 every 4 periods (thresholds 1), " +
		"so readiness changes; reaction is from the end of the probe that changed it to the return of the call that stored it. " +
		"CPU is the whole process's user+system time over the run divided by the probes run; memory is live heap plus " +
		"goroutine stacks after the first period, per target. Errors: internal errors, or failures of steady targets.")
	fmt.Println()
	fmt.Println("| targets | scheduler | probes | CPU/probe | vs ticker+kubelet | lateness p50 / p99 / max | reaction p50 / p99 (n) | readiness stored | memory/target | errors |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %d | %s | %s | %s / %s / %s | %s / %s (%d) | %d | %s | %d |\n", r.label, r.name, r.rep.Probes,
			us(r.rep.CPUPerProbe), ratio(r.rep.CPUPerProbe, kubeletCPU(rows, r.label)), ms(r.rep.Lateness.P50), ms(r.rep.Lateness.P99), ms(r.rep.Lateness.Max),
			ms(r.rep.Reaction.P50), ms(r.rep.Reaction.P99), r.rep.Reaction.N, r.rep.ReadySets, kib(r.rep.MemPerWorker), r.rep.Errors)
	}
	fmt.Println()
	for _, r := range rows {
		if r.rep.Errors > 0 {
			fmt.Printf("- %s %s: first error: %s\n", r.label, r.name, r.rep.FirstError)
		}
	}
	for _, n := range names {
		fmt.Printf("- %s: %s\n", n, schedulers[n].about)
	}
	fmt.Println()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

// kubeletCPU is the CPU per probe of the ticker+kubelet run of the same
// targets, 0 if it did not run.
func kubeletCPU(rows []schedRow, label string) time.Duration {
	for _, r := range rows {
		if r.label == label && r.name == "ticker+kubelet" {
			return r.rep.CPUPerProbe
		}
	}
	return 0
}

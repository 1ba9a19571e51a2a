package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"vigil.dev/vigil/bench/internal/cpu"
	"vigil.dev/vigil/bench/internal/impl"
	"vigil.dev/vigil/bench/internal/target"
	"vigil.dev/vigil/internal/probe/prober"
)

type cpuRow struct {
	impl impl.Impl
	res  cpu.Result
}

// cpuRounds is how many interleaved rounds part 1 splits its probes into.
const cpuRounds = 10

func runCPU(ctx context.Context, cfg config, ports target.Ports) error {
	var ims []impl.Impl
	var ps []prober.Prober
	for _, im := range impl.All() {
		if !strings.Contains(string(im.Kind)+"/"+im.Name, cfg.only) {
			continue
		}
		t := prober.Target{Host: "127.0.0.1", Port: ports.HTTP}
		if im.Kind == impl.TCP {
			t.Port = ports.TCP
		}
		p, err := im.New(t, "/ok", cfg.timeout)
		if err != nil {
			return fmt.Errorf("%s %s: %w", im.Kind, im.Name, err)
		}
		ims, ps = append(ims, im), append(ps, p)
	}
	if cfg.cpuProfile != "" {
		stop, err := startProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	res, err := cpu.Run(ps, cfg.warmup, cpuRounds, max(cfg.cpuProbes/cpuRounds, 1), cfg.timeout, cfg.cpuMax)
	if err != nil {
		return err
	}
	rows := make([]cpuRow, len(res))
	for i := range res {
		if res[i].NotSuccess > 0 {
			return fmt.Errorf("%s %s: %d of %d probes did not succeed, first: %s",
				ims[i].Kind, ims[i].Name, res[i].NotSuccess, res[i].Probes, res[i].FirstError)
		}
		rows[i] = cpuRow{ims[i], res[i]}
	}
	printCPU(cfg, rows)
	return ctx.Err()
}

func printCPU(cfg config, rows []cpuRow) {
	fmt.Printf("### CPU per probe\n\n%d sequential probes per implementation in %d interleaved rounds, after %d warm-up probes; "+
		"the loopback server runs in another process. CPU is user+system time of the prober's process (getrusage), "+
		"median round (cheapest–dearest round in brackets).\n\n", rows[0].res.Probes, cpuRounds, cfg.warmup)
	fmt.Println("| kind | implementation | CPU/probe | vs kubelet | vs bare | allocs/probe | bytes/probe | wall/probe |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		k, b := find(rows, r.impl.Kind, "kubelet"), find(rows, r.impl.Kind, "bare")
		fmt.Printf("| %s | %s | %s (%s–%s) | %s | %s | %.0f | %.0f | %s |\n", r.impl.Kind, r.impl.Name,
			us(r.res.CPU), us0(r.res.CPUMin), us0(r.res.CPUMax),
			ratio(r.res.CPU, k), ratio(r.res.CPU, b), r.res.Allocs, r.res.AllocBytes, us(r.res.Wall))
	}
	fmt.Println()
	for _, r := range rows {
		fmt.Printf("- %s %s: %s\n", r.impl.Kind, r.impl.Name, r.impl.About)
	}
	fmt.Println()
}

func find(rows []cpuRow, kind impl.Kind, name string) time.Duration {
	for _, r := range rows {
		if r.impl.Kind == kind && r.impl.Name == name {
			return r.res.CPU
		}
	}
	return 0
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }

func us0(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)) }

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

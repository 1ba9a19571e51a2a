package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"vigil.dev/vigil/bench/internal/target"
)

type config struct {
	quick bool
	cpu   bool
	sched bool

	cpuProbes int
	warmup    int
	timeout   time.Duration
	cpuMax    time.Duration

	only       string
	cpuProfile string

	scenarios  string
	schedulers string
	duration   time.Duration
	kinds      string
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == target.ServeFlag {
		if err := target.Serve(); err != nil {
			fmt.Fprintln(os.Stderr, "probebench server:", err)
			os.Exit(1)
		}
		return
	}
	cfg := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "probebench:", err)
		os.Exit(1)
	}
}

func parseFlags() config {
	var c config
	flag.BoolVar(&c.quick, "quick", false, "short run: fewer probes, smaller and shorter scenarios")
	flag.BoolVar(&c.cpu, "cpu", false, "run part 1 (CPU per probe); with neither -cpu nor -sched, both run")
	flag.BoolVar(&c.sched, "sched", false, "run part 2 (scheduling under load)")
	flag.IntVar(&c.cpuProbes, "probes", 20000, "part 1: sequential probes per implementation")
	flag.IntVar(&c.warmup, "warmup", 1000, "part 1: probes before measuring")
	flag.DurationVar(&c.timeout, "timeout", time.Second, "timeout of one probe")
	flag.StringVar(&c.only, "only", "", "part 1: run only implementations whose kind/name contains this (e.g. http/vigil)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "part 1: write a CPU profile of the measured probes to this file")
	flag.DurationVar(&c.cpuMax, "cpu-max", 2*time.Minute, "part 1: longest run of one implementation")
	flag.StringVar(&c.scenarios, "scenarios", "10000@10s,1000@1s", "part 2: N@period, comma-separated")
	flag.StringVar(&c.schedulers, "schedulers", "vigil,ticker,ticker+kubelet", "part 2: schedulers to run")
	flag.StringVar(&c.kinds, "kinds", "http,tcp", "part 2: target kinds")
	flag.DurationVar(&c.duration, "duration", 0, "part 2: measured time per run (default 3 periods, at least 20s; -quick: 2 periods, at least 4s)")
	flag.Parse()
	if !c.cpu && !c.sched {
		c.cpu, c.sched = true, true
	}
	if c.quick {
		if !flagSet("probes") {
			c.cpuProbes = 3000
		}
		if !flagSet("warmup") {
			c.warmup = 300
		}
		if !flagSet("scenarios") {
			c.scenarios = "2000@2s,500@1s"
		}
	}
	return c
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(ctx context.Context, cfg config) error {
	srv, err := target.Spawn(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("Command: `%s` on %s\n\n", commandLine(), machine())
	if cfg.cpu {
		if err := runCPU(ctx, cfg, srv.Ports); err != nil {
			return err
		}
	}
	if cfg.sched {
		if err := runSched(ctx, cfg, srv.Ports); err != nil {
			return err
		}
	}
	return nil
}

func commandLine() string {
	if len(os.Args) < 2 {
		return "bench/run.sh"
	}
	return "bench/run.sh " + strings.Join(os.Args[1:], " ")
}

package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// initProc is the state of PID 1.
type initProc struct {
	log      *slog.Logger
	cfg      bootConfig
	sup      *supervisor
	console  *os.File
	actions  chan powerAction
	stopping atomic.Bool
	shellPid atomic.Int64 // the serial console shell, 0 when none

	hostMu sync.Mutex
	host   string
}

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "vigil-init: must run as PID 1 (it mounts filesystems, loads modules and powers the machine off)")
		os.Exit(2)
	}
	unix.Umask(0o022)
	for _, kv := range childEnv {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	mountErr := mountEarly()
	console := openConsole()
	raw, _ := os.ReadFile("/proc/cmdline")
	cfg := parseCmdline(string(raw))
	log := newConsoleLogger(console, cfg.logLevel())
	if mountErr != nil {
		log.Error("early mounts", "err", mountErr)
	}
	sup, err := newSupervisor(log)
	if err != nil {
		log.Error("children get the console as stdin", "err", err)
	}
	in := &initProc{log: log, cfg: cfg, sup: sup, console: console, actions: make(chan powerAction, 1)}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPWR)
	go in.handleSignals(sigs)
	go in.boot()
	in.shutdown(<-in.actions)
}

// openConsole opens /dev/console for logs; stderr (the kernel's console) if that fails.
func openConsole() *os.File {
	f, err := os.OpenFile("/dev/console", os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return os.Stderr
	}
	return f
}

func (in *initProc) handleSignals(sigs <-chan os.Signal) {
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			in.sup.reap()
			continue
		}
		if act, ok := actionForSignal(sig); ok {
			in.log.Info("signal received", "signal", unix.SignalName(sig.(syscall.Signal)), "action", act.String())
			in.request(act)
		}
	}
}

// request asks main to end the machine; the first request wins.
func (in *initProc) request(act powerAction) {
	select {
	case in.actions <- act:
	default:
	}
}

// stdio is the stdio of background children: no input, output to the console.
func (in *initProc) stdio() []*os.File { return []*os.File{nil, in.console, in.console} }

func (in *initProc) boot() {
	in.setHostname(in.cfg.hostname)
	// Ctrl-Alt-Del becomes SIGINT to init instead of an instant reboot.
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF); err != nil {
		in.log.Debug("ctrl-alt-del not handed to init", "err", err)
	}
	in.loopbackUp()
	loadModules(in.log)
	go in.watchPowerButton()
	// The seed search and the agent's port wait both poll for devices; overlap them.
	seed := make(chan string, 1)
	go func() { dev, _ := findSeed(); seed <- dev }()
	in.startAgent()
	work := in.cloudInitLocal(<-seed)
	in.setupNetwork()
	in.startWatchdogDaemon()
	in.launchUserWork(work)
	in.log.Info("boot finished", "uptime", uptime())
	in.log.Info("ready")
	if in.cfg.shell {
		// Like a getty, the console shell comes last, so its prompt does not
		// interleave with the boot log.
		go in.serialShell()
	}
}

func (in *initProc) hostname() string {
	in.hostMu.Lock()
	defer in.hostMu.Unlock()
	return in.host
}

// setHostname sets the kernel hostname and the files programs read it from.
func (in *initProc) setHostname(name string) {
	in.hostMu.Lock()
	defer in.hostMu.Unlock()
	if err := unix.Sethostname([]byte(name)); err != nil {
		in.log.Error("hostname not set", "hostname", name, "err", err)
		return
	}
	in.host = name
	_ = os.WriteFile("/etc/hostname", []byte(name+"\n"), 0o644)
	hosts := "127.0.0.1\tlocalhost\n127.0.1.1\t" + name + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	_ = os.WriteFile("/etc/hosts", []byte(hosts), 0o644)
	in.log.Info("hostname set", "hostname", name)
}

// uptime is the kernel's uptime, the honest measure of boot time.
func uptime() string {
	raw, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0] + "s"
}

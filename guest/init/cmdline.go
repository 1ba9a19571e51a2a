package main

import (
	"log/slog"
	"strings"
)

// bootConfig is what the kernel command line tells init.
type bootConfig struct {
	debug    bool
	hostname string
	watchdog bool // start the watchdog daemon when /dev/watchdog exists
	shell    bool // keep a shell on the serial console
}

const defaultHostname = "vigil-tiny"

// parseCmdline reads /proc/cmdline's "key=value" words; quotes group words
// as the kernel does. Unknown words are ignored: they belong to the kernel.
func parseCmdline(cmdline string) bootConfig {
	cfg := bootConfig{hostname: defaultHostname, watchdog: true, shell: true}
	for _, w := range splitCmdline(cmdline) {
		key, val, _ := strings.Cut(w, "=")
		switch key {
		case "vigil.debug":
			cfg.debug = truthy(val, true)
		case "vigil.hostname":
			if val != "" {
				cfg.hostname = val
			}
		case "vigil.watchdog":
			cfg.watchdog = truthy(val, true)
		case "vigil.shell":
			cfg.shell = truthy(val, true)
		}
	}
	return cfg
}

// truthy reads a boolean option; a bare key ("vigil.debug") means bare.
func truthy(val string, bare bool) bool {
	switch strings.ToLower(val) {
	case "":
		return bare
	case "0", "false", "no", "off":
		return false
	}
	return true
}

func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case (r == ' ' || r == '\n' || r == '\t') && !inQuote:
			if have {
				out = append(out, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

func (c bootConfig) logLevel() slog.Level {
	if c.debug {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

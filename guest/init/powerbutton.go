package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// inputDevice is one block of /proc/bus/input/devices.
type inputDevice struct {
	name     string
	handlers []string
}

// parseInputDevices reads /proc/bus/input/devices: blocks separated by blank
// lines with `N: Name="..."` and `H: Handlers=kbd event0` lines.
func parseInputDevices(r io.Reader) []inputDevice {
	var out []inputDevice
	var cur inputDevice
	flush := func() {
		if cur.name != "" || len(cur.handlers) > 0 {
			out = append(out, cur)
		}
		cur = inputDevice{}
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "N: Name="):
			cur.name = strings.Trim(strings.TrimPrefix(line, "N: Name="), `"`)
		case strings.HasPrefix(line, "H: Handlers="):
			cur.handlers = strings.Fields(strings.TrimPrefix(line, "H: Handlers="))
		}
	}
	flush()
	return out
}

// powerButtonNodes returns the /dev/input/eventN nodes of every ACPI power
// button (the fixed-feature LNXPWRBN and the PNP0C0C device both say "Power Button").
func powerButtonNodes(devs []inputDevice) []string {
	var out []string
	for _, d := range devs {
		if d.name != "Power Button" {
			continue
		}
		for _, h := range d.handlers {
			if strings.HasPrefix(h, "event") {
				out = append(out, filepath.Join("/dev/input", h))
			}
		}
	}
	return out
}

// Linux input_event on 64-bit: struct timeval (16 bytes), type u16, code u16, value s32.
const (
	inputEventSize = 24
	evKey          = 1
	keyPower       = 116
)

// isPowerPress reports whether one input_event is KEY_POWER going down.
func isPowerPress(ev []byte) bool {
	if len(ev) != inputEventSize {
		return false
	}
	typ := binary.NativeEndian.Uint16(ev[16:])
	code := binary.NativeEndian.Uint16(ev[18:])
	value := int32(binary.NativeEndian.Uint32(ev[20:]))
	return typ == evKey && code == keyPower && value == 1
}

// buttonWait bounds the wait for the power button's event node after the
// button and evdev modules loaded.
const buttonWait = 2 * time.Second

// watchPowerButton turns a press of the ACPI power button (QMP
// system_powerdown, vigil's graceful stop) into a clean power-off.
func (in *initProc) watchPowerButton() {
	var nodes []string
	waitFor(buttonWait, func() bool {
		f, err := os.Open("/proc/bus/input/devices")
		if err != nil {
			return false
		}
		defer f.Close()
		nodes = powerButtonNodes(parseInputDevices(f))
		return len(nodes) > 0 && exists(nodes[0])
	})
	if len(nodes) == 0 {
		in.log.Warn("no ACPI power button; graceful stop needs poweroff in the guest")
		return
	}
	for _, n := range nodes {
		f, err := os.Open(n)
		if err != nil {
			in.log.Warn("power button not watched", "dev", n, "err", err)
			continue
		}
		in.log.Debug("watching power button", "dev", n)
		go in.readButton(f)
	}
}

func (in *initProc) readButton(f *os.File) {
	defer f.Close()
	ev := make([]byte, inputEventSize)
	for {
		if _, err := io.ReadFull(f, ev); err != nil {
			in.log.Warn("power button read failed", "dev", f.Name(), "err", err)
			return
		}
		if isPowerPress(ev) {
			in.log.Info("power button pressed")
			in.request(actPoweroff)
		}
	}
}

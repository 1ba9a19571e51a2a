package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"vigil.dev/vigil/guest/internal/cloudconfig"
)

const (
	cloudDir = "/run/cloud-init"
	// bootcmdWait bounds bootcmd, which runs before boot goes on (as in
	// cloud-init); a command that never ends is left running.
	bootcmdWait = 30 * time.Second
)

// userWork is the part of user-data that runs once boot is done.
type userWork struct {
	name   string   // for logs: "user-data script" or "runcmd"
	argv   []string // nil: nothing to run
	instID string
}

// cloudInitLocal reads the NoCloud seed on dev ("" when none was found),
// applies meta-data, bootcmd and write_files, and returns the user work to
// launch at the end of boot.
func (in *initProc) cloudInitLocal(dev string) userWork {
	if dev == "" {
		in.log.Info("cloud-init: no disk labelled cidata; nothing to do")
		return userWork{}
	}
	seed, err := readSeed(dev)
	if err != nil {
		in.log.Error("cloud-init: seed unreadable", "dev", dev, "err", err)
		return userWork{}
	}
	if seed.hasNetworkConfig {
		in.log.Info("cloud-init: network-config ignored; the first ethernet interface uses DHCP")
	}
	md, err := cloudconfig.ParseMetaData(seed.metaData)
	if err != nil {
		in.log.Error("cloud-init: meta-data ignored", "err", err)
	}
	in.log.Info("cloud-init: seed found", "dev", dev, "instance_id", md.InstanceID)
	_ = os.WriteFile(filepath.Join(cloudDir, "instance-id"), []byte(md.InstanceID+"\n"), 0o644)
	if md.LocalHostname != "" {
		in.setHostname(md.LocalHostname)
	}
	return in.applyUserData(seed.userData, md.InstanceID)
}

func (in *initProc) applyUserData(data []byte, instID string) userWork {
	format, data, err := cloudconfig.DetectFormat(data)
	if err != nil {
		in.log.Error("cloud-init: user-data ignored", "err", err)
		return userWork{}
	}
	switch format {
	case cloudconfig.FormatEmpty:
		in.log.Info("cloud-init: no user-data")
	case cloudconfig.FormatScript:
		return in.prepareScript(data, instID)
	case cloudconfig.FormatCloudConfig:
		return in.applyCloudConfig(data, instID)
	default:
		first, _, _ := strings.Cut(string(data), "\n")
		in.log.Warn("cloud-init: unsupported user-data format ignored", "first_line", first)
	}
	return userWork{}
}

// prepareScript saves a "#!" user-data script. If its interpreter is not in
// the image (#!/bin/bash), sh runs it.
func (in *initProc) prepareScript(data []byte, instID string) userWork {
	path := filepath.Join(cloudDir, "user-data")
	if err := os.WriteFile(path, data, 0o700); err != nil {
		in.log.Error("cloud-init: user-data script not saved", "err", err)
		return userWork{}
	}
	argv := []string{path}
	if interp := shebangInterpreter(data); !exists(interp) {
		in.log.Info("cloud-init: interpreter missing; running user-data with sh", "interpreter", interp)
		argv = []string{"/bin/sh", path}
	}
	return userWork{name: "user-data script", argv: argv, instID: instID}
}

// shebangInterpreter returns the program named on a "#!" line.
func shebangInterpreter(data []byte) string {
	line, _, _ := strings.Cut(strings.TrimPrefix(string(data), "#!"), "\n")
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (in *initProc) applyCloudConfig(data []byte, instID string) userWork {
	cfg, err := cloudconfig.ParseConfig(data)
	if cfg == nil {
		in.log.Error("cloud-init: cloud-config ignored", "err", err)
		return userWork{}
	}
	if err != nil {
		in.log.Error("cloud-init: cloud-config keys ignored", "err", err)
	}
	for _, key := range cfg.Unsupported {
		in.log.Warn("cloud-init: unsupported key " + key + " ignored")
	}
	for _, field := range cfg.Ignored {
		in.log.Info("cloud-init: field " + field + " ignored")
	}
	if cfg.Hostname != "" {
		in.setHostname(cfg.Hostname)
	}
	in.runBootcmd(cfg.Bootcmd, instID)
	for _, f := range cfg.WriteFiles {
		if err := writeFile(f); err != nil {
			in.log.Error("cloud-init: write_files", "path", f.Path, "err", err)
			continue
		}
		in.log.Info("cloud-init: wrote file", "path", f.Path, "bytes", len(f.Content))
	}
	if len(cfg.Runcmd) == 0 {
		return userWork{}
	}
	path := filepath.Join(cloudDir, "runcmd.sh")
	if err := os.WriteFile(path, []byte(cloudconfig.Script(cfg.Runcmd)), 0o700); err != nil {
		in.log.Error("cloud-init: runcmd not saved", "err", err)
		return userWork{}
	}
	return userWork{name: "runcmd", argv: []string{"/bin/sh", path}, instID: instID}
}

func (in *initProc) runBootcmd(cmds []cloudconfig.Command, instID string) {
	if len(cmds) == 0 {
		return
	}
	path := filepath.Join(cloudDir, "bootcmd.sh")
	if err := os.WriteFile(path, []byte(cloudconfig.Script(cmds)), 0o700); err != nil {
		in.log.Error("cloud-init: bootcmd not saved", "err", err)
		return
	}
	spec := procSpec{argv: []string{"/bin/sh", path}, env: userEnv(instID), stdio: in.stdio()}
	ws, err := in.sup.run(spec, bootcmdWait)
	if err != nil {
		in.log.Warn("cloud-init: bootcmd did not finish; boot goes on", "err", err)
		return
	}
	in.log.Info("cloud-init: bootcmd done", "status", describeStatus(ws))
}

// writeFile applies one write_files entry.
func writeFile(f cloudconfig.File) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if f.Append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	fh, err := os.OpenFile(f.Path, flags, f.Permissions)
	if err != nil {
		return err
	}
	if _, err := fh.Write(f.Content); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return os.Chmod(f.Path, f.Permissions) // the umask must not narrow what the user asked for
}

func userEnv(instID string) []string {
	return append(append([]string{}, childEnv...), "INSTANCE_ID="+instID)
}

// launchUserWork starts the user's script in the background and logs its end.
func (in *initProc) launchUserWork(w userWork) {
	if w.argv == nil {
		return
	}
	pid, done, err := in.sup.start(procSpec{argv: w.argv, env: userEnv(w.instID), stdio: in.stdio(), setsid: true})
	if err != nil {
		in.log.Error("cloud-init: "+w.name+" not started", "err", err)
		return
	}
	in.log.Info("cloud-init: "+w.name+" started", "pid", pid)
	go func() {
		ws := <-done
		in.log.Info("cloud-init: "+w.name+" finished", "pid", pid, "status", describeStatus(ws))
		_ = os.WriteFile(filepath.Join(cloudDir, "result"), []byte(resultLine(ws)), 0o644)
	}()
}

func resultLine(ws syscall.WaitStatus) string {
	return fmt.Sprintf("%s\n", describeStatus(ws))
}

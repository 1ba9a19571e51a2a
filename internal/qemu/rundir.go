package qemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/types"
)

// Files in a VMI's run directory. The directory is the node's choice (one
// per VMI); the names inside it are this package's.
const (
	QMPSocket        = "qmp.sock"
	GuestAgentSocket = "qga.sock"
	ConsoleSocket    = "console.sock"
	ConsoleLog       = "console.log"
	QEMULog          = "qemu.log"
	PIDFile          = "qemu.pid"
	// IdentityFile records which VMI the directory belongs to, so that a
	// restarted daemon can list run directories without the API.
	IdentityFile = "vmi.json"
)

// RunDir names the files of one VMI's run directory.
type RunDir string

// QMP is the path of the QMP socket.
func (d RunDir) QMP() string { return filepath.Join(string(d), QMPSocket) }

// GuestAgent is the path of the guest agent's socket (for internal/qga).
func (d RunDir) GuestAgent() string { return filepath.Join(string(d), GuestAgentSocket) }

// Console is the path of the serial console's socket (one client at a time).
func (d RunDir) Console() string { return filepath.Join(string(d), ConsoleSocket) }

// ConsoleLog is the path of the file the serial console is copied to.
func (d RunDir) ConsoleLog() string { return filepath.Join(string(d), ConsoleLog) }

// QEMULog is the path of QEMU's own stdout and stderr.
func (d RunDir) QEMULog() string { return filepath.Join(string(d), QEMULog) }

// PIDFile is the path of the pidfile QEMU writes.
func (d RunDir) PIDFile() string { return filepath.Join(string(d), PIDFile) }

// Identity is the path of the identity file.
func (d RunDir) Identity() string { return filepath.Join(string(d), IdentityFile) }

// Identity says which VMI a run directory belongs to.
type Identity struct {
	UID       types.UID `json:"uid"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
}

// RunDirInfo is one run directory found by ListRunDirs.
type RunDirInfo struct {
	Dir string
	Identity
}

func writeIdentity(d RunDir, id Identity) error {
	b, err := json.Marshal(id)
	if err != nil {
		return fmt.Errorf("encoding the identity of vmi %s/%s: %w", id.Namespace, id.Name, err)
	}
	tmp := d.Identity() + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, d.Identity()); err != nil {
		return fmt.Errorf("writing %s: %w", d.Identity(), err)
	}
	return nil
}

func readIdentity(d RunDir) (Identity, error) {
	var id Identity
	b, err := os.ReadFile(d.Identity())
	if err != nil {
		return id, err
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return id, fmt.Errorf("decoding %s: %w", d.Identity(), err)
	}
	if id.UID == "" {
		return id, fmt.Errorf("%s: no uid", d.Identity())
	}
	return id, nil
}

// ListRunDirs returns the run directories directly under base that carry
// an identity file, sorted by path. It says nothing about whether QEMU
// still runs there: Reattach decides that. Directories it cannot read are
// skipped; a missing base yields none.
func ListRunDirs(base string) ([]RunDirInfo, error) {
	entries, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing run directories in %s: %w", base, err)
	}
	var out []RunDirInfo
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(base, e.Name())
		id, err := readIdentity(RunDir(dir))
		if err != nil {
			continue
		}
		out = append(out, RunDirInfo{Dir: dir, Identity: id})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

// Cleanup removes what a finished QEMU leaves in runDir: the sockets, the
// pidfile and the identity file. With keepLogs, console.log and qemu.log
// stay (the guest's last words and QEMU's own error output, worth keeping
// for a Failed VMI) and so does the directory; without, they go too and
// the directory is removed. Cleanup refuses, with ErrStillRunning, while a
// QEMU of the directory's VMI is alive: removing its sockets would make it
// unreachable for good.
func Cleanup(runDir string, keepLogs bool) error {
	d := RunDir(runDir)
	if id, err := readIdentity(d); err == nil {
		if pid, err := findProcess(d, id.UID); err == nil {
			return fmt.Errorf("cleaning up %s: qemu pid %d of vmi %s: %w", runDir, pid, id.UID, ErrStillRunning)
		}
	}
	files := []string{d.QMP(), d.GuestAgent(), d.Console(), d.PIDFile(), d.Identity()}
	if !keepLogs {
		files = append(files, d.ConsoleLog(), d.QEMULog())
	}
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if !keepLogs {
		if err := os.Remove(runDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleaning up %s: %w", runDir, err)
	}
	return nil
}

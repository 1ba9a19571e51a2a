package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helperDirEnv tells a re-executed test binary to act as the daemon of
// TestAcknowledgedCreateSurvivesKill.
const helperDirEnv = "VIGIL_STORE_HELPER_DIR"

// TestHelperDaemon is not a test: run by TestAcknowledgedCreateSurvivesKill
// in a child process, it opens a store, creates an object, reports it on
// stdout and waits to be killed (or for its parent to go away).
func TestHelperDaemon(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestAcknowledgedCreateSurvivesKill")
	}
	s, err := Open(context.Background(), Config{DataDir: dir, Logger: testLogger()})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	obj := svc("ns", "durable", 80)
	if err := s.Create(context.Background(), svcs, obj); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("created %s %s\n", obj.UID, obj.ResourceVersion)
	io.Copy(io.Discard, os.Stdin) // returns when the parent closes stdin or dies
	os.Exit(0)
}

func TestAcknowledgedCreateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDaemon$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	defer cmd.Process.Kill()

	line := readLine(t, stdout)
	var uid, rv string
	if _, err := fmt.Sscanf(line, "created %s %s", &uid, &rv); err != nil {
		t.Fatalf("helper said %q: %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatalf("kill helper: %v", err)
	}
	cmd.Wait()

	s := openStoreIn(t, dir)
	got := mustGet(t, s, "ns", "durable")
	if string(got.UID) != uid || got.ResourceVersion != rv {
		t.Fatalf("after kill -9 got uid %s rv %s, want %s %s", got.UID, got.ResourceVersion, uid, rv)
	}
}

// readLine reads the helper's first stdout line that reports an outcome.
func readLine(t *testing.T, r io.Reader) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "created ") || strings.HasPrefix(l, "error ") {
				lines <- l
				return
			}
		}
		lines <- "helper exited: " + fmt.Sprint(sc.Err())
	}()
	select {
	case l := <-lines:
		return l
	case <-time.After(ioTimeout):
		t.Fatal("helper did not report in time")
		return ""
	}
}

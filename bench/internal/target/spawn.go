package target

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Ports are the server's listeners, all on 127.0.0.1.
type Ports struct {
	HTTP, TCP int
}

// ServeFlag is the flag that turns the harness binary into the server.
const ServeFlag = "-serve"

// Serve is the server process's main: it listens on loopback, prints
// "ports HTTP TCP" on stdout and serves until stdin closes (its parent
// died or is done), then exits.
func Serve() error {
	h, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for http: %w", err)
	}
	t, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for tcp: %w", err)
	}
	go ServeHTTP(h)
	go ServeTCP(t)
	fmt.Printf("ports %d %d\n", h.Addr().(*net.TCPAddr).Port, t.Addr().(*net.TCPAddr).Port)
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // returns when the parent closes its end
	return nil
}

// Server is a running server process.
type Server struct {
	Ports Ports
	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

// Spawn starts this binary as the server and waits for its ports.
func Spawn(ctx context.Context) (*Server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the harness binary: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, ServeFlag)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	s := &Server{cmd: cmd, stdin: stdin}
	ports := make(chan Ports, 1)
	errs := make(chan error, 1)
	go func() {
		p, err := readPorts(bufio.NewReader(stdout))
		if err != nil {
			errs <- err
			return
		}
		ports <- p
	}()
	select {
	case s.Ports = <-ports:
		return s, nil
	case err := <-errs:
		s.Close()
		return nil, fmt.Errorf("server pid %d: %w", cmd.Process.Pid, err)
	case <-time.After(10 * time.Second):
		s.Close()
		return nil, fmt.Errorf("server pid %d: no ports after 10s", cmd.Process.Pid)
	}
}

func readPorts(r *bufio.Reader) (Ports, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Ports{}, fmt.Errorf("reading ports: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "ports" {
		return Ports{}, fmt.Errorf("unexpected server output %q", line)
	}
	h, err1 := strconv.Atoi(f[1])
	t, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return Ports{}, fmt.Errorf("unexpected server output %q", line)
	}
	return Ports{HTTP: h, TCP: t}, nil
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Close ends the server (closing its stdin) and waits for it.
func (s *Server) Close() error {
	s.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		return <-done
	}
}

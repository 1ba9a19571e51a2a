package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// nftTimeout bounds one nft run. A batch loads in milliseconds; only a
// stuck kernel or binary takes longer, and then failing (and retrying
// with a full rebuild) beats hanging the dataplane.
const nftTimeout = 15 * time.Second

// Runner talks to nftables.
type Runner interface {
	// Run loads an nft script. Each call is one nftables transaction: all
	// of it applies or none does.
	Run(ctx context.Context, script string) error
	// Apply loads an incremental update, also as one transaction.
	Apply(ctx context.Context, b Batch) error
	// Chains lists the chains of the table, each with the content hash
	// its first rule's comment carries ("" when none). A missing table
	// has no chains.
	Chains(ctx context.Context) (map[string]string, error)
}

// NFT runs the nft binary, feeding the script on stdin (`nft -f -`).
type NFT struct {
	// Path of the binary; "" finds nft in PATH.
	Path string
}

var _ Runner = NFT{}

// Run loads the script in one transaction.
func (n NFT) Run(ctx context.Context, script string) error {
	_, err := n.exec(ctx, strings.NewReader(script), "-f", "-")
	return err
}

// Apply loads the update as an nft script.
func (n NFT) Apply(ctx context.Context, b Batch) error { return n.Run(ctx, b.Script()) }

// Chains reads the table as JSON (`nft -j list table`).
func (n NFT) Chains(ctx context.Context) (map[string]string, error) {
	out, err := n.exec(ctx, nil, "-j", "list", "table", "ip", Table)
	if err != nil {
		if strings.Contains(err.Error(), "No such file or directory") {
			return map[string]string{}, nil
		}
		return nil, err
	}
	return parseChains(out)
}

// exec runs nft with args and returns its output; an error carries the
// start of what nft printed.
func (n NFT) exec(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	path := n.Path
	if path == "" {
		p, err := exec.LookPath("nft")
		if err != nil {
			return nil, fmt.Errorf("nft: %w (the Services dataplane needs the nftables package)", err)
		}
		path = p
	}
	ctx, cancel := context.WithTimeout(ctx, nftTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String() + out.String())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "timed out after " + nftTimeout.String()
		}
		return nil, fmt.Errorf("nft %s: %w: %s", strings.Join(args, " "), err, firstLines(msg, 6))
	}
	return out.Bytes(), nil
}

// parseChains reads chain names and content hashes from `nft -j` output.
func parseChains(data []byte) (map[string]string, error) {
	var doc struct {
		Nftables []struct {
			Chain *struct {
				Name string `json:"name"`
			} `json:"chain"`
			Rule *struct {
				Chain   string `json:"chain"`
				Comment string `json:"comment"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read nft's listing of table ip %s: %w", Table, err)
	}
	chains := map[string]string{}
	for _, o := range doc.Nftables {
		switch {
		case o.Chain != nil:
			if _, ok := chains[o.Chain.Name]; !ok {
				chains[o.Chain.Name] = ""
			}
		case o.Rule != nil && chains[o.Rule.Chain] == "" && strings.HasPrefix(o.Rule.Comment, hashPrefix):
			chains[o.Rule.Chain] = strings.TrimPrefix(o.Rule.Comment, hashPrefix)
		}
	}
	return chains, nil
}

// firstLines keeps an error message short: nft repeats the offending line
// with a caret marker under it.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

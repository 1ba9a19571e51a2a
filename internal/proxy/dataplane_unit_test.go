package proxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// scriptedRunner answers Chains and Run from queued errors and records
// what it was asked.
type scriptedRunner struct {
	chainsErr []error
	runErr    []error
	calls     []string // "chains", or the first line of a script
}

func (r *scriptedRunner) Chains(context.Context) (map[string]string, error) {
	r.calls = append(r.calls, "chains")
	return map[string]string{}, pop(&r.chainsErr)
}

func (r *scriptedRunner) Run(_ context.Context, script string) error {
	first, _, _ := strings.Cut(script, "\n")
	r.calls = append(r.calls, first)
	return pop(&r.runErr)
}

func (r *scriptedRunner) Apply(ctx context.Context, b Batch) error { return r.Run(ctx, b.Script()) }

func pop(errs *[]error) error {
	if len(*errs) == 0 {
		return nil
	}
	err := (*errs)[0]
	*errs = (*errs)[1:]
	return err
}

func TestDataplaneFallsBackFromIncrementToReplaceToRecreate(t *testing.T) {
	boom := errors.New("boom")
	r := &scriptedRunner{}
	d := NewDataplane(testConfig, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	step := func(st State, wantFull bool, wantErr error, wantCalls ...string) {
		t.Helper()
		r.calls = nil
		res, err := d.Sync(ctx, st)
		if !errors.Is(err, wantErr) || res.Full != wantFull || strings.Join(r.calls, " | ") != strings.Join(wantCalls, " | ") {
			t.Fatalf("Sync: %+v, %v; calls %q\nwant full=%v err=%v calls %q", res, err, r.calls, wantFull, wantErr, wantCalls)
		}
	}
	replace := "table ip vigil-services {"
	recreate := "add table ip vigil-services"
	incr := "delete element ip vigil-services service-filter { 10.96.0.10 . tcp . 80 }"

	step(webState(backendA), true, nil, "chains", replace)
	step(webState(backendA), false, nil) // nothing changed: nft is not run
	step(webState(), false, nil, incr)

	r.runErr = []error{boom} // the increment fails: the table is replaced
	step(webState(backendA), true, nil, incr, "chains", replace)

	r.chainsErr = []error{boom} // the table cannot be read: recreate
	r.runErr = []error{boom}
	step(webState(), true, nil, incr, "chains", recreate)

	r.runErr = []error{boom, boom, boom} // nothing works: the error, and a replace next time
	step(webState(backendB), true, boom, "delete element ip vigil-services service-filter { 10.96.0.10 . tcp . 80 }", "chains", replace, recreate)
	step(webState(backendB), true, nil, "chains", replace)
}

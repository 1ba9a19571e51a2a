package cli

import "testing"

func TestServeDebugPprofIsOffByDefault(t *testing.T) {
	f := newServeCommand().Flags().Lookup("debug-pprof")
	if f == nil {
		t.Fatal("vigil serve has no --debug-pprof flag")
	}
	if f.DefValue != "false" {
		t.Errorf("--debug-pprof defaults to %s; profiles must be asked for", f.DefValue)
	}
	cmd := newServeCommand()
	if err := cmd.ParseFlags([]string{"--debug-pprof"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := cmd.Flags().GetBool("debug-pprof"); !v {
		t.Error("--debug-pprof did not parse as true")
	}
}

package controlplane

import (
	"strings"
	"testing"

	v1 "vigil.dev/vigil/api/v1"
)

// Nothing acknowledged is lost when the daemon is killed with SIGKILL.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	d := startDaemon(t)
	d.MustVigil(plainVM("durable", "Halted"), "create", "-f", "-")
	waitPrintableStatus(t, d, "durable", v1.VirtualMachineStatusStopped)
	before := getVM(t, d, ns, "durable")
	d.Kill9()
	d.Start()
	after := getVM(t, d, ns, "durable")
	if after == nil {
		t.Fatal("the VM acknowledged before kill -9 is gone")
	}
	if after.UID != before.UID || after.Generation != before.Generation || *after.Spec.RunStrategy != *before.Spec.RunStrategy {
		t.Errorf("the VM changed across kill -9: %+v -> %+v", before.ObjectMeta, after.ObjectMeta)
	}
	if out := d.MustVigil(nil, "get", "vm", "durable", "-o", "name"); strings.TrimSpace(out) != "virtualmachine.kubevirt.io/durable" {
		t.Errorf("get -o name: %q", out)
	}
}

// `-o json` prints the object exactly as the API returns it.
func TestGetJSONIsTheAPIBody(t *testing.T) {
	d := startDaemon(t)
	d.MustVigil(plainVM("raw", "Halted"), "create", "-f", "-")
	waitPrintableStatus(t, d, "raw", v1.VirtualMachineStatusStopped) // the controller has had its say
	_, body, err := d.Get("/apis/kubevirt.io/v1/namespaces/default/virtualmachines/raw")
	if err != nil {
		t.Fatal(err)
	}
	out := d.MustVigil(nil, "get", "vm", "raw", "-o", "json")
	if strings.TrimSpace(out) != strings.TrimSpace(body) {
		t.Errorf("-o json differs from the API body:\n%s\n---\n%s", out, body)
	}
}

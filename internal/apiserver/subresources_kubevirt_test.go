package apiserver

import (
	"testing"
)

// KubeVirt words a missing VM in its subresources API with the resource in
// the singular ("virtualmachine.kubevirt.io"), unlike the main API.
func TestVMActionOnAMissingVMIsWordedAsKubeVirt(t *testing.T) {
	e := newEnv(t)
	for _, verb := range []string{"start", "stop", "restart"} {
		st := e.do("PUT", e.actionPath("gone", verb), "", nil).must(t, 404).status(t)
		if st.Message != `virtualmachine.kubevirt.io "gone" not found` || st.Details == nil || st.Details.Kind != "virtualmachine" {
			t.Errorf("%s: %q %+v", verb, st.Message, st.Details)
		}
	}
}

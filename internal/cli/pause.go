package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/client"
	"vigil.dev/vigil/internal/resource"
)

var pauseShort = map[string]string{
	"pause":   "Pause the vCPUs of a running VirtualMachineInstance",
	"unpause": "Let the vCPUs of a paused VirtualMachineInstance run again",
}

// newPauseCommand builds `vigil pause|unpause vm|vmi NAME`, as virtctl's:
// both forms act on the VirtualMachineInstance (a VM's VMI has the VM's
// name) through KubeVirt's pause and unpause subresources.
func newPauseCommand(e *env, action string) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   action + " (vm|vmi) NAME",
		Short: pauseShort[action],
		Long: "Pause stops the guest's vCPUs (its memory and devices stay); unpause lets them run again. " +
			"A paused VMI is not Ready and its guestAgentPing probes are suppressed; a VMI with another " +
			"liveness probe cannot be paused. `" + action + " vm NAME` acts on the VM's instance.",
		Example: fmt.Sprintf("  vigil %s vmi myvm\n  vigil %s vm myvm -n prod", action, action),
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd, e, action, args[0], args[1], dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check that the request would be accepted, without acting")
	return cmd
}

func runPause(cmd *cobra.Command, e *env, action, kind, name string, dryRun bool) error {
	r, err := lookupType(kind)
	if err != nil {
		return err
	}
	if r != resource.VirtualMachines && r != resource.VirtualMachineInstances {
		return fmt.Errorf("%s acts on vm or vmi, not %s", action, r.Resource)
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	if err := pauseRequest(cmd, c, e.namespace, name, action, dryRun); err != nil {
		return reportError(cmd, err)
	}
	fprintf(cmd.OutOrStdout(), "VMI %s was scheduled to %s\n", name, action)
	return nil
}

// pauseRequest sends PUT .../virtualmachineinstances/NAME/{pause,unpause}
// with KubeVirt's PauseOptions body.
func pauseRequest(cmd *cobra.Command, c *client.Client, ns, name, action string, dryRun bool) error {
	var opts struct {
		DryRun []string `json:"dryRun,omitempty"`
	}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	body, err := json.Marshal(opts)
	if err != nil {
		return fmt.Errorf("encoding %s options for VMI %q: %w", action, name, err)
	}
	if ns == "" {
		ns = client.DefaultNamespace
	}
	p := "/apis/" + v1.SubresourceGroupName + "/v1/namespaces/" + url.PathEscape(ns) +
		"/virtualmachineinstances/" + url.PathEscape(name) + "/" + action
	_, err = c.Do(cmd.Context(), http.MethodPut, p, nil, body, "application/json")
	return err
}

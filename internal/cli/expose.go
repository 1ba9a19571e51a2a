package cli

import (
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1 "vigil.dev/vigil/api/v1"
	"vigil.dev/vigil/internal/resource"
)

// exposeOptions are the flags of `vigil expose`, virtctl's names.
type exposeOptions struct {
	name, targetPort, protocol, portName, clusterIP, serviceType string
	port                                                         int32
	externalIPs                                                  []string
}

// newExposeCommand builds `vigil expose (vm|vmi) NAME`, virtctl expose: a
// Service whose selector is the VM's template labels (or the VMI's labels).
func newExposeCommand(e *env) *cobra.Command {
	o := &exposeOptions{}
	cmd := &cobra.Command{
		Use:   "expose (vm|vmi) NAME --port PORT [--target-port PORT] [--name SERVICE]",
		Short: "Create a Service for a VirtualMachine or an instance, as virtctl expose does",
		Long: "Create a Service that selects the instances of a VirtualMachine by the labels of its " +
			"spec.template.metadata (or a VirtualMachineInstance by its own labels), so that connections to " +
			"the Service's cluster IP reach its ready instances. The VM must have template labels.",
		Example: "  vigil expose vm web --port 80 --target-port 8080\n" +
			"  vigil expose vm web --port 22 --name web-ssh --external-ip 192.0.2.10",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExpose(cmd, e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "name of the Service (default: the VM's name)")
	f.Int32Var(&o.port, "port", 0, "port the Service serves on (required)")
	f.StringVar(&o.targetPort, "target-port", "", "number or name (spec.domain.devices.interfaces[].ports) of the guest port (default: --port)")
	f.StringVar(&o.protocol, "protocol", "TCP", "protocol: TCP or UDP")
	f.StringVar(&o.portName, "port-name", "", "name of the Service port")
	f.StringVar(&o.clusterIP, "cluster-ip", "", `cluster IP to ask for; empty allocates one, "None" makes a headless Service`)
	f.StringSliceVar(&o.externalIPs, "external-ip", nil, "address of this host the Service is also reached on (repeatable)")
	f.StringVar(&o.serviceType, "type", "ClusterIP", "Service type (only ClusterIP is served)")
	_ = cmd.MarkFlagRequired("port")
	return cmd
}

func runExpose(cmd *cobra.Command, e *env, o *exposeOptions, typ, name string) error {
	r, err := lookupType(typ)
	if err != nil {
		return err
	}
	if r != resource.VirtualMachines && r != resource.VirtualMachineInstances {
		return fmt.Errorf("expose works on virtualmachines (vm) and virtualmachineinstances (vmi), not %s", r.Resource)
	}
	port, err := o.servicePort()
	if err != nil {
		return err
	}
	c, err := e.client(cmd)
	if err != nil {
		return err
	}
	obj := r.New()
	if err := c.Get(cmd.Context(), r, e.namespace, name, obj); err != nil {
		return reportError(cmd, err)
	}
	selector, err := exposeSelector(obj)
	if err != nil {
		return err
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: orDefault(o.name, name), Namespace: e.namespace},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceType(o.serviceType), Selector: selector, Ports: []corev1.ServicePort{port},
			ClusterIP: o.clusterIP, ExternalIPs: o.externalIPs,
		},
	}
	if err := c.Create(cmd.Context(), resource.Services, svc); err != nil {
		return reportError(cmd, err)
	}
	fprintf(cmd.OutOrStdout(), "Service %s successfully exposed for %s %s\n", svc.Name, r.Singular, name)
	return nil
}

// servicePort checks the port flags and builds the Service port.
func (o *exposeOptions) servicePort() (corev1.ServicePort, error) {
	if o.port < 1 || o.port > 65535 {
		return corev1.ServicePort{}, fmt.Errorf("--port must be between 1 and 65535, not %d", o.port)
	}
	proto := corev1.Protocol(strings.ToUpper(o.protocol))
	if proto != corev1.ProtocolTCP && proto != corev1.ProtocolUDP {
		return corev1.ServicePort{}, fmt.Errorf("--protocol must be TCP or UDP, not %q", o.protocol)
	}
	p := corev1.ServicePort{Name: o.portName, Port: o.port, Protocol: proto}
	if o.targetPort != "" {
		p.TargetPort = intstr.Parse(o.targetPort)
	}
	return p, nil
}

// exposeSelector is the selector a new Service gets: a VM's template
// labels, or a VMI's labels; none is an error naming the field.
func exposeSelector(obj any) (map[string]string, error) {
	switch o := obj.(type) {
	case *v1.VirtualMachine:
		var l map[string]string
		if o.Spec.Template != nil {
			l = o.Spec.Template.ObjectMeta.Labels
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("virtualmachine %q has no labels in spec.template.metadata.labels to select its instances by; add one (e.g. app: %s) first", o.Name, o.Name)
		}
		return maps.Clone(l), nil
	case *v1.VirtualMachineInstance:
		l := maps.Clone(o.Labels)
		delete(l, "kubevirt.io/nodeName") // as virtctl: the node is no identity
		if len(l) == 0 {
			return nil, fmt.Errorf("virtualmachineinstance %q has no labels in metadata.labels to select it by", o.Name)
		}
		return l, nil
	}
	return nil, fmt.Errorf("cannot expose a %T", obj)
}

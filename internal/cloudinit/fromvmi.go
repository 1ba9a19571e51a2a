package cloudinit

import (
	"encoding/base64"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "vigil.dev/vigil/api/v1"
)

// ErrSecretRef reports a cloudInitNoCloud volume that takes its data from a
// Secret: vigil serves no Secrets, so the data must be inline.
var ErrSecretRef = errors.New("secretRef is not supported")

// FromVMI returns the NoCloud seed for vmi's cloudInitNoCloud volume, or
// nil and no error when it has none. instance-id is the VMI's UID (a new
// VMI is a new instance to cloud-init); local-hostname is spec.hostname, or
// the VMI's name when that is empty. Errors name the field they are about.
func FromVMI(vmi *v1.VirtualMachineInstance) (*NoCloud, error) {
	src, p, err := findVolume(vmi.Spec.Volumes)
	if err != nil || src == nil {
		return nil, err
	}
	if vmi.UID == "" {
		return nil, fmt.Errorf("virtualmachineinstance %q: metadata.uid is empty; it becomes the cloud-init instance-id", vmi.Name)
	}
	userData, err := pick(p, src.UserData, src.UserDataBase64, src.UserDataSecretRef != nil,
		"userData", "userDataBase64", "secretRef")
	if err != nil {
		return nil, err
	}
	networkData, err := pick(p, src.NetworkData, src.NetworkDataBase64, src.NetworkDataSecretRef != nil,
		"networkData", "networkDataBase64", "networkDataSecretRef")
	if err != nil {
		return nil, err
	}
	hostname := vmi.Spec.Hostname
	if hostname == "" {
		hostname = vmi.Name
	}
	return &NoCloud{InstanceID: string(vmi.UID), LocalHostname: hostname, UserData: userData, NetworkData: networkData}, nil
}

// findVolume returns the only cloudInitNoCloud volume and its path; a VMI
// has at most one seed disk, as in KubeVirt.
func findVolume(volumes []v1.Volume) (*v1.CloudInitNoCloudSource, *field.Path, error) {
	var src *v1.CloudInitNoCloudSource
	var found *field.Path
	for i := range volumes {
		if volumes[i].CloudInitNoCloud == nil {
			continue
		}
		p := field.NewPath("spec", "volumes").Index(i).Child("cloudInitNoCloud")
		if src != nil {
			return nil, nil, fmt.Errorf("%s: only one cloudInitNoCloud volume is supported (%s is the first)", p, found)
		}
		src, found = volumes[i].CloudInitNoCloud, p
	}
	return src, found, nil
}

// pick returns the data given by exactly one of the inline, base64 and
// secret-reference fields named plain, b64 and ref under p; none gives nil.
func pick(p *field.Path, plain, b64 string, hasRef bool, plainName, b64Name, refName string) ([]byte, error) {
	if hasRef {
		return nil, fmt.Errorf("%w: %s (vigil serves no Secrets; put the data in %s or %s)",
			ErrSecretRef, p.Child(refName), p.Child(plainName), p.Child(b64Name))
	}
	switch {
	case plain != "" && b64 != "":
		return nil, fmt.Errorf("%s: only one of %s or %s may be set", p, plainName, b64Name)
	case plain != "":
		return []byte(plain), nil
	case b64 != "":
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%s: must be valid base64: %w", p.Child(b64Name), err)
		}
		return data, nil
	}
	return nil, nil
}

package cloudinit

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "vigil.dev/vigil/api/v1"
)

func vmiWith(hostname string, volumes ...v1.Volume) *v1.VirtualMachineInstance {
	boot := v1.Volume{Name: "boot", VolumeSource: v1.VolumeSource{ContainerDisk: &v1.ContainerDiskSource{Image: "tiny"}}}
	return &v1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "vmi1", Namespace: "default", UID: "uid-1"},
		Spec:       v1.VirtualMachineInstanceSpec{Hostname: hostname, Volumes: append([]v1.Volume{boot}, volumes...)},
	}
}

func ci(src v1.CloudInitNoCloudSource) v1.Volume {
	return v1.Volume{Name: "cloudinit", VolumeSource: v1.VolumeSource{CloudInitNoCloud: &src}}
}

func TestFromVMI(t *testing.T) {
	ref := &corev1.LocalObjectReference{Name: "my-secret"}
	cases := []struct {
		name    string
		vmi     *v1.VirtualMachineInstance
		want    *NoCloud
		wantErr string // substring; the field path must be in it
		is      error
	}{{
		name: "no cloud-init volume",
		vmi:  vmiWith(""),
	}, {
		name: "inline data, hostname from the VMI name",
		vmi:  vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "#cloud-config\n", NetworkData: "version: 2\n"})),
		want: &NoCloud{InstanceID: "uid-1", LocalHostname: "vmi1", UserData: []byte("#cloud-config\n"), NetworkData: []byte("version: 2\n")},
	}, {
		name: "base64 data, spec.hostname wins",
		vmi: vmiWith("guest", ci(v1.CloudInitNoCloudSource{
			UserDataBase64: "I2Nsb3VkLWNvbmZpZwo=", NetworkDataBase64: "dmVyc2lvbjogMgo="})),
		want: &NoCloud{InstanceID: "uid-1", LocalHostname: "guest", UserData: []byte("#cloud-config\n"), NetworkData: []byte("version: 2\n")},
	}, {
		name:    "bad userDataBase64",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserDataBase64: "not base64!"})),
		wantErr: "spec.volumes[1].cloudInitNoCloud.userDataBase64: must be valid base64",
	}, {
		name:    "bad networkDataBase64",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "x", NetworkDataBase64: "eA="})),
		wantErr: "spec.volumes[1].cloudInitNoCloud.networkDataBase64: must be valid base64",
	}, {
		name:    "user data from a Secret",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserDataSecretRef: ref})),
		wantErr: "secretRef is not supported: spec.volumes[1].cloudInitNoCloud.secretRef",
		is:      ErrSecretRef,
	}, {
		name:    "network data from a Secret",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "x", NetworkDataSecretRef: ref})),
		wantErr: "secretRef is not supported: spec.volumes[1].cloudInitNoCloud.networkDataSecretRef",
		is:      ErrSecretRef,
	}, {
		name:    "inline and base64 together",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "x", UserDataBase64: "eA=="})),
		wantErr: "spec.volumes[1].cloudInitNoCloud: only one of userData or userDataBase64",
	}, {
		name:    "two seed volumes",
		vmi:     vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "a"}), ci(v1.CloudInitNoCloudSource{UserData: "b"})),
		wantErr: "spec.volumes[2].cloudInitNoCloud: only one cloudInitNoCloud volume is supported (spec.volumes[1].cloudInitNoCloud is the first)",
	}, {
		name: "no UID",
		vmi: func() *v1.VirtualMachineInstance {
			v := vmiWith("", ci(v1.CloudInitNoCloudSource{UserData: "x"}))
			v.UID = ""
			return v
		}(),
		wantErr: `virtualmachineinstance "vmi1": metadata.uid is empty`,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromVMI(tc.vmi)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromVMI: %v", err)
			}
			if (got == nil) != (tc.want == nil) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if got != nil && (got.InstanceID != tc.want.InstanceID || got.LocalHostname != tc.want.LocalHostname ||
				string(got.UserData) != string(tc.want.UserData) || string(got.NetworkData) != string(tc.want.NetworkData)) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

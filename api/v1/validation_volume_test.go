package v1

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestValidateVolumes(t *testing.T) {
	const v = "spec.volumes"
	addVolume := func(vol Volume) func(s *VirtualMachineInstanceSpec) {
		return func(s *VirtualMachineInstanceSpec) { s.Volumes = append(s.Volumes, vol) }
	}
	cloudInit := func(ci CloudInitNoCloudSource) func(s *VirtualMachineInstanceSpec) {
		return addVolume(Volume{Name: "cloudinit", VolumeSource: VolumeSource{CloudInitNoCloud: &ci}})
	}
	runVMISpecCases(t, []specCase{{
		name: "every source kind",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = append(s.Volumes,
				Volume{Name: "data", VolumeSource: VolumeSource{HostDisk: &HostDisk{Path: "/var/lib/d.img", Type: HostDiskExists}}},
				Volume{Name: "new", VolumeSource: VolumeSource{HostDisk: &HostDisk{Path: "/var/lib/n.img",
					Type: HostDiskExistsOrCreate, Capacity: resource.MustParse("1Gi")}}},
				Volume{Name: "scratch", VolumeSource: VolumeSource{EmptyDisk: &EmptyDiskSource{Capacity: resource.MustParse("1Gi")}}},
				Volume{Name: "ci", VolumeSource: VolumeSource{CloudInitNoCloud: &CloudInitNoCloudSource{
					UserDataBase64: "I2Nsb3VkLWNvbmZpZwo=", NetworkData: "version: 2"}}},
			)
		},
	}, {
		name: "names: missing, duplicate, not a DNS label",
		mutate: func(s *VirtualMachineInstanceSpec) {
			cd := VolumeSource{ContainerDisk: &ContainerDiskSource{Image: "tiny"}}
			s.Volumes = append(s.Volumes, Volume{Name: "boot", VolumeSource: cd},
				Volume{VolumeSource: cd}, Volume{Name: "Data_1", VolumeSource: cd})
		},
		want: []string{
			v + `[1].name: Duplicate value: "boot"`,
			v + `[2].name: Required value`,
			v + `[3].name: Invalid value: "Data_1": a lowercase RFC 1123 label must consist of lower case ` +
				`alphanumeric characters or '-', and must start and end with an alphanumeric character ` +
				`(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		},
	}, {
		name:   "no source",
		mutate: addVolume(Volume{Name: "empty"}),
		want: []string{v + "[1]: Required value: exactly one volume source must be set: " +
			"containerDisk, hostDisk, cloudInitNoCloud or emptyDisk"},
	}, {
		name: "two sources, empty image",
		mutate: addVolume(Volume{Name: "two", VolumeSource: VolumeSource{ContainerDisk: &ContainerDiskSource{},
			EmptyDisk: &EmptyDiskSource{Capacity: resource.MustParse("1Gi")}}}),
		want: []string{
			v + "[1].containerDisk.image: Required value: the name of an image in the local image store",
			v + "[1]: Invalid value: must have exactly one volume source set (found containerDisk, emptyDisk)",
		},
	}, {
		name:   "emptyDisk without capacity",
		mutate: addVolume(Volume{Name: "scratch", VolumeSource: VolumeSource{EmptyDisk: &EmptyDiskSource{}}}),
		want:   []string{v + "[1].emptyDisk.capacity: Required value: must be greater than 0"},
	}, {
		name: "hostDisk problems",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = append(s.Volumes,
				Volume{Name: "a", VolumeSource: VolumeSource{HostDisk: &HostDisk{Path: "disk.img", Type: "File"}}},
				Volume{Name: "b", VolumeSource: VolumeSource{HostDisk: &HostDisk{Type: HostDiskExistsOrCreate}}})
		},
		want: []string{
			v + `[1].hostDisk.path: Invalid value: "disk.img": must be an absolute path`,
			v + `[1].hostDisk.type: Unsupported value: "File": supported values: "Disk", "DiskOrCreate"`,
			v + `[2].hostDisk.path: Required value: the absolute path of a disk image on the host`,
			v + `[2].hostDisk.capacity: Required value: required when type is DiskOrCreate`,
		},
	}, {
		name:   "cloud-init without user data",
		mutate: cloudInit(CloudInitNoCloudSource{NetworkData: "version: 2"}),
		want:   []string{v + "[1].cloudInitNoCloud: Required value: one of userData, userDataBase64 or secretRef must be set"},
	}, {
		name: "cloud-init with two user data sources and two network data sources",
		mutate: cloudInit(CloudInitNoCloudSource{UserData: "#cloud-config", UserDataBase64: "eA==",
			NetworkData: "version: 2", NetworkDataBase64: "eA=="}),
		want: []string{
			v + "[1].cloudInitNoCloud: Invalid value: only one of userData, userDataBase64 or secretRef may be set",
			v + "[1].cloudInitNoCloud: Invalid value: only one of networkData, networkDataBase64 or networkDataSecretRef may be set",
		},
	}, {
		name: "cloud-init secret references without names",
		mutate: cloudInit(CloudInitNoCloudSource{UserDataSecretRef: &corev1.LocalObjectReference{},
			NetworkDataSecretRef: &corev1.LocalObjectReference{}}),
		want: []string{
			v + "[1].cloudInitNoCloud.secretRef.name: Required value",
			v + "[1].cloudInitNoCloud.networkDataSecretRef.name: Required value",
		},
	}, {
		name:   "cloud-init base64 that does not decode",
		mutate: cloudInit(CloudInitNoCloudSource{UserDataBase64: "not base64!", NetworkDataBase64: "eA="}),
		want: []string{
			v + "[1].cloudInitNoCloud.userDataBase64: Invalid value: must be valid base64: illegal base64 data at input byte 3",
			v + "[1].cloudInitNoCloud.networkDataBase64: Invalid value: must be valid base64: illegal base64 data at input byte 3",
		},
	}}, true)
}

func TestValidateBootSource(t *testing.T) {
	want := "spec.volumes: Required value: a boot source is required: add a volume with containerDisk.image " +
		"(for example the tiny image built by `vigil image build tiny`) or hostDisk, " +
		"or set spec.domain.firmware.kernelBoot.container.image"
	runVMISpecCases(t, []specCase{{
		name:   "no volumes",
		mutate: func(s *VirtualMachineInstanceSpec) { s.Volumes = nil },
		want:   []string{want},
	}, {
		name: "only cloud-init",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = []Volume{{Name: "ci", VolumeSource: VolumeSource{
				CloudInitNoCloud: &CloudInitNoCloudSource{UserData: "#cloud-config"}}}}
		},
		want: []string{want},
	}, {
		name: "hostDisk boots",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = []Volume{{Name: "root", VolumeSource: VolumeSource{
				HostDisk: &HostDisk{Path: "/var/lib/vigil/root.qcow2", Type: HostDiskExists}}}}
		},
	}, {
		name: "kernelBoot without image is no boot source",
		mutate: func(s *VirtualMachineInstanceSpec) {
			s.Volumes = nil
			s.Domain.Firmware = &Firmware{KernelBoot: &KernelBoot{Container: &KernelBootContainer{}}}
		},
		want: []string{
			"spec.domain.firmware.kernelBoot.container.image: Required value: the image that holds the kernel and initrd",
			want,
		},
	}}, true)
}

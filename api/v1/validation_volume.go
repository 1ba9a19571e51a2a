package v1

import (
	"encoding/base64"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

var supportedHostDiskTypes = []HostDiskType{HostDiskExists, HostDiskExistsOrCreate}

// validateVolumes checks each volume: a unique DNS-label name and exactly
// one source, valid for its kind.
func validateVolumes(volumes []Volume, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := nameSet{}
	for i := range volumes {
		v := &volumes[i]
		vPath := p.Index(i)
		if seen.duplicate(v.Name) {
			errs = append(errs, field.Duplicate(vPath.Child("name"), v.Name))
		} else {
			errs = append(errs, validateDNSLabelName(vPath.Child("name"), v.Name)...)
		}
		errs = append(errs, validateVolumeSource(&v.VolumeSource, vPath)...)
	}
	return errs
}

func validateVolumeSource(src *VolumeSource, p *field.Path) field.ErrorList {
	var set []string
	var errs field.ErrorList
	if src.ContainerDisk != nil {
		set = append(set, "containerDisk")
		if src.ContainerDisk.Image == "" {
			errs = append(errs, field.Required(p.Child("containerDisk", "image"),
				"the name of an image in the local image store"))
		}
	}
	if src.HostDisk != nil {
		set = append(set, "hostDisk")
		errs = append(errs, validateHostDisk(src.HostDisk, p.Child("hostDisk"))...)
	}
	if src.CloudInitNoCloud != nil {
		set = append(set, "cloudInitNoCloud")
		errs = append(errs, validateCloudInitNoCloud(src.CloudInitNoCloud, p.Child("cloudInitNoCloud"))...)
	}
	if src.EmptyDisk != nil {
		set = append(set, "emptyDisk")
		if src.EmptyDisk.Capacity.Sign() <= 0 {
			errs = append(errs, field.Required(p.Child("emptyDisk", "capacity"), "must be greater than 0"))
		}
	}
	switch {
	case len(set) == 0:
		errs = append(errs, field.Required(p,
			"exactly one volume source must be set: containerDisk, hostDisk, cloudInitNoCloud or emptyDisk"))
	case len(set) > 1:
		errs = append(errs, field.Invalid(p, field.OmitValueType{},
			"must have exactly one volume source set (found "+strings.Join(set, ", ")+")"))
	}
	return errs
}

func validateHostDisk(hd *HostDisk, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case hd.Path == "":
		errs = append(errs, field.Required(p.Child("path"), "the absolute path of a disk image on the host"))
	case !path.IsAbs(hd.Path):
		errs = append(errs, field.Invalid(p.Child("path"), hd.Path, "must be an absolute path"))
	}
	if !slices.Contains(supportedHostDiskTypes, hd.Type) {
		errs = append(errs, field.NotSupported(p.Child("type"), string(hd.Type), supportedHostDiskTypes))
	}
	if hd.Type == HostDiskExistsOrCreate && hd.Capacity.Sign() <= 0 {
		errs = append(errs, field.Required(p.Child("capacity"), "required when type is DiskOrCreate"))
	}
	return errs
}

// validateCloudInitNoCloud wants exactly one source of user data (the
// guest's cloud-init needs one to do anything) and at most one of network
// data; base64 values must decode.
func validateCloudInitNoCloud(ci *CloudInitNoCloudSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	userData := countSet(ci.UserData != "", ci.UserDataBase64 != "", ci.UserDataSecretRef != nil)
	switch {
	case userData == 0:
		errs = append(errs, field.Required(p, "one of userData, userDataBase64 or secretRef must be set"))
	case userData > 1:
		errs = append(errs, field.Invalid(p, field.OmitValueType{},
			"only one of userData, userDataBase64 or secretRef may be set"))
	}
	if countSet(ci.NetworkData != "", ci.NetworkDataBase64 != "", ci.NetworkDataSecretRef != nil) > 1 {
		errs = append(errs, field.Invalid(p, field.OmitValueType{},
			"only one of networkData, networkDataBase64 or networkDataSecretRef may be set"))
	}
	errs = append(errs, validBase64(p.Child("userDataBase64"), ci.UserDataBase64)...)
	errs = append(errs, validBase64(p.Child("networkDataBase64"), ci.NetworkDataBase64)...)
	if ref := ci.UserDataSecretRef; ref != nil && ref.Name == "" {
		errs = append(errs, field.Required(p.Child("secretRef", "name"), ""))
	}
	if ref := ci.NetworkDataSecretRef; ref != nil && ref.Name == "" {
		errs = append(errs, field.Required(p.Child("networkDataSecretRef", "name"), ""))
	}
	return errs
}

func countSet(set ...bool) int {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	return n
}

func validBase64(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(v); err != nil {
		// The value may be long and is unreadable anyway: say where it breaks.
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, "must be valid base64: "+err.Error())}
	}
	return nil
}

package cloudinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// Label is the volume identifier cloud-init's NoCloud datasource looks for.
const Label = "cidata"

// File names on the seed disk, as cloud-init expects them.
const (
	MetaDataFile      = "meta-data"
	UserDataFile      = "user-data"
	NetworkConfigFile = "network-config"
)

// NoCloud is the content of a NoCloud seed disk.
type NoCloud struct {
	// InstanceID tells cloud-init whether this is a new instance (it runs
	// per-instance modules once per id); vigil uses the VMI's UID.
	InstanceID string
	// LocalHostname becomes the guest's hostname.
	LocalHostname string
	// UserData is written as user-data; nil writes an empty file, because
	// cloud-init needs both meta-data and user-data to accept a seed.
	UserData []byte
	// NetworkData, when not empty, is written as network-config.
	NetworkData []byte
}

// files returns the seed's files by name.
func (n *NoCloud) files() (map[string][]byte, error) {
	if n.InstanceID == "" {
		return nil, errors.New("cloud-init: instance-id is empty")
	}
	meta := map[string]string{"instance-id": n.InstanceID}
	if n.LocalHostname != "" {
		meta["local-hostname"] = n.LocalHostname
	}
	metaData, err := yaml.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("cloud-init meta-data: %w", err)
	}
	files := map[string][]byte{MetaDataFile: metaData, UserDataFile: n.UserData}
	if len(n.NetworkData) > 0 {
		files[NetworkConfigFile] = n.NetworkData
	}
	return files, nil
}

// BuildNoCloud writes src as a cidata ISO9660 image to dst. The image
// appears at dst complete or not at all (it is written next to dst and
// renamed), and has mode 0600: user-data often holds passwords or keys.
func BuildNoCloud(dst string, src NoCloud) error {
	files, err := src.files()
	if err != nil {
		return err
	}
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return fmt.Errorf("cloud-init disk %s: %w", dst, err)
	}
	defer os.Remove(tmp.Name()) // after the rename this removes nothing
	if err := writeISO(tmp, Label, files); err != nil {
		tmp.Close()
		return fmt.Errorf("cloud-init disk %s: %w", dst, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cloud-init disk %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cloud-init disk %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("cloud-init disk %s: %w", dst, err)
	}
	return nil
}

package cloudconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Config is the part of a #cloud-config document the tiny guest acts on.
type Config struct {
	Hostname   string
	WriteFiles []File
	Bootcmd    []Command
	Runcmd     []Command
	// Unsupported lists top-level keys the guest ignores, in document order.
	Unsupported []string
	// Ignored lists accepted fields the guest does not act on, e.g.
	// "write_files[0].owner".
	Ignored []string
}

// File is one write_files entry.
type File struct {
	Path        string
	Content     []byte // decoded
	Permissions fs.FileMode
	Append      bool
}

// Command is one bootcmd/runcmd entry: a shell line, or an argv list.
type Command struct {
	Shell string
	Argv  []string
}

// ParseConfig parses a #cloud-config document. A YAML error returns a nil
// Config; errors in single keys return the Config without those keys
// together with an error naming each bad field.
func ParseConfig(src []byte) (*Config, error) {
	root, err := ParseYAML(src)
	if err != nil {
		return nil, fmt.Errorf("user-data: %w", err)
	}
	cfg := &Config{}
	if root.Kind == Null {
		return cfg, nil
	}
	if root.Kind != Mapping {
		return nil, fmt.Errorf("user-data: want a mapping at the top, got a %s", root.Kind)
	}
	// Like cloud-init's modules, a bad key costs only that key: the others
	// still apply, and the error lists every bad one.
	var errs []error
	for i, key := range root.Keys {
		if err := cfg.apply(key, root.Vals[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return cfg, errors.Join(errs...)
}

func (c *Config) apply(key string, v *Node) error {
	var err error
	switch key {
	case "hostname":
		c.Hostname, err = scalarValue(v, key)
	case "write_files":
		c.WriteFiles, c.Ignored, err = parseWriteFiles(v, c.Ignored)
	case "bootcmd":
		c.Bootcmd, err = parseCommands(v, key)
	case "runcmd":
		c.Runcmd, err = parseCommands(v, key)
	default:
		c.Unsupported = append(c.Unsupported, key)
	}
	return err
}

func parseCommands(v *Node, field string) ([]Command, error) {
	if v.Kind == Null {
		return nil, nil
	}
	if v.Kind != Sequence {
		return nil, fmt.Errorf("%s: want a list, got a %s", field, v.Kind)
	}
	var out []Command
	for i, item := range v.Items {
		path := fmt.Sprintf("%s[%d]", field, i)
		switch item.Kind {
		case Null:
			continue
		case Scalar:
			out = append(out, Command{Shell: item.Value})
		case Sequence:
			argv, err := scalarList(item, path)
			if err != nil {
				return nil, err
			}
			out = append(out, Command{Argv: argv})
		default:
			return nil, fmt.Errorf("%s: want a string or a list of strings, got a %s", path, item.Kind)
		}
	}
	return out, nil
}

func scalarList(v *Node, path string) ([]string, error) {
	var out []string
	for j, a := range v.Items {
		if a.Kind != Scalar {
			return nil, fmt.Errorf("%s[%d]: want a string, got a %s", path, j, a.Kind)
		}
		out = append(out, a.Value)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty command", path)
	}
	return out, nil
}

func parseWriteFiles(v *Node, ignored []string) ([]File, []string, error) {
	if v.Kind == Null {
		return nil, ignored, nil
	}
	if v.Kind != Sequence {
		return nil, nil, fmt.Errorf("write_files: want a list, got a %s", v.Kind)
	}
	var out []File
	for i, item := range v.Items {
		path := fmt.Sprintf("write_files[%d]", i)
		if item.Kind != Mapping {
			return nil, nil, fmt.Errorf("%s: want a mapping, got a %s", path, item.Kind)
		}
		f, ign, err := parseFile(item, path)
		if err != nil {
			return nil, nil, err
		}
		out, ignored = append(out, f), append(ignored, ign...)
	}
	return out, ignored, nil
}

func parseFile(m *Node, path string) (File, []string, error) {
	f := File{Permissions: 0o644}
	var ignored []string
	var content, encoding string
	for i, key := range m.Keys {
		v, field := m.Vals[i], path+"."+key
		if v.Kind != Scalar && v.Kind != Null {
			return File{}, nil, fmt.Errorf("%s: want a string, got a %s", field, v.Kind)
		}
		var err error
		switch key {
		case "path":
			f.Path = v.Value
		case "content":
			content = v.Value
		case "encoding":
			encoding = v.Value
		case "permissions":
			f.Permissions, err = parsePermissions(v.Value, field)
		case "append":
			f.Append, err = parseBool(v.Value, field)
		default: // owner, defer, source ...
			ignored = append(ignored, field)
		}
		if err != nil {
			return File{}, nil, err
		}
	}
	if !strings.HasPrefix(f.Path, "/") {
		return File{}, nil, fmt.Errorf("%s.path: want an absolute path, got %q", path, f.Path)
	}
	data, err := decodeContent(content, encoding, path+".encoding")
	f.Content = data
	return f, ignored, err
}

func parsePermissions(s, field string) (fs.FileMode, error) {
	s = strings.Trim(s, "'\"")
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("%s: want an octal mode such as '0644', got %q", field, s)
	}
	return fs.FileMode(m&0o777) | specialBits(uint32(m)), nil
}

func specialBits(m uint32) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

func parseBool(s, field string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%s: want true or false, got %q", field, s)
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "MEMBERSHIP_"

// Load builds the configuration from the compiled-in defaults, then the file at path (when path
// is empty: ./config.yaml if there is one), then the environment (a list of KEY=VALUE as
// os.Environ gives it). The first problem stops it, and its message names the key.
func Load(defaults []byte, path string, environ []string) (*Config, error) {
	var cfg Config
	if err := apply(&cfg, defaults, "defaults"); err != nil {
		return nil, err
	}
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("config file %s: not found", path)
			}
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		if err := apply(&cfg, b, path); err != nil {
			return nil, err
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// apply overlays one YAML document on cfg; keys the document leaves out keep their value.
func apply(cfg *Config, doc []byte, source string) error {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return fmt.Errorf("%s: not valid YAML: %w", source, err)
	}
	if len(root.Content) == 0 {
		return nil
	}
	return overlay(reflect.ValueOf(cfg).Elem(), root.Content[0], "", source)
}

// overlay walks a mapping node against a struct, so that unknown keys and bad values are reported
// with their full key path rather than yaml's line-and-type message.
func overlay(v reflect.Value, n *yaml.Node, path, source string) error {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("%s: key %s: expected a mapping of keys", source, orRoot(path))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		full := join(path, key)
		f, ok := fieldByTag(v, key)
		if !ok {
			return fmt.Errorf("%s: unknown key %s", source, full)
		}
		if isSection(f) {
			if err := overlay(f, val, full, source); err != nil {
				return err
			}
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("%s: key %s: %s", source, full, cleanYAMLError(err))
		}
	}
	return nil
}

// applyEnv sets every key that has a MEMBERSHIP_ variable.
func applyEnv(cfg *Config, environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = val
		}
	}
	if len(env) == 0 {
		return nil
	}
	return walkLeaves(reflect.ValueOf(cfg).Elem(), "", func(f reflect.Value, key string) error {
		name := EnvName(key)
		s, ok := env[name]
		if !ok {
			return nil
		}
		node := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if s == "" {
			// An empty variable sets the key to "" (MEMBERSHIP_CAMPAIGNS_QUIET_HOURS= turns quiet
			// hours off); untagged, yaml would read it as null and keep the old value.
			node.Tag = "!!str"
		}
		if f.Kind() == reflect.Slice {
			node = &yaml.Node{Kind: yaml.SequenceNode}
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: part})
				}
			}
		}
		if err := node.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("environment %s: key %s: %s", name, key, cleanYAMLError(err))
		}
		return nil
	})
}

// EnvName is the environment variable that overrides a key path: "notify.sms.twilio.base_url" →
// "MEMBERSHIP_NOTIFY_SMS_TWILIO_BASE_URL".
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Keys lists every key path, in the order of the Config struct.
func Keys() []string {
	var keys []string
	var cfg Config
	_ = walkLeaves(reflect.ValueOf(&cfg).Elem(), "", func(_ reflect.Value, key string) error {
		keys = append(keys, key)
		return nil
	})
	return keys
}

func walkLeaves(v reflect.Value, path string, fn func(reflect.Value, string) error) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := join(path, tagName(t.Field(i)))
		f := v.Field(i)
		var err error
		if isSection(f) {
			err = walkLeaves(f, key, fn)
		} else {
			err = fn(f, key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isSection tells a nested group of keys from a value type that reads itself from a string.
func isSection(f reflect.Value) bool {
	if f.Kind() != reflect.Struct {
		return false
	}
	_, custom := f.Addr().Interface().(yaml.Unmarshaler)
	return !custom
}

func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// cleanYAMLError drops yaml's "yaml: unmarshal errors:\n  line N:" wrapping to keep one line.
func cleanYAMLError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "cannot unmarshal "); i >= 0 {
		msg = msg[i:]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return strings.Join(strings.Fields(msg), " ")
}

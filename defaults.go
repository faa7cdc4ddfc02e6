// Package membership holds what the binary carries with it from the repository root: the
// default configuration. Everything else lives in the packages named for what they hold.
package membership

import _ "embed"

// DefaultConfig is the repository's config.yaml, compiled in so that the binary runs anywhere
// without a file beside it.
//
//go:embed config.yaml
var DefaultConfig []byte

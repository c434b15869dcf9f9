//go:build nodev

package main

import (
	"context"
	"errors"
)

// runDev is absent from production builds (go build -tags nodev): they
// leave out the embedded Temporal server, which is most of the binary and
// of an idle process's resident memory, and run serve and worker against a
// Temporal cluster.
func runDev(context.Context, []string) error {
	return errors.New("this binary was built without the embedded Temporal server (-tags nodev): run `serve` and `worker` against a Temporal cluster, or build without the tag for `dev`")
}

//go:build tools

// Package tools pins the Pulumi CLI: go.mod and go.sum hold its whole dependency graph at pkg/v3 v3.248.0, the
// version of the @pulumi/pulumi npm package, and scripts/rig/build-pulumi.sh builds it from this module.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

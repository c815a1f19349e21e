//go:build tools

// This file is ours: it only exists so that `go mod tidy` records, in go.mod
// and go.sum, the full dependency graph of the pulumi-kubernetes provider's
// main package. scripts/rig/build-providers.sh copies that main package out of
// the module cache and builds it against this go.mod/go.sum.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
	_ "github.com/pulumi/pulumi/pkg/v3/codegen/schema" // used by the provider's generate.go
)

//go:build tools

// Package tools pins the etcd server program that scripts/rig/build-kube.sh
// builds; the blank import keeps it (and everything it needs) in go.mod and
// go.sum. It is never compiled.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)

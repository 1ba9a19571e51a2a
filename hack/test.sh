#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs unit and
# end-to-end tests (real etcd, real QEMU, real nftables, in network namespaces
# the tests make). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/deps.sh
export PATH=/usr/local/go/bin:$PATH
go version
go vet ./...
# -p 2: two cores; end-to-end packages boot VMs and must not starve each other.
go test -p 2 -count=1 -timeout 30m ./... 2>&1 | tee /tmp/vigil-test.log

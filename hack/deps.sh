#!/usr/bin/env bash
# Installs what vigil needs on a Debian 12 host, skipping what is already there.
# Idempotent; run as root. Used by hack/run.sh (the demo) and hack/test.sh (the suite).
set -euo pipefail

packages=(
  qemu-system-x86 qemu-utils      # the hypervisor (TCG or KVM) and qemu-img for overlays
  linux-image-amd64               # the guest kernel and modules for the tiny image
  busybox-static                  # the tiny guest's userland
  qemu-guest-agent                # the real guest agent, copied into the tiny image
  watchdog                        # Debian's watchdog daemon, copied into the tiny image
  pciutils procps                 # lspci and pkill for the seed's watchdog procedure, in the guest
  nftables iproute2               # VM networking: bridge, taps, NAT, the Services dataplane
  xorriso cpio kmod               # cloud-init disks, image tooling
  ca-certificates git
)

# kubectl, for the kubectl compatibility tests: any kubectl on PATH will do
# (Debian's kubernetes-client is 1.20; the tests were written against 1.27-1.33).
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "vigil: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: the machine's toolchain (>= 1.26) at /usr/local/go or on PATH.
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH=/usr/local/go/bin:$PATH
  else
    echo "vigil: Go 1.26 or newer is required (install it to /usr/local/go)" >&2
    exit 1
  fi
fi

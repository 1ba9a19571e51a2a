#!/usr/bin/env bash
# The main job: installs what is missing, builds bin/vigil and the tiny guest
# image, starts `vigil serve` inside a network namespace of its own
# (vigil-demo: the VMs' bridge, taps and NAT live there, never on the host),
# and creates a runnable example VM. Run as root on Debian 12.
#
#   ./hack/run.sh [EXAMPLE.yaml]   start (default: examples/readiness-http.yaml)
#   ./hack/run.sh stop             stop the daemon and its VMs, remove the namespace
set -euo pipefail
cd "$(dirname "$0")/.."

NETNS=vigil-demo
DATA=/var/lib/vigil-demo
RUN=/run/vigil-demo
SOCK=$RUN/vigil.sock
LOG=$RUN/vigil.log
VIGIL=$PWD/bin/vigil
export VIGIL_SERVER=unix://$SOCK

stop() {
  if [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
    # Delete the VMs first so their QEMU processes end with them.
    for f in examples/*.yaml; do "$VIGIL" delete -f "$f" --ignore-not-found --timeout 60s >/dev/null 2>&1 || true; done
    kill "$(cat "$RUN/pid")" && echo "vigil: daemon stopped"
  fi
  pkill -f "qemu-system-x86_64 .*$DATA/" 2>/dev/null || true
  ip netns del "$NETNS" 2>/dev/null && echo "vigil: namespace $NETNS removed" || true
  rm -f "$RUN/pid"
}

if [ "${1:-}" = stop ]; then
  stop
  exit 0
fi
example=${1:-examples/readiness-http.yaml}

source hack/deps.sh
export PATH=/usr/local/go/bin:$PATH
echo "vigil: building bin/vigil"
go build -o "$VIGIL" ./cmd/vigil

if ! "$VIGIL" image list --data-dir "$DATA" 2>/dev/null | grep -q '^tiny '; then
  echo "vigil: building the tiny guest image (kernel + initramfs from this host's Debian packages)"
  "$VIGIL" image build tiny --data-dir "$DATA"
fi

mkdir -p "$RUN"
if ! [ -f "$RUN/pid" ] || ! kill -0 "$(cat "$RUN/pid")" 2>/dev/null; then
  ip netns list | grep -qw "$NETNS" || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  echo "vigil: starting the daemon in network namespace $NETNS (log: $LOG)"
  setsid ip netns exec "$NETNS" "$VIGIL" serve --data-dir "$DATA" --socket "$SOCK" >"$LOG" 2>&1 </dev/null &
  echo $! >"$RUN/pid"
  for _ in $(seq 1 300); do
    "$VIGIL" get vm -A >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

"$VIGIL" apply -f "$example"
cat <<MSG

vigil is running. Try:
  export VIGIL_SERVER=$VIGIL_SERVER
  bin/vigil get vm -A
  bin/vigil get vmi -A -o wide          # the VM boots in a few seconds (TCG)
  bin/vigil describe vmi -n example-namespace $(basename "$example" .yaml)
  bin/vigil logs -n example-namespace $(basename "$example" .yaml)
  bin/vigil wait vm -n example-namespace $(basename "$example" .yaml) --for=condition=Ready --timeout=5m
  bin/vigil get events -A
Other examples: ls examples/   Stop everything: ./hack/run.sh stop
MSG

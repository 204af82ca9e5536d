#!/usr/bin/env bash
# Starts the loopback registry that mirrors docker.io for sandboxes, if it is not running
# (scripts/seed-registry.ts puts busybox and iperf3 in it). Used by ensure-system.sh and the container image.
set -euo pipefail

reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

REGISTRY_DIR=/var/lib/skiff/registry
if ! reachable 5000; then
  printf '\033[1m==>\033[0m %s\n' "starting the loopback image registry"
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $REGISTRY_DIR/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:5000}
YAML
  start-stop-daemon --start --oknodo --background --make-pidfile --pidfile /run/skiff-registry.pid \
    --exec /usr/bin/docker-registry -- serve "$REGISTRY_DIR/config.yml"
  for _ in $(seq 1 60); do reachable 5000 && exit 0; sleep 0.5; done
  echo "error: the image registry did not come up on 127.0.0.1:5000" >&2
  exit 1
fi

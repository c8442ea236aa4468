#!/bin/sh
# Installs what the README's two commands need, or says exactly how to.
#   setup.sh build  - the host toolchain that builds the guests (gcc -m32, GNU binutils)
#   setup.sh test   - that, plus the oracles the tests compare against (QEMU, tshark), the
#                     SeaBIOS image v86 boots in `npm run bench:emu`, and chromium, the
#                     headless browser that loads `world report`'s page in its test
# npm packages are installed from the committed lockfile when node_modules is missing or stale, and
# the TypeScript the `world` command runs is compiled to dist/ (bin/compile.js) when a source changed.
set -e
cd "$(dirname "$0")/.."

mode=${1:-build}
# Linux's build needs flex, bison, bc and libelf-dev; xz-utils unpacks its source and patch applies
# guests/linux/patches to it. Installing
# linux-source-6.1 leaves its .deb in apt's archive cache, where the linux package's fetch finds
# it without downloading it again (world.lock pins its version and sha256).
debs="gcc gcc-multilib binutils make flex bison bc libelf-dev xz-utils patch linux-source-6.1"
if [ "$mode" = test ]; then
  # qemu-user: its qemu-i386 runs the wedge's 32-bit host program in the DP83820 differential
  # test where the kernel runs no 32-bit programs (test/wedge/dp83820-diff.test.ts).
  debs="$debs qemu-system-x86 qemu-user tshark cpio seabios chromium"
fi

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $debs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $p"
    fi
  done
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "world: installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing
  else
    echo "world: missing Debian packages:$missing" >&2
    echo "world: run this, then the same command again:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$missing" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "world: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

node bin/compile.js

#!/bin/sh
# Install codex-exec-server: download the prebuilt binary for this OS and CPU from a release (as its
# .tar.gz, half the size), check it against the release's SHA256SUMS, and put it in ~/.local/bin.
# Needs only sh, curl or wget, sha256sum or shasum, and tar.
#
#   curl -fsSL https://github.com/OWNER/codex-exec-server/releases/latest/download/install.sh | sh
#
#   CODEX_EXEC_SERVER_DOWNLOAD_URL  where the release's files are (default: the latest GitHub release)
#   CODEX_EXEC_SERVER_VERSION       a release tag such as v0.1.0, instead of the latest release
#   CODEX_EXEC_SERVER_INSTALL_DIR   where to put the binary (default: ~/.local/bin)
#
# It downloads `codex-exec-server-<os>-<arch>.tar.gz` and refuses, installing nothing, when
# SHA256SUMS has no entry for it or the checksum differs.
set -eu

# OWNER is a placeholder in the source tree: the release workflow publishes an install.sh with the
# real repository here. Anyone else: set CODEX_EXEC_SERVER_DOWNLOAD_URL.
REPOSITORY_URL="https://github.com/OWNER/codex-exec-server"

say() { printf 'codex-exec-server install: %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

is_musl() {
  # glibc's ldd names glibc even where a musl loader is installed too; Alpine's names musl.
  if have ldd; then
    case "$(ldd --version 2>&1 || true)" in
    *musl*) return 0 ;;
    *) return 1 ;;
    esac
  fi
  for loader in /lib/ld-musl-*; do
    if [ -e "$loader" ]; then return 0; fi
  done
  return 1
}

# Sets $target, the artifact suffix for this host.
detect_target() {
  os=$(uname -s)
  arch=$(uname -m)
  case "$arch" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no prebuilt binary for CPU $arch (there are x86_64 and arm64 ones); build from source instead" ;;
  esac
  case "$os" in
  Linux)
    target="linux-$arch"
    if is_musl; then target="linux-$arch-musl"; fi
    ;;
  Darwin)
    # An x86_64 shell under Rosetta on Apple silicon: the native binary is the better choice.
    if [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
      arch=arm64
    fi
    target="darwin-$arch"
    ;;
  *) fail "no prebuilt binary for $os (there are Linux and macOS ones); build from source instead" ;;
  esac
}

download() { # url file
  if have curl; then
    error=$(curl -fsSL -o "$2" "$1" 2>&1) || fail "cannot download $1 ($error)"
  else
    wget -q -O "$2" "$1" || fail "cannot download $1 (wget exit code $?)"
  fi
}

sha256_of() {
  if have sha256sum; then
    line=$(sha256sum "$1") || fail "cannot checksum $1"
  else
    line=$(shasum -a 256 "$1") || fail "cannot checksum $1"
  fi
  echo "${line%% *}"
}

# The checksum SHA256SUMS lists for a file name, or nothing.
listed_sha256() { # sums-file name
  # The `||` reads a last line that lacks its newline.
  while read -r sum name || [ -n "${sum:-}" ]; do
    case "$name" in
    "$2" | "*$2")
      echo "$sum"
      return
      ;;
    esac
  done <"$1"
}

have curl || have wget || fail "needs curl or wget to download"
have sha256sum || have shasum || fail "needs sha256sum or shasum to verify the download"
have tar || fail "needs tar to unpack the download"

if [ -n "${CODEX_EXEC_SERVER_DOWNLOAD_URL:-}" ]; then
  base_url=${CODEX_EXEC_SERVER_DOWNLOAD_URL%/}
elif [ -n "${CODEX_EXEC_SERVER_VERSION:-}" ]; then
  base_url="$REPOSITORY_URL/releases/download/$CODEX_EXEC_SERVER_VERSION"
else
  base_url="$REPOSITORY_URL/releases/latest/download"
fi
if [ -n "${CODEX_EXEC_SERVER_INSTALL_DIR:-}" ]; then
  install_dir=$CODEX_EXEC_SERVER_INSTALL_DIR
elif [ -n "${HOME:-}" ]; then
  install_dir="$HOME/.local/bin"
else
  fail "HOME is not set; set CODEX_EXEC_SERVER_INSTALL_DIR to the directory to install into"
fi

detect_target
artifact="codex-exec-server-$target.tar.gz"

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t codex-exec-server) || fail "cannot create a temporary directory"
staged="$install_dir/.codex-exec-server.install.$$"
trap 'rm -rf "$tmp"; rm -f "$staged"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

download "$base_url/SHA256SUMS" "$tmp/SHA256SUMS"
expected=$(listed_sha256 "$tmp/SHA256SUMS" "$artifact")
case "$expected" in
"") fail "$base_url/SHA256SUMS has no entry for $artifact; nothing installed" ;;
*[!0-9a-f]*) fail "$base_url/SHA256SUMS has a malformed entry for $artifact; nothing installed" ;;
esac
[ "${#expected}" -eq 64 ] || fail "$base_url/SHA256SUMS has a malformed entry for $artifact; nothing installed"

say "downloading $base_url/$artifact"
download "$base_url/$artifact" "$tmp/$artifact"
actual=$(sha256_of "$tmp/$artifact")
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $artifact (expected $expected, got $actual); nothing installed"

mkdir "$tmp/unpacked" && tar -xzf "$tmp/$artifact" -C "$tmp/unpacked" codex-exec-server 2>/dev/null ||
  fail "cannot unpack $artifact (no codex-exec-server in it?); nothing installed"
mkdir -p "$install_dir" || fail "cannot create $install_dir"
{ cp "$tmp/unpacked/codex-exec-server" "$staged" && chmod 755 "$staged"; } || fail "cannot write to $install_dir"
# Run it before it replaces anything: a binary this host cannot run (wrong libc, a noexec
# directory) fails here, and a running server keeps its old binary until the rename below.
version=$("$staged" --version 2>/dev/null) || {
  hint=""
  case "$target" in *-musl) hint=" (on Alpine: apk add libstdc++ libgcc)" ;; esac
  fail "the downloaded $artifact does not run on this host$hint; nothing installed"
}
mv -f "$staged" "$install_dir/codex-exec-server" || fail "cannot write to $install_dir"

say "installed $version as $install_dir/codex-exec-server"
case ":${PATH:-}:" in
*":$install_dir:"*) ;;
*) say "$install_dir is not on your PATH; add it with: export PATH=\"$install_dir:\$PATH\"" ;;
esac

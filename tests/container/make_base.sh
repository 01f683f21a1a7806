#!/bin/sh
# Build a local stand-in for the official python:3.11-slim base image, for the container test.
#
# Public registries' images can't be pulled on the test machines, so this makes a Debian
# bookworm root filesystem (python3.11 + venv + pip from Debian) with debootstrap and imports
# it into podman's local store. The Dockerfile works on both bases (it only uses `python3`).
#
# Usage: sh tests/container/make_base.sh [IMAGE]   (default localhost/seqviz-base:bookworm)
# Needs root, debootstrap and podman. Does nothing if the image already exists.
# DEBIAN_MIRROR overrides the mirror debootstrap fetches from (default: debootstrap's own).
set -eu

image="${1:-localhost/seqviz-base:bookworm}"

if podman image exists "$image"; then
    echo "make_base: $image already exists, nothing to do"
    exit 0
fi

for tool in debootstrap podman tar; do
    command -v "$tool" >/dev/null 2>&1 || { echo "make_base: $tool is missing" >&2; exit 2; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "make_base: debootstrap needs root" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/seqviz-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT INT TERM
rootfs="$work/rootfs"

echo "make_base: debootstrap bookworm into $rootfs"
# shellcheck disable=SC2086  # DEBIAN_MIRROR is one optional word
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" ${DEBIAN_MIRROR:-}

# Keep the image small: no package lists or apt caches, no logs.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log

echo "make_base: importing as $image"
tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$work/rootfs.tar" "$image"
echo "make_base: done"

#!/usr/bin/env bash
# Writes the root filesystem of a stand-in for python:3.12-slim, made from Debian bookworm
# packages, for machines that cannot pull from a registry (see docs/image.md).
# It is laid out where the Dockerfile looks: python3, python and pip in /usr/local/bin, and pip
# free to install into the system interpreter (no EXTERNALLY-MANAGED marker), as in the official
# image. The Python is bookworm's 3.11, which the project supports (requires-python >= 3.11).
# The host's extra CA certificates are trusted inside, so that builds on it work behind a
# TLS-intercepting proxy; they are part of this stand-in only, never of the Dockerfile.
# Usage: image/stand-in-base.sh OUTPUT.tar
set -euo pipefail

output=$1
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /var/tmp/kvapi-stand-in-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
chmod 0755 "$rootfs" # mktemp made it 0700: it becomes the image's /, which every user must enter

debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg bookworm "$rootfs" "$mirror"

shopt -s nullglob
extra_cas=(/usr/local/share/ca-certificates/*.crt)
if ((${#extra_cas[@]})); then
  cp "${extra_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null
fi

rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
ln -s /usr/bin/python3 "$rootfs/usr/local/bin/python3"
ln -s python3 "$rootfs/usr/local/bin/python"
ln -s /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
ln -s pip "$rootfs/usr/local/bin/pip3"

# What the slim image leaves out too: package indexes, caches, documentation.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

tar --numeric-owner --xattrs -C "$rootfs" -cf "$output" .

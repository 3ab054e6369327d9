# The agent as a sidecar container: `vpce-doctor serve` on :9077.
#   docker build -t vpce-doctor .
# Multi-stage: compile and bundle with the dev dependencies, then a runtime stage that holds only
# the bundle (dist/cli/: the agent with its dependencies, the AWS SDK included) and the
# findings catalogue. The base image is a build argument so the
# image can be built from a local base (deploy/image/build-local.sh does that with podman).
# Node 22 (Node 20 reached end of life in April 2026), pinned by digest so a rebuild gets the
# same base until the pin is moved on purpose; the bundle targets node22 (scripts/bundle.mjs).
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# Only for networks that intercept TLS: a CA bundle already in the base. Build stage only.
ARG NODE_EXTRA_CA_CERTS
# No lifecycle scripts: `prepare` would compile before the sources are here, and the only
# install script in the lockfile is esbuild's (a dev dependency for the Lambda bundle).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY checks ./checks
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE}
# No package manager at run time: npm, npx, corepack and yarn come with the Node images and the
# agent needs none of them (they only add code to patch). Removed with node itself, in exec form,
# so a base without rm or a shell (build-local.sh's) builds the same way.
RUN ["node", "-e", "for (const p of ['/usr/local/lib/node_modules/npm', '/usr/local/lib/node_modules/corepack', '/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/bin/corepack', '/usr/local/bin/yarn', '/usr/local/bin/yarnpkg', '/opt/yarn']) require('node:fs').rmSync(p, { recursive: true, force: true }); for (const d of require('node:fs').existsSync('/opt') ? require('node:fs').readdirSync('/opt') : []) if (d.startsWith('yarn-')) require('node:fs').rmSync('/opt/' + d, { recursive: true, force: true })"]
# V8 sized for a sidecar that keeps one report and answers small requests (measured in
# bench/SERVE-RESULTS.md, "Where the memory goes"): a 1 MB young generation instead of V8's
# 16 MB semi-spaces, and an old-generation ceiling, which also makes V8 start the heap smaller
# (256 MB is far above what a 200-endpoint VPC's report needs). NODE_OPTIONS takes only these V8
# flags (not --optimize-for-size); --v8-pool-size=1, one V8 background thread instead of one per
# core, saves about 5 MB more (fewer malloc arenas). bench:serve runs the server with exactly
# these options.
ENV NODE_ENV=production \
    VPCE_DOCTOR_PORT=9077 \
    NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=256 --v8-pool-size=1"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/cli ./dist/cli
COPY bin ./bin
COPY docs ./docs
# `vpce-doctor` on PATH, so `aws ecs execute-command … --command "vpce-doctor report"` finds it.
# Node follows the link to bin/vpce-doctor.js, whose import of ../dist/cli/cli.js then resolves.
RUN ["node", "-e", "require('node:fs').symlinkSync('/app/bin/vpce-doctor.js', '/usr/local/bin/vpce-doctor')"]
# The `node` user of the Node images, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 9077
# /healthz says the process is alive; it does not depend on AWS. No curl in slim images: Node's
# fetch with a deadline. It follows VPCE_DOCTOR_PORT (set that, not --port, to move the port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VPCE_DOCTOR_PORT||9077)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/vpce-doctor.js"]
CMD ["serve"]
# OCI labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md), last so a
# new revision changes no layer. deploy/image/build-local.sh passes the version from package.json
# and the git commit; by hand:
#   docker build --build-arg VERSION="$(node -p "require('./package.json').version")" \
#     --build-arg REVISION="$(git rev-parse HEAD)" -t vpce-doctor .
ARG VERSION=unknown
ARG REVISION=unknown
# package.json's repository; deploy/image/build-local.sh passes the checkout's origin remote.
ARG SOURCE=https://github.com/vpce-doctor/vpce-doctor
LABEL org.opencontainers.image.title="vpce-doctor" \
      org.opencontainers.image.description="Can this subnet reach its AWS services through VPC endpoints, and if not, why" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

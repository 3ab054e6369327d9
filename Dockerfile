# The agent as a sidecar container: `vpce-doctor serve` on :8080.
#   docker build -t vpce-doctor .
# Multi-stage: compile and bundle with the dev dependencies, then a runtime stage that holds only
# the bundle (dist/cli/: the agent with its dependencies, the AWS SDK included) and the
# findings catalogue. The base image is a build argument so the
# image can be built from a local base (deploy/image/build-local.sh does that with podman).
ARG NODE_IMAGE=node:20-bookworm-slim

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
ENV NODE_ENV=production \
    VPCE_DOCTOR_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/cli ./dist/cli
COPY bin ./bin
COPY docs ./docs
# The `node` user of the Node images, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# /healthz says the process is alive; it does not depend on AWS. No curl in slim images: Node's
# fetch with a deadline. It follows VPCE_DOCTOR_PORT (set that, not --port, to move the port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VPCE_DOCTOR_PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/vpce-doctor.js"]
CMD ["serve"]

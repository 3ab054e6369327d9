# The agent as a container. Multi-stage: build with dev dependencies, run with production ones.
# The base image is a build argument so the image can be built from a local base.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY checks ./checks
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY docs ./docs
USER node
# One report per start; `serve` (the HTTP API for sidecars) arrives with its own issue.
ENTRYPOINT ["node", "/app/bin/vpce-doctor.js"]
CMD ["report"]

# keepstore-ts server image: `docker compose up` (see docker-compose.yml) or
#   docker build -t keepstore-ts . && docker run -v $PWD/keepstore.yml:/etc/keepstore/keepstore.yml:ro keepstore-ts
# Build stage: install everything (TypeScript is a dev dependency), compile, drop dev deps.
FROM node:20-slim AS build
WORKDIR /app
# Manifests and the committed bin launcher first (npm links a workspace bin only if its
# target exists at install time), so the dependency layer is cached across source edits.
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/protocol/package.json packages/protocol/tsconfig.json packages/protocol/
COPY packages/server/package.json packages/server/tsconfig.json packages/server/
COPY packages/server/bin packages/server/bin
RUN npm ci --no-audit --no-fund
COPY packages/protocol/src packages/protocol/src
COPY packages/server/src packages/server/src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
# The volume root of the compose setup, owned by the unprivileged user (a named volume
# mounted here starts with this ownership).
RUN mkdir -p /var/lib/keep/0 /etc/keepstore && chown -R node:node /var/lib/keep
USER node
EXPOSE 25107
# SIGTERM reaches node directly (exec form): the primary stops its workers cleanly.
ENTRYPOINT ["node", "packages/server/bin/keepstore.js"]
CMD ["--config", "/etc/keepstore/keepstore.yml"]

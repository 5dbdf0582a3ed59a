# syntax=docker/dockerfile:1
# The diskless-kafka broker image: broker/main.ts bundled with esbuild (broker/bundle.ts), on
# Node.js 24, run as the unprivileged `node` user (uid 1000; the hosts' bootstrap gives this uid
# the WAL directory). Node.js 24 is the LTS line with the longest support (to April 2028): Node.js
# 20 reached its end of life in April 2026 and the AWS SDK drops it in January 2027. CI runs the
# test suite on Node.js 24 as well as on the development machines' Node.js 20 (.ci/run).
#
# CDK builds it when the app's assets are published (`cdk deploy`), for the fleet's CPU
# architecture (linux/arm64 on Graviton); `cdk synth` needs no Docker. Configuration comes from
# DK_* environment variables (docs/infrastructure.md). The base image comes from the public ECR
# mirror of Docker's official images, which needs no login; override it with
# --build-arg NODE_IMAGE=... (BrokerImage.fromAsset({ buildArgs })).
ARG NODE_IMAGE=public.ecr.aws/docker/library/node:24-bookworm-slim

# Production dependencies only, as the lockfile pins them (native @node-rs/crc32 for this platform).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The broker's TypeScript as JavaScript (dist/broker.js, and dist/s3-put-worker.js beside it for
# the S3 store's PUT thread); npm packages stay external (resolved from deps).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY lib/capacity ./lib/capacity
COPY broker ./broker
RUN npx tsx broker/bundle.ts dist

FROM ${NODE_IMAGE} AS runtime
# DK_DATA_DIR: the broker's local scratch directory, writable by the node user. The WAL
# (DK_WAL_DIR) and the objects (DK_OBJECT_STORE) are set elsewhere by the fleet.
ENV NODE_ENV=production DK_DATA_DIR=/var/lib/diskless-kafka
WORKDIR /app
RUN mkdir -p /var/lib/diskless-kafka && chown node:node /var/lib/diskless-kafka
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./package.json
COPY --from=build /src/dist ./dist
USER node
EXPOSE 9092
ENTRYPOINT ["node", "--enable-source-maps", "--initial-old-space-size=128", "dist/broker.js"]

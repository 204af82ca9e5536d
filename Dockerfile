# One image for every Skiff service (docker-compose.yml runs each as its own container). The
# sandbox agent needs the OCI runtimes and a privileged container (namespaces, cgroups, mounts,
# nftables). Services run compiled (dist/), never through a runtime transpiler.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
      runc conmon runsc skopeo umoci containernetworking-plugins docker-registry busybox-static nftables iproute2 socat haproxy \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /skiff
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npx swc apps libs scripts bench -d dist --config-file .swcrc.build.json --ignore '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/*.fixture.ts' --quiet
ENV SKIFF_STATE_DIR=/state NODE_OPTIONS=--enable-source-maps
CMD ["node", "dist/apps/api-gateway/src/main.js"]

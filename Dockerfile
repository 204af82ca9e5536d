# One image for the whole Skiff stack (docker-compose.yml). The sandbox agent needs the OCI
# runtimes and a privileged container (namespaces, cgroups, mounts, nftables).
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
      runc conmon runsc skopeo umoci containernetworking-plugins docker-registry busybox-static nftables iproute2 socat \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /skiff
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
ENV SKIFF_STATE_DIR=/state SKIFF_API_HOST=0.0.0.0
EXPOSE 6443
CMD ["sh", "-c", "bash scripts/ensure-registry.sh && node -r @swc-node/register scripts/seed-registry.ts --state-dir /var/lib/skiff && exec node -r @swc-node/register scripts/dev-stack.ts"]

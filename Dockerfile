# One image for every Skiff service (docker-compose.yml runs each as its own container). The
# sandbox agent needs the OCI runtimes and a privileged container (namespaces, cgroups, mounts,
# nftables). Services run compiled (dist/), never through a runtime transpiler.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
      runc conmon runsc skopeo umoci containernetworking-plugins docker-registry busybox-static nftables iproute2 socat haproxy \
      golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev golang-github-burntsushi-toml-dev \
      golang-github-gobwas-glob-dev golang-github-xeipuuv-gojsonschema-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /skiff
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# The services, and the Helm chart renderer (Go to WebAssembly, scripts/build-helm-renderer.sh).
RUN npm run compile
ENV SKIFF_STATE_DIR=/state NODE_OPTIONS=--enable-source-maps
CMD ["node", "dist/apps/api-gateway/src/main.js"]

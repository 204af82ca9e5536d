# One image for every Skiff service; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /skiff
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
ENV SKIFF_STATE_DIR=/state SKIFF_API_HOST=0.0.0.0
EXPOSE 6443
CMD ["node", "-r", "@swc-node/register", "scripts/dev-stack.ts"]

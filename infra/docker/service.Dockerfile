# One image per service: docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=formation .
# The services run their TypeScript through tsx, exactly the code the tests cover.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxml2-utils openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && npm install --global pnpm@9.15.9
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile
ARG SERVICE
ENV SERVICE=${SERVICE} NODE_ENV=production TWINCONTOUR_HTTP_HOST=0.0.0.0
USER node
WORKDIR /app/services/${SERVICE}
CMD ["sh", "-c", "exec node --import tsx src/main.ts"]

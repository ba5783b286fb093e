# drsentinel — production image. Build: docker build -t drsentinel .
# Run:   docker run -v /etc/drsentinel:/etc/drsentinel:ro -v drsentinel-state:/var/lib/drsentinel \
#          -p 8080:8080 drsentinel
# The lab twin (dev dependencies) is not in this image: a config file is required.

FROM node:20-bookworm AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY probes ./probes
COPY reports ./reports
COPY lab ./lab
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DRSENTINEL_CONFIG=/etc/drsentinel/drsentinel.yaml \
    DRSENTINEL__SERVICE__HOST=0.0.0.0 \
    DRSENTINEL__SERVICE__STATE_DIR=/var/lib/drsentinel
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /var/lib/drsentinel && chown node:node /var/lib/drsentinel
USER node
EXPOSE 8080
VOLUME ["/var/lib/drsentinel"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]

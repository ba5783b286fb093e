# drsentinel — production image. Build: docker build -t drsentinel .
# Run:   docker run -v /etc/drsentinel:/etc/drsentinel:ro -v drsentinel-state:/var/lib/drsentinel \
#          -p 8080:8080 drsentinel
# The lab twin (dev dependencies) is not in this image: a config file is required.
# Node.js 24 LTS in both stages: the native module installed in the first runs in the second,
# so both share one Node ABI and one Debian (bookworm, its glibc).

FROM node:24-bookworm-slim AS build
WORKDIR /app
# No toolchain: the SQLite driver's package carries its binary for this platform. Should a
# native build ever be needed, the image's Node has its headers under /usr/local/include/node.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY probes ./probes
COPY reports ./reports
COPY lab ./lab
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DRSENTINEL_CONFIG=/etc/drsentinel/drsentinel.yaml \
    DRSENTINEL__SERVICE__HOST=0.0.0.0 \
    DRSENTINEL__SERVICE__STATE_DIR=/var/lib/drsentinel
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /var/lib/drsentinel && chown node:node /var/lib/drsentinel
# The image's own non-root user: the service needs no privilege (port 8080, its state volume).
USER node
EXPOSE 8080
VOLUME ["/var/lib/drsentinel"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]

# The portal's production image: the same build and the same start as `npm start` and the tests
# (e2e/support/portal.ts runs exactly the CMD below; lib/deploy.test.ts checks that they agree).
#   docker build -t sso-portal .
#   docker run -p 3000:3000 -e PUBLIC_URL=https://sso.example.com -e DATABASE_URL=postgres://… -e AUTH_SECRET=… sso-portal

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
# `npm install` installs exactly the locked versions (scripts/test.sh says why not `npm ci`).
RUN npm install --no-audit --no-fund
COPY . .
RUN npx next build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 DATA_DIR=/data DEMO_MODE=false
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME /data
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--conditions=react-server", "scripts/start.mjs"]

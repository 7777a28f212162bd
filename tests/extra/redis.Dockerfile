# A Redis image from Debian's redis-server, for the Compose stack test (tests/extra/compose.sh)
# on machines that reach no image registry. It stands in for the official image that
# docker/docker-compose.yml names: same commands on the PATH (sh, redis-server, redis-cli),
# data in /data.
ARG BASE=debian:12-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]

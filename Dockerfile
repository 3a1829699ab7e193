# circlebot's container image: a cgo build (the SQLite driver is C), run as
# a non-root user on a minimal image, the database on a volume at /data.
#
#   docker build -t circlebot .
#   docker run --rm circlebot demo --serve          # the simulator, no token
#   docker run -d --name circlebot -e DISCORD_TOKEN \
#     -v circlebot-data:/data -v "$PWD/config.toml:/etc/circlebot/config.toml:ro" circlebot
#
# See docs/OPERATIONS.md ("Running in a container") and compose.yaml.

# The build stage's Go is the module's (go.mod's go line); a test checks.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION names the build in `circlebot version` (a tag, say): the .git
# directory isn't copied in, so Go can't read the revision itself.
ARG VERSION=""
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/circlebot . \
 && mkdir -p /out/state/data

# distroless "base" has glibc (the cgo build links it), CA certificates for
# discord.com, and a nonroot user (65532); no shell, no package manager.
# Time zones come from the binary: it embeds time/tzdata. Same Debian
# release as the build stage, so the glibc matches.
FROM gcr.io/distroless/base-debian13:nonroot
COPY --from=build /out/circlebot /usr/local/bin/circlebot
# The volume's mount point, owned by the user the bot runs as: a new named
# volume takes this ownership. (Copied as an entry of state/, so that
# --chown applies to the directory itself.) data.path = "circlebot.db" is
# relative to the working directory, so the database is /data/circlebot.db.
COPY --from=build --chown=65532:65532 /out/state/ /
COPY config.example.toml /etc/circlebot/config.toml
WORKDIR /data
VOLUME ["/data"]
USER 65532:65532
# circlebot stops cleanly on SIGTERM: it closes the gateway and the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/circlebot"]
CMD ["run", "--config", "/etc/circlebot/config.toml"]

# A CPU job worker. Build from the repository root:
#   docker build -f deploy/worker-cpu.Dockerfile -t platform-worker-cpu .
# Debian's libtorch 1.13 (with OpenBLAS) is the same library `./platform setup` builds against here.

FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake g++ make libtorch-dev libopenblas0-openmp libstb-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY migrations/ migrations/
RUN src/Platform.Training/native/build.sh \
 && dotnet publish src/Platform.Worker/Platform.Worker.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libtorch1.13 libopenblas0-openmp \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV Storage__Root=/data/artifacts \
    Data__Migrations=Check \
    Worker__DeviceKind=cpu \
    Worker__DeviceName=CPU
RUN mkdir -p /data/artifacts && chown app:app /data/artifacts
USER app
# SIGTERM checkpoints running jobs and releases them; give it time before the engine kills it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "platform-worker.dll"]

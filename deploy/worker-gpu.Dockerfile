# A GPU job worker: the shim is built against the CUDA libtorch that ships in the PyTorch devel image
# (see src/Platform.Training/native/README.md). Build from the repository root:
#   docker build -f deploy/worker-gpu.Dockerfile -t platform-worker-gpu .
# Run with the NVIDIA container toolkit (compose asks for the GPU, see docker-compose.yml).

ARG PYTORCH_IMAGE=pytorch/pytorch:2.4.1-cuda12.4-cudnn9-devel
FROM ${PYTORCH_IMAGE} AS native
RUN apt-get update && apt-get install -y --no-install-recommends cmake g++ make libstb-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY src/Platform.Training/native/ src/Platform.Training/native/
RUN Torch_DIR="$(python -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')" \
    src/Platform.Training/native/build.sh

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY migrations/ migrations/
COPY --from=native /src/src/Platform.Training/native/build/libplatform_torch.so src/Platform.Training/native/build/
RUN dotnet publish src/Platform.Worker/Platform.Worker.csproj -c Release -o /app

# The runtime keeps the PyTorch image: the shim must run against the libtorch it was built with.
FROM ${PYTORCH_IMAGE}
# The .NET runtime comes from Microsoft's runtime image, layer for layer (no install script).
COPY --from=mcr.microsoft.com/dotnet/runtime:10.0 /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app ./
ENV Storage__Root=/data/artifacts \
    Data__Migrations=Check \
    Worker__DeviceKind=cuda \
    PLATFORM_TORCH_NATIVE=/app/libplatform_torch.so
RUN echo "/opt/conda/lib/python3.11/site-packages/torch/lib" > /etc/ld.so.conf.d/torch.conf && ldconfig
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "platform-worker.dll"]

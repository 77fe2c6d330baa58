# Portal image: the same binary for the web role and the worker role (the `worker` verb chooses the role).
# TORCH_BACKEND=cpu (web image: CPU libtorch) or cuda (GPU worker image: restores the CUDA build of libtorch for
# TorchSharp; the NVIDIA driver comes from the host through the NVIDIA container toolkit).
#   docker build --build-arg TORCH_BACKEND=cuda -t portal-worker .
ARG TORCH_BACKEND=cpu
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
# Restore first (cached while only sources change).
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props Portal.sln ./
COPY build/ build/
COPY Portal.Core/Portal.Core.csproj Portal.Core/
COPY Portal.Client/Portal.Client.csproj Portal.Client/
COPY Portal.Server/Portal.Server.csproj Portal.Server/
RUN dotnet restore Portal.Server -p:TorchBackend=${TORCH_BACKEND}
COPY . .
RUN dotnet publish Portal.Server -c Release -o /app --no-restore -p:TorchBackend=${TORCH_BACKEND}

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl: the compose health check of the web role (/health/ready).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080 \
    DataDirectory=/var/lib/portal
VOLUME /var/lib/portal
EXPOSE 8080
ENTRYPOINT ["dotnet", "Portal.Server.dll"]

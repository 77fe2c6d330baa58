# Portal image: the same binary for the web role and the worker role.
# TORCH_BACKEND=cpu (web) or cuda (GPU worker: restores the CUDA build of libtorch for TorchSharp).
ARG TORCH_BACKEND=cpu
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish Portal.Server -c Release -o /app -p:TorchBackend=${TORCH_BACKEND}

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080 \
    DataDirectory=/var/lib/portal
VOLUME /var/lib/portal
EXPOSE 8080
ENTRYPOINT ["dotnet", "Portal.Server.dll"]

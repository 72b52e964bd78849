# The portal image. Build from the repository root:
#   docker build -f deploy/web.Dockerfile -t platform-web .
# Three stages so that neither Node nor the .NET SDK ends up in the image that runs.

# 1. Front-end assets, exactly as ./platform setup does it: npm ci from the lock file, then copy
#    only the files listed in assets.txt under wwwroot/lib.
FROM node:20-bookworm-slim AS assets
WORKDIR /web
COPY src/Platform.Web/package.json src/Platform.Web/package-lock.json src/Platform.Web/assets.txt ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && while read -r src dst; do \
      [ -n "$src" ] || continue; \
      mkdir -p "wwwroot/lib/$(dirname "$dst")"; \
      cp "node_modules/$src" "wwwroot/lib/$dst"; \
    done < assets.txt

# 2. Build and publish. Project files first so the restore layer is cached across code edits.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Platform.Domain/Platform.Domain.csproj src/Platform.Domain/
COPY src/Platform.Data/Platform.Data.csproj src/Platform.Data/
COPY src/Platform.Web/Platform.Web.csproj src/Platform.Web/
RUN dotnet restore src/Platform.Web/Platform.Web.csproj
COPY src/Platform.Domain/ src/Platform.Domain/
COPY src/Platform.Data/ src/Platform.Data/
COPY src/Platform.Web/ src/Platform.Web/
COPY migrations/ migrations/
# The static web assets manifest is computed at build time, so the npm files must be in place first.
COPY --from=assets /web/wwwroot/lib/ src/Platform.Web/wwwroot/lib/
RUN dotnet publish src/Platform.Web/Platform.Web.csproj -c Release -o /app --no-restore

# 3. Runtime: the ASP.NET Core image, running as its non-root user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Storage__Root=/data/artifacts
RUN mkdir -p /data/artifacts /data/keys && chown app:app /data/artifacts /data/keys
USER app
EXPOSE 8080
ENTRYPOINT ["dotnet", "Platform.Web.dll"]

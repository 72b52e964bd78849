#!/usr/bin/env bash
# Regenerates Generated/ from an OpenAPI document: ./generate.sh path/to/v1.json (or a URL of /openapi/v1.json).
# The same command the API client test runs; Kiota comes from the repository's tool manifest (dotnet tool restore).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=${2:-$here/Generated}
# No update check and no telemetry: the build machines reach no one but the package registries.
export KIOTA_UPDATE__DISABLED=true KIOTA_TELEMETRY__OPTOUT=true DOTNET_CLI_TELEMETRY_OPTOUT=1
cd "$here/../.." && dotnet tool run kiota generate -l CSharp -d "$1" -o "$out" -c PlatformApiClient -n Platform.Api.Client \
  --exclude-backward-compatible --clean-output --log-level Warning >/dev/null
# The lock file records where the document came from and the log is per run: neither belongs to the client.
rm -f "$out/kiota-lock.json" "$out/.kiota.log"

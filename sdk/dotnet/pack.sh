#!/usr/bin/env bash
# Packs AgentOps.Sdk and AgentOps.Sdk.OpenAI (NuGet) into the given folder (default: sdk/dotnet/artifacts, git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-artifacts}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for project in src/AgentOps.Sdk/AgentOps.Sdk.csproj src/AgentOps.Sdk.OpenAI/AgentOps.Sdk.OpenAI.csproj; do
  dotnet pack "$project" -c Release -nologo -v quiet -clp:ErrorsOnly -p:PackageOutputPath="$out"
done
ls -1 "$out"/*.nupkg

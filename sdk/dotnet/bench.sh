#!/usr/bin/env bash
# The .NET SDK's benchmark: prints ONE JSON line (record_llm_call p50/p99 on the caller's thread, events/s acknowledged
# by AGENTOPS_SDK_TEST_URL when set, and the queue and managed heap after 60 s of a dead server; --quick: 10 s).
set -euo pipefail
cd "$(dirname "$0")"
dotnet build bench/AgentOps.Sdk.Bench/AgentOps.Sdk.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet bench/AgentOps.Sdk.Bench/bin/Release/net10.0/AgentOps.Sdk.Bench.dll "$@"

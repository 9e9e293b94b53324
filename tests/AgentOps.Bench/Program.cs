using AgentOps.Bench;

// ./agentops bench ingest → dotnet AgentOps.Bench.dll ingest --seconds 30 --clients 32
if (args.FirstOrDefault() == "policy-eval") return PolicyBench.Run(args);
if (args.FirstOrDefault() == "input-gate") return InputGateBench.Run(args);
if (args.FirstOrDefault() == "guardrails") return await GuardrailsBench.RunAsync(args);
if (args.FirstOrDefault() == "policy") return await PolicyCheckBench.RunAsync(args);
if (args.FirstOrDefault() == "analytics") return await AnalyticsBench.RunAsync(args);
if (args.FirstOrDefault() == "export") return await ExportBench.RunAsync(args);
if (args.FirstOrDefault() == "orchestration") return await OrchestrationBench.RunAsync(args);
if (args.FirstOrDefault() == "dashboard") return await DashboardBench.RunAsync(args);
var options = BenchOptions.Parse(args);
return options.Name switch
{
    "ingest" => await IngestBench.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AgentOps.Bench ingest [--seconds N] [--clients N] [--batch N]  (env: AGENTOPS_URL, AGENTOPS_BENCH_OWNER_DATABASE_URL)");
    Console.Error.WriteLine("       AgentOps.Bench policy [--seconds N] [--rate N]  (env: AGENTOPS_URL)");
    Console.Error.WriteLine("       AgentOps.Bench policy-eval [--quick]");
    Console.Error.WriteLine("       AgentOps.Bench input-gate [--quick]");
    Console.Error.WriteLine("       AgentOps.Bench guardrails [--quick]");
    Console.Error.WriteLine("       AgentOps.Bench analytics [--quick]  (env: AGENTOPS_BENCH_OWNER_DATABASE_URL, AGENTOPS_BENCH_DATABASE_URL, AGENTOPS_BENCH_CLICKHOUSE_URL)");
    Console.Error.WriteLine("       AgentOps.Bench export [--events N] [--quick] [--batch N] [--parallelism N]  (env: AGENTOPS_URL, AGENTOPS_BENCH_OWNER_DATABASE_URL, AGENTOPS_BENCH_CLICKHOUSE_URL)");
    Console.Error.WriteLine("       AgentOps.Bench orchestration  (env: AGENTOPS_BENCH_STORAGE_CONNECTION_STRING)");
    Console.Error.WriteLine("       AgentOps.Bench dashboard [--quick] [--rounds N] [--idle-seconds N]  (env: AGENTOPS_URL, AGENTOPS_BENCH_CLICKHOUSE_SERVER_URL, AGENTOPS_BENCH_OWNER_DATABASE_URL, AGENTOPS_BENCH_CLICKHOUSE_URL)");
    return 2;
}

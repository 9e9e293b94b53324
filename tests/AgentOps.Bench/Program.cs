using AgentOps.Bench;

// ./agentops bench ingest → dotnet AgentOps.Bench.dll ingest --seconds 30 --clients 32
if (args.FirstOrDefault() == "policy-eval") return PolicyBench.Run(args);
if (args.FirstOrDefault() == "policy") return await PolicyCheckBench.RunAsync(args);
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
    return 2;
}

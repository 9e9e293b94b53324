using System.Globalization;

namespace AgentOps.Bench;

public sealed record BenchOptions(string Name, Uri Url, string OwnerDatabaseUrl, int Seconds, int Clients, int BatchSize, string? Timeline = null)
{
    public static BenchOptions Parse(string[] args)
    {
        int Int(string flag, int fallback)
        {
            var i = Array.IndexOf(args, flag);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        string? Str(string flag)
        {
            var i = Array.IndexOf(args, flag);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        return new BenchOptions(
            args.FirstOrDefault() ?? "",
            new Uri(Environment.GetEnvironmentVariable("AGENTOPS_URL") ?? "http://127.0.0.1:7071"),
            Environment.GetEnvironmentVariable("AGENTOPS_BENCH_OWNER_DATABASE_URL") ?? throw new InvalidOperationException("AGENTOPS_BENCH_OWNER_DATABASE_URL is required (verification and the COPY baseline)."),
            Int("--seconds", 30), Int("--clients", 32), Int("--batch", 100), Str("--timeline"));
    }
}

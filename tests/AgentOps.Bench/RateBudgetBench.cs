using System.Diagnostics;
using AgentOps.Platform.Database;
using AgentOps.Providers.RateBudgets;
using Npgsql;

namespace AgentOps.Bench;

/// <summary>
/// What <see cref="RateBudgetBench.RunAsync"/> measured: per round, how many of <see cref="RateBudgetBench.Calls"/>
/// concurrent reservations were admitted against a cap of <see cref="RateBudgetBench.Cap"/> requests per minute;
/// the overshoot (admitted beyond the cap in any one window, summed over rounds: the figure must be 0, also as the
/// counters in Postgres say); and the latency of one reservation (ReserveAsync, a transaction on the shared database)
/// in the burst (mostly the wait for the key's row: the burst's reservations take it one after the other) and alone
/// (<see cref="RateBudgetBench.Sequential"/> reservations one after the other, the cost of one).
/// </summary>
public sealed record RateBudgetFigures(int Rounds, int Calls, int Cap, int Replicas, long Overshoot, IReadOnlyList<int> AdmittedPerRound,
    double ReserveP50Ms, double ReserveP99Ms, double ReserveMaxMs, double AloneP50Ms, double AloneP99Ms);

/// <summary>
/// The shared rate budgets under contention: 200 reservations at once, spread over several replicas (each its own
/// connection pool, as separate processes would have), against a budget of 100 requests per minute, a few rounds.
/// Called by the guardrails bench; needs a database with the migrations applied.
/// </summary>
public static class RateBudgetBench
{
    public const int Calls = 200;
    public const int Cap = 100;
    public const int Replicas = 4;

    /// <summary>Connections per replica: 64 in all, under Postgres' default of 100 with the bench's own.</summary>
    public const int PoolSize = 16;

    /// <summary>Reservations made one after the other to time one alone.</summary>
    public const int Sequential = 200;

    /// <summary>Tokens each call reserves: the token budget (the default 800,000) is not what this measures.</summary>
    public const long TokensPerCall = 1000;

    /// <param name="connectionString">A Postgres connection string (keyword form, or normalize a URL first) of a role with the application's grants
    /// (agentops_app, row-level security on, or the schema owner); the migrations must be applied.</param>
    public static async Task<RateBudgetFigures> RunAsync(string connectionString, int rounds = 5, CancellationToken ct = default)
    {
        var sources = Enumerable.Range(0, Replicas)
            .Select(_ => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = PoolSize }.ConnectionString)).ToList();
        try
        {
            var options = new RateBudgetOptions { DefaultRpm = Cap };
            var budgets = sources.Select(s => new PostgresRateBudget(new Db(s), options, TimeProvider.System)).ToList();
            var latencies = new List<double>(rounds * Calls);
            var admittedPerRound = new List<int>();
            long overshoot = 0;
            // Warm the pools (every connection) and the statements: a connection's start-up is not a reservation's cost.
            var warmUp = new RateKey(Guid.NewGuid(), "bench", "warm-up");
            await Task.WhenAll(Enumerable.Range(0, Calls).Select(i => budgets[i % budgets.Count].ReserveAsync(warmUp, 1, ct)));
            for (var round = 0; round < rounds; round++)
            {
                // A new organization each round: a fresh key, a budget untouched by the rounds before.
                var key = new RateKey(Guid.NewGuid(), "bench", "gpt-bench");
                using var start = new SemaphoreSlim(0);
                var calls = Enumerable.Range(0, Calls).Select(i => Task.Run(async () =>
                {
                    await start.WaitAsync(ct);
                    var clock = Stopwatch.StartNew();
                    var answer = await budgets[i % budgets.Count].ReserveAsync(key, TokensPerCall, ct);
                    return (Answer: answer, Ms: clock.Elapsed.TotalMilliseconds);
                }, ct)).ToList();
                start.Release(Calls);
                var results = await Task.WhenAll(calls);
                latencies.AddRange(results.Select(r => r.Ms));
                var admitted = results.Select(r => r.Answer).OfType<RateAdmission.Admitted>().ToList();
                admittedPerRound.Add(admitted.Count);
                // Per window (a round may straddle a minute's edge): what was admitted, and what the shared counter holds.
                foreach (var window in admitted.GroupBy(a => a.Reservation.ExpiresAt))
                {
                    var counted = await new Db(sources[0]).InOrgAsync(key.OrgId, async tx =>
                        (await RateBudgetStore.WindowAsync(tx, key, window.Key - RateBudgetRules.Window, ct)).Requests, ct);
                    overshoot += Math.Max(0, Math.Max(window.Count(), counted) - Cap);
                }
            }
            latencies.Sort();
            var alone = new List<double>(Sequential);
            var roomy = new PostgresRateBudget(new Db(sources[0]), new RateBudgetOptions { DefaultRpm = RateBudgetRules.MaxRpm }, TimeProvider.System);
            var aloneKey = new RateKey(Guid.NewGuid(), "bench", "gpt-alone");
            for (var i = 0; i < Sequential; i++)
            {
                var clock = Stopwatch.StartNew();
                await roomy.ReserveAsync(aloneKey, TokensPerCall, ct);
                alone.Add(clock.Elapsed.TotalMilliseconds);
            }
            alone.Sort();
            return new RateBudgetFigures(rounds, Calls, Cap, Replicas, overshoot, admittedPerRound, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
                Percentile(alone, 0.50), Percentile(alone, 0.99));
        }
        finally
        {
            foreach (var s in sources) await s.DisposeAsync();
        }
    }

    private static double Percentile(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}

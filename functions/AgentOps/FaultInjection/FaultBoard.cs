namespace AgentOps.FaultInjection;

/// <summary>When an armed fault strikes: before the endpoint runs (it never runs), or after it ran to its end.</summary>
public enum FaultTiming { Before, After }

/// <summary>What a caller arms: answer requests to <see cref="Path"/> with <see cref="Status"/>, <see cref="Times"/> times.</summary>
public sealed record FaultSpec(string Path, int Status, FaultTiming When, int Times, int? RetryAfterSeconds);

/// <summary>A fault as the API shows it: what was armed, how many strikes remain and how many requests it answered.</summary>
public sealed record FaultView(Guid Id, string Path, int Status, FaultTiming When, int Times, int Remaining, int Hits, int? RetryAfterS);

/// <summary>A fault that struck one request: the answer to give instead of the endpoint's.</summary>
public sealed record FaultStrike(Guid Id, int Status, FaultTiming When, int? RetryAfterSeconds);

/// <summary>
/// The armed faults of every organization, in memory and per process (a second replica has its own board; tests run
/// one server). Test-only state, never tenant data: nothing here is stored or audited. Thread-safe: each organization's
/// list is changed under its own lock, so concurrent requests consume strikes exactly once and in the order armed.
/// </summary>
public sealed class FaultBoard
{
    /// <summary>Faults an organization may hold at once (used-up ones included, until cleared): a test arms a handful.</summary>
    public const int MaxFaultsPerOrganization = 100;

    /// <summary>
    /// The most of an endpoint's answer an "after" fault buffers (to throw it away): past it the endpoint is stopped and
    /// the fault answers at once, so a stream (/live) or a huge answer cannot grow the server's memory.
    /// </summary>
    public const int MaxAfterBufferBytes = 1024 * 1024;

    /// <summary>The buffer limit in force: <see cref="MaxAfterBufferBytes"/>; a test lowers it to reach it with a small answer.</summary>
    public int AfterBufferLimitBytes { get; set; } = MaxAfterBufferBytes;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, List<Armed>> _byOrg = new();

    /// <summary>Arms a fault; null when the organization already holds <see cref="MaxFaultsPerOrganization"/>.</summary>
    public FaultView? Arm(Guid orgId, FaultSpec spec)
    {
        var list = _byOrg.GetOrAdd(orgId, _ => []);
        lock (list)
        {
            if (list.Count >= MaxFaultsPerOrganization) return null;
            var armed = new Armed(Guid.CreateVersion7(), spec) { Remaining = spec.Times };
            list.Add(armed);
            return armed.View();
        }
    }

    /// <summary>The organization's faults in the order armed, used-up ones included.</summary>
    public IReadOnlyList<FaultView> List(Guid orgId)
    {
        if (!_byOrg.TryGetValue(orgId, out var list)) return [];
        lock (list) return list.Select(a => a.View()).ToList();
    }

    public void Clear(Guid orgId)
    {
        if (!_byOrg.TryGetValue(orgId, out var list)) return;
        lock (list) list.Clear();
    }

    /// <summary>
    /// The first fault armed for this path (exact, any case, a trailing slash or not) that has strikes left, which this
    /// request uses up; null when none matches. A request consumes at most one strike.
    /// </summary>
    public FaultStrike? Strike(Guid orgId, string path)
    {
        if (!_byOrg.TryGetValue(orgId, out var list)) return null;
        path = NormalizePath(path);
        lock (list)
        {
            foreach (var armed in list)
            {
                if (armed.Remaining == 0 || !NormalizePath(armed.Spec.Path).Equals(path, StringComparison.OrdinalIgnoreCase)) continue;
                armed.Remaining--;
                armed.Hits++;
                return new FaultStrike(armed.Id, armed.Spec.Status, armed.Spec.When, armed.Spec.RetryAfterSeconds);
            }
            return null;
        }
    }

    /// <summary>
    /// A path as faults compare it: without its trailing slashes (routing takes /api/v1/ingest/ for /api/v1/ingest),
    /// except the root itself.
    /// </summary>
    public static string NormalizePath(string path) => path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/" : path;

    private sealed class Armed(Guid id, FaultSpec spec)
    {
        public Guid Id { get; } = id;
        public FaultSpec Spec { get; } = spec;
        public int Remaining { get; set; }
        public int Hits { get; set; }

        public FaultView View() => new(Id, Spec.Path, Spec.Status, Spec.When, Spec.Times, Remaining, Hits, Spec.RetryAfterSeconds);
    }
}

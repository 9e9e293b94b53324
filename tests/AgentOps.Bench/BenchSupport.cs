using AgentOps.Platform;

namespace AgentOps.Bench;

/// <summary>What the benches share: the settings the ./agentops script hands them.</summary>
public static class BenchSupport
{
    public static string Env(string name, string bench) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
        ? v : throw new InvalidOperationException($"{name} is required (./agentops bench {bench} sets it).");

    /// <summary>A postgresql:// URL as an Npgsql connection string.</summary>
    public static string Normalize(string url)
    {
        var errors = new List<string>();
        var cs = ConnectionStrings.Normalize(url, "bench url", errors);
        return errors.Count == 0 ? cs : throw new InvalidOperationException(string.Join("; ", errors));
    }

    /// <summary>
    /// The machine's CPU ticks so far, from the first line of /proc/stat (Linux; zeros elsewhere): all of them, and those
    /// stolen by the hypervisor for other guests. These VMs are shared; steal is why the same run can vary severalfold.
    /// </summary>
    public static (long Total, long Steal) CpuTicks()
    {
        if (!File.Exists("/proc/stat")) return (0, 0);
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (fields.Take(8).Sum(), fields.Length > 7 ? fields[7] : 0); // user nice system idle iowait irq softirq steal
    }

    /// <summary>The share of the machine's CPU time stolen between two readings, in percent.</summary>
    public static double StealPercent((long Total, long Steal) before, (long Total, long Steal) after) =>
        after.Total == before.Total ? 0 : Math.Round(100.0 * (after.Steal - before.Steal) / (after.Total - before.Total), 1);
}

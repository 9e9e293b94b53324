using System.Globalization;
using AgentOps.Platform;

namespace AgentOps.Orchestrations.Engine;

/// <summary>The self-host engine's settings, read and validated by <see cref="EngineSetup.AddAgentOpsEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>Orchestration activities (job shards) this process runs at once (0: none, it only serves).</summary>
    public int JobWorkers { get; init; } = 4;

    /// <summary>How often the job timer looks for due jobs and schedules (at once for jobs created on this process).</summary>
    public TimeSpan JobsDispatchInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The task hub: an Azure Storage connection string (Azurite locally, the backend Durable Functions uses on Azure),
    /// or null to keep orchestrations in memory (a restart then starts running jobs again from their Postgres
    /// checkpoints). The rest tunes the Azure Storage provider for one box (docs/jobs.md#engine-settings).
    /// </summary>
    public string? TaskHubStorage { get; init; }
    public string TaskHubName { get; init; } = "agentops";
    public int TaskHubPartitions { get; init; } = 1;
    public TimeSpan TaskHubPollingInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan TaskHubVisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stable across restarts (a new id waits out the partition lease) and distinct per process on one box: machine name and listen port.</summary>
    public string TaskHubWorkerId { get; init; } = Environment.MachineName;

    /// <summary>Reads AGENTOPS_JOB_WORKERS, AGENTOPS_JOBS_DISPATCH_SECONDS and AGENTOPS_TASK_HUB_* (docs/configuration.md).</summary>
    public static EngineOptions Read(Settings settings, string listenUrl) => new()
    {
        JobWorkers = settings.Int("AGENTOPS_JOB_WORKERS", 4, 0, 64),
        JobsDispatchInterval = TimeSpan.FromSeconds(settings.Int("AGENTOPS_JOBS_DISPATCH_SECONDS", 10, 1, 3600)),
        TaskHubStorage = settings.Text("AGENTOPS_TASK_HUB_STORAGE"),
        TaskHubName = TaskHub(settings),
        TaskHubPartitions = settings.Int("AGENTOPS_TASK_HUB_PARTITIONS", 1, 1, 16),
        TaskHubPollingInterval = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_TASK_HUB_POLLING_MS", 250, 10, 30_000)),
        TaskHubVisibilityTimeout = TimeSpan.FromSeconds(settings.Int("AGENTOPS_TASK_HUB_VISIBILITY_SECONDS", 30, 5, 600)),
        TaskHubWorkerId = settings.Text("AGENTOPS_TASK_HUB_WORKER_ID") ?? $"{Environment.MachineName}-{ListenPort(listenUrl)}",
    };

    private static string ListenPort(string url) => Uri.TryCreate(url.Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri) ? uri.Port.ToString(CultureInfo.InvariantCulture) : "0";

    /// <summary>Azure Storage names the task hub's queues, tables and container after it: 3–45 letters and digits, a letter first.</summary>
    private static string TaskHub(Settings settings)
    {
        if (settings.Text("AGENTOPS_TASK_HUB_NAME") is not { } value) return "agentops";
        if (value.Length is < 3 or > 45 || !char.IsAsciiLetter(value[0]) || !value.All(char.IsAsciiLetterOrDigit))
            settings.Errors.Add("AGENTOPS_TASK_HUB_NAME must be 3–45 letters and digits, starting with a letter.");
        return value;
    }
}

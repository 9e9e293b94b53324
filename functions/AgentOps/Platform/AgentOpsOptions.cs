using System.Globalization;

namespace AgentOps.Platform;

/// <summary>
/// Every setting AgentOps reads, with its default and limit. They come from environment variables (the names are
/// the configuration keys; docs/configuration.md lists them). Validation fails start-up with a message that names
/// the variable, never its value.
/// </summary>
public sealed record AgentOpsOptions
{
    /// <summary>The application's connection: a role without BYPASSRLS (agentops_app or a member of it).</summary>
    public required string DatabaseConnectionString { get; init; }

    /// <summary>The schema owner's connection, used only to apply migrations. Optional.</summary>
    public string? MigrationsConnectionString { get; init; }

    /// <summary>HMAC key that signs access tokens (at least 32 bytes).</summary>
    public required byte[] JwtSigningKey { get; init; }

    public string ListenUrl { get; init; } = "http://127.0.0.1:7071";
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(30);
    public TimeSpan InvitationLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Login attempts per minute for one e-mail address and for one client IP.</summary>
    public int LoginAttemptsPerMinutePerEmail { get; init; } = 10;
    public int LoginAttemptsPerMinutePerIp { get; init; } = 60;

    /// <summary>Signups per hour from one client IP.</summary>
    public int SignupsPerHourPerIp { get; init; } = 20;

    /// <summary>Sustained requests per second and burst for one API key.</summary>
    public int ApiKeyRequestsPerSecond { get; init; } = 100;
    public int ApiKeyBurst { get; init; } = 200;

    /// <summary>Largest request body accepted by the management API.</summary>
    public long MaxRequestBytes { get; init; } = 1024 * 1024;

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Take the client address from X-Forwarded-For (and the scheme from X-Forwarded-Proto). Only behind a reverse
    /// proxy or platform front end that sets them: otherwise clients could pick their own address for rate limits
    /// and the audit log.
    /// </summary>
    public bool TrustForwardedHeaders { get; init; }

    /// <summary>Self-host ingest workers (parallel processing loops) and how many accepted batches one transaction takes.</summary>
    public int IngestWorkers { get; init; } = 2;
    public int IngestBatchesPerTransaction { get; init; } = 16;

    /// <summary>
    /// How long a self-host ingest worker, woken by an accept, waits before taking the queue, so that batches accepted
    /// meanwhile share its transaction. A processing transaction has a fixed cost (~10 ms of database work on the
    /// reference machine) whatever it holds: one batch per transaction cost 2.4× more per event than sixteen.
    /// </summary>
    public TimeSpan IngestLinger { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Accepted-but-unprocessed events above which ingest answers 503 with Retry-After: lag stays bounded (and with it
    /// how fresh queries are) instead of growing for as long as clients send faster than workers store.
    /// </summary>
    public int IngestMaxBacklogEvents { get; init; } = 20_000;

    /// <summary>Self-host: orchestration activities (job shards) this process runs at once (0: none, it only serves), and how often the dispatcher looks for due jobs.</summary>
    public int JobWorkers { get; init; } = 4;
    public TimeSpan JobsDispatchInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan JobRetryFirstDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan JobLease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The self-host's task hub: an Azure Storage connection string (Azurite locally, the backend Durable Functions
    /// uses on Azure), or null to keep orchestrations in memory (a restart then starts running jobs again from their
    /// Postgres checkpoints). The rest tunes the Azure Storage provider for one box (docs/jobs.md#engine-settings).
    /// </summary>
    public string? TaskHubStorage { get; init; }
    public string TaskHubName { get; init; } = "agentops";
    public int TaskHubPartitions { get; init; } = 1;
    public TimeSpan TaskHubPollingInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan TaskHubVisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Stable across restarts (a new id waits out the partition lease) and distinct per process on one box: machine name and listen port.</summary>
    public string TaskHubWorkerId { get; init; } = Environment.MachineName;

    /// <summary>The self-host's blob store (large event payloads).</summary>
    public string BlobDirectory { get; init; } = "agentops-data/blobs";

    /// <summary>Folder of the built dashboard served at "/" by the self-host; none when unset.</summary>
    public string? DashboardDirectory { get; init; }

    /// <summary>
    /// Let webhooks reach loopback, private, link-local and other non-public addresses (and plain http). Off by
    /// default: a webhook URL is chosen by an organization's admin, and must not become a way into our own network.
    /// </summary>
    public bool WebhooksAllowPrivateTargets { get; init; }

    /// <summary>
    /// The settings as read, for each feature to read its own from (Analytics: AGENTOPS_CLICKHOUSE_*), so Platform
    /// names no feature; a feature's invalid setting fails start-up the same way, when its module registers.
    /// </summary>
    public Settings Settings { get; init; } = new(_ => null);

    public static AgentOpsOptions FromConfiguration(Func<string, string?> get)
    {
        var settings = new Settings(get);
        var errors = settings.Errors;
        var database = settings.Required("AGENTOPS_DATABASE_URL");
        var secret = settings.Required("AGENTOPS_JWT_SECRET");
        byte[] key = [];
        if (secret is not null)
        {
            // Used as given (UTF-8), whatever its encoding: 32+ random characters, e.g. `openssl rand -hex 32`.
            key = System.Text.Encoding.UTF8.GetBytes(secret);
            if (key.Length < 32) errors.Add("AGENTOPS_JWT_SECRET must hold at least 32 bytes (e.g. the output of `openssl rand -hex 32`).");
        }

        var listenUrl = get("AGENTOPS_LISTEN_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:7071";
        var options = new AgentOpsOptions
        {
            DatabaseConnectionString = database is null ? "" : ConnectionStrings.Normalize(database, "AGENTOPS_DATABASE_URL", errors),
            MigrationsConnectionString = get("AGENTOPS_MIGRATIONS_DATABASE_URL") is { Length: > 0 } m
                ? ConnectionStrings.Normalize(m, "AGENTOPS_MIGRATIONS_DATABASE_URL", errors) : null,
            JwtSigningKey = key,
            ListenUrl = listenUrl,
            AccessTokenLifetime = TimeSpan.FromMinutes(settings.Int("AGENTOPS_ACCESS_TOKEN_MINUTES", 15, 1, 24 * 60)),
            RefreshTokenLifetime = TimeSpan.FromDays(settings.Int("AGENTOPS_REFRESH_TOKEN_DAYS", 30, 1, 365)),
            LoginAttemptsPerMinutePerEmail = settings.Int("AGENTOPS_LOGIN_PER_MINUTE_PER_EMAIL", 10, 1, 100_000),
            LoginAttemptsPerMinutePerIp = settings.Int("AGENTOPS_LOGIN_PER_MINUTE_PER_IP", 60, 1, 100_000),
            SignupsPerHourPerIp = settings.Int("AGENTOPS_SIGNUPS_PER_HOUR_PER_IP", 20, 1, 100_000),
            ApiKeyRequestsPerSecond = settings.Int("AGENTOPS_API_KEY_RATE_PER_SECOND", 100, 1, 1_000_000),
            ApiKeyBurst = settings.Int("AGENTOPS_API_KEY_BURST", 200, 1, 1_000_000),
            MaxRequestBytes = settings.Int("AGENTOPS_MAX_REQUEST_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
            ShutdownTimeout = TimeSpan.FromSeconds(settings.Int("AGENTOPS_SHUTDOWN_TIMEOUT_SECONDS", 30, 1, 600)),
            TrustForwardedHeaders = settings.Bool("AGENTOPS_TRUST_FORWARDED_HEADERS"),
            InvitationLifetime = TimeSpan.FromDays(settings.Int("AGENTOPS_INVITATION_DAYS", 7, 1, 90)),
            IngestWorkers = settings.Int("AGENTOPS_INGEST_WORKERS", 2, 0, 64),
            IngestBatchesPerTransaction = settings.Int("AGENTOPS_INGEST_BATCHES_PER_TRANSACTION", 16, 1, 1000),
            IngestLinger = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_INGEST_LINGER_MS", 50, 0, 1000)),
            IngestMaxBacklogEvents = settings.Int("AGENTOPS_INGEST_MAX_BACKLOG_EVENTS", 20_000, 1000, 100_000_000),
            JobWorkers = settings.Int("AGENTOPS_JOB_WORKERS", 4, 0, 64),
            JobsDispatchInterval = TimeSpan.FromSeconds(settings.Int("AGENTOPS_JOBS_DISPATCH_SECONDS", 10, 1, 3600)),
            JobRetryFirstDelay = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_JOB_RETRY_FIRST_MS", 5000, 10, 600_000)),
            JobLease = TimeSpan.FromSeconds(settings.Int("AGENTOPS_JOB_LEASE_SECONDS", 60, 2, 3600)),
            TaskHubStorage = get("AGENTOPS_TASK_HUB_STORAGE") is { Length: > 0 } hub ? hub : null,
            TaskHubName = TaskHub(get("AGENTOPS_TASK_HUB_NAME"), errors),
            TaskHubPartitions = settings.Int("AGENTOPS_TASK_HUB_PARTITIONS", 1, 1, 16),
            TaskHubPollingInterval = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_TASK_HUB_POLLING_MS", 250, 10, 30_000)),
            TaskHubVisibilityTimeout = TimeSpan.FromSeconds(settings.Int("AGENTOPS_TASK_HUB_VISIBILITY_SECONDS", 30, 5, 600)),
            TaskHubWorkerId = get("AGENTOPS_TASK_HUB_WORKER_ID") is { Length: > 0 } worker ? worker : $"{Environment.MachineName}-{ListenPort(listenUrl)}",
            BlobDirectory = get("AGENTOPS_BLOB_DIR") is { Length: > 0 } blobs ? blobs : "agentops-data/blobs",
            DashboardDirectory = get("AGENTOPS_DASHBOARD_DIR") is { Length: > 0 } dir ? dir : null,
            WebhooksAllowPrivateTargets = settings.Bool("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS"),
            Settings = settings,
        };
        settings.ThrowIfInvalid();
        return options;
    }

    private static string ListenPort(string url) => Uri.TryCreate(url.Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri) ? uri.Port.ToString(CultureInfo.InvariantCulture) : "0";

    /// <summary>Azure Storage names the task hub's queues, tables and container after it: 3–45 letters and digits, a letter first.</summary>
    private static string TaskHub(string? value, List<string> errors)
    {
        if (value is not { Length: > 0 }) return "agentops";
        if (value.Length is < 3 or > 45 || !char.IsAsciiLetter(value[0]) || !value.All(char.IsAsciiLetterOrDigit))
            errors.Add("AGENTOPS_TASK_HUB_NAME must be 3–45 letters and digits, starting with a letter.");
        return value;
    }
}

/// <summary>Accepts both postgres:// URLs and Npgsql key=value strings.</summary>
public static class ConnectionStrings
{
    public static string Normalize(string value, string variable, List<string> errors)
    {
        if (!value.StartsWith("postgres://", StringComparison.Ordinal) && !value.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            try { return new NpgsqlConnectionStringBuilder(value).ConnectionString; }
            catch (ArgumentException) { errors.Add($"{variable} is not a valid connection string."); return ""; }
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)) { errors.Add($"{variable} is not a valid postgres:// URL."); return ""; }
        var userInfo = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Username = Uri.UnescapeDataString(userInfo[0]),
        };
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var name = Uri.UnescapeDataString(kv[0]);
            var setting = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            try { builder[name == "sslmode" ? "SSL Mode" : name] = setting; }
            catch (ArgumentException) { errors.Add($"{variable} has an unknown parameter '{name}'."); }
        }
        return builder.ConnectionString;
    }
}

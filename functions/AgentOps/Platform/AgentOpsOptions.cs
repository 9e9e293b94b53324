namespace AgentOps.Platform;

/// <summary>
/// The platform's settings (database, tokens, sign-in and API-key rate limits, request size, the host), with their
/// defaults and limits; each feature and runtime reads its own from <see cref="Settings"/>. They come from environment
/// variables (the names are the configuration keys; docs/configuration.md lists them). Validation fails start-up with
/// a message that names the variable, never its value.
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

    /// <summary>Folder of the built dashboard served at "/" by the self-host; none when unset.</summary>
    public string? DashboardDirectory { get; init; }

    /// <summary>
    /// The settings as read, for each feature and runtime to read its own from (IngestOptions, JobsOptions,
    /// WebhookOptions, TenancyOptions, AnalyticsOptions; the self-host runtime's and the engine's), so Platform names
    /// no feature; a feature's invalid setting fails start-up the same way, when its module registers.
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
            DashboardDirectory = get("AGENTOPS_DASHBOARD_DIR") is { Length: > 0 } dir ? dir : null,
            Settings = settings,
        };
        settings.ThrowIfInvalid();
        return options;
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

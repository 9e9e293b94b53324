using System.Net;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>How insert bodies travel: gzip, plain, or (auto) plain to a loopback address and gzip to any other.</summary>
public enum ClickHouseCompression { Auto, Gzip, None }

/// <summary>
/// Where ClickHouse is and how to talk to it, from a URL such as <c>http://default:secret@127.0.0.1:8123/agentops</c>:
/// user and password (percent-decoded) become the X-ClickHouse-User / X-ClickHouse-Key headers, the path names the
/// database (default: <c>default</c>). <see cref="ToString"/> never shows the password.
/// </summary>
public sealed record ClickHouseSettings
{
    /// <summary>How long one attempt may take before it counts as failed (and the server is asked to stop too).</summary>
    public const int DefaultRequestTimeoutSeconds = 30;
    /// <summary>Attempts per request, the first included.</summary>
    public const int DefaultMaxAttempts = 4;

    public required Uri Endpoint { get; init; }
    public string User { get; init; } = "default";
    public string? Password { get; init; }
    public string Database { get; init; } = "default";
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(DefaultRequestTimeoutSeconds);
    public int MaxAttempts { get; init; } = DefaultMaxAttempts;
    public ClickHouseCompression Compression { get; init; } = ClickHouseCompression.Auto;

    /// <summary>
    /// Whether inserts are gzip-compressed. Auto leaves them plain on loopback: there the bytes cost nothing to move and
    /// compressing them cost the export a fifth of its CPU (gzip at its fastest level, ~600 MB/s of JSON per core, on
    /// a machine that also runs Postgres and ClickHouse); over a network, gzip shrinks JSON about sixfold.
    /// </summary>
    public bool CompressInserts => Compression switch
    {
        ClickHouseCompression.Gzip => true,
        ClickHouseCompression.None => false,
        _ => !IsLoopback(Endpoint),
    };

    private static bool IsLoopback(Uri endpoint) =>
        endpoint.IsLoopback || IPAddress.TryParse(endpoint.DnsSafeHost, out var address) && IPAddress.IsLoopback(address);

    public static ClickHouseSettings Parse(string url, string variable, List<string> errors)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add($"{variable} must be an http:// or https:// URL, e.g. http://default:PASSWORD@127.0.0.1:8123/agentops.");
            return new ClickHouseSettings { Endpoint = new Uri("http://127.0.0.1:8123/") };
        }
        var userInfo = uri.UserInfo.Split(':', 2);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0 && !ClickHouseSql.IsIdentifier(database))
            errors.Add($"{variable}: the database name (the URL path) must be letters, digits and underscores.");
        return new ClickHouseSettings
        {
            Endpoint = new UriBuilder(uri.Scheme, uri.Host, uri.Port, "/").Uri,
            User = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "default",
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            Database = database.Length > 0 ? database : "default",
        };
    }

    public override string ToString() => $"{Endpoint}{Database} as {User}";
}

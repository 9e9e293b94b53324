using System.Net;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AgentOps.Providers.Connections;

/// <summary>
/// A connection's options, by kind (others are refused): Azure's api_version (required) and deployment; a compatible
/// server's path; Anthropic's version header; Gemini's api_version and safety preset; the simulated provider's seed,
/// latency, error rate and answer length; and the call timeout of every HTTP kind.
/// </summary>
public sealed record ConnectionOptions
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ApiVersion { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Deployment { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Path { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Version { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Safety { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? TimeoutSeconds { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Seed { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? LatencyMs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ErrorRate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Words { get; init; }

    public static ConnectionOptions None { get; } = new();
}

/// <summary>A model the connection declares, with what it can do (text, vision, tools, streaming, json_schema).</summary>
public sealed record DeclaredModel(string Name, string[] Capabilities);

/// <summary>A connection as a caller described it, checked (<see cref="ConnectionRules.Check"/>); the secret is handled apart.</summary>
public sealed record ConnectionDraft(string Name, string Kind, string? BaseUrl, ConnectionOptions Options, DeclaredModel[] Models,
    Dictionary<string, string> DefaultModels, bool Active);

/// <summary>
/// What a provider connection may be (pure): names, kinds, endpoints, options per kind, models and default models per
/// task, secrets, and the limits. Endpoints are tenant-chosen URLs our servers call, so they must be https and public
/// (SSRF: no loopback, private, link-local or other special addresses, no localhost) unless
/// AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS allows them; then plain http is allowed for loopback only. Every connection is
/// checked again on the address it connects to (<see cref="ProviderHttp"/>).
/// </summary>
public static partial class ConnectionRules
{
    /// <summary>Connections per organization, at most.</summary>
    public const int MaxConnections = 50;

    /// <summary>Declared models per connection, at most.</summary>
    public const int MaxModels = 200;

    /// <summary>Tasks with a default model per connection, at most.</summary>
    public const int MaxDefaultModels = 50;

    /// <summary>A secret (an API key) is at most this many characters.</summary>
    public const int MaxSecretLength = 4096;

    /// <summary>A secret this long or longer shows its last <see cref="HintLength"/> characters as a hint; a shorter one shows none.</summary>
    public const int MinLengthForHint = 16;

    public const int HintLength = 4;

    /// <summary>A model's name: at most this many characters.</summary>
    public const int MaxModelNameLength = 200;

    public const int MaxBaseUrlLength = 2000;

    /// <summary>The call timeout a connection may set, in seconds (the adapters' own default is 120 s).</summary>
    public const int MaxTimeoutSeconds = 600;

    /// <summary>The simulated provider's latency and answer length, at most.</summary>
    public const int MaxSimulatedLatencyMs = 60_000;
    public const int MaxSimulatedWords = 4000;

    /// <summary>The kinds of connection, as the API and the database spell them.</summary>
    public static readonly string[] Kinds = ["openai", "azure-openai", "anthropic", "gemini", "openai-compatible", "simulated"];

    public static readonly string[] CapabilityNames = ["text", "vision", "tools", "streaming", "json_schema"];

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NameShape();

    /// <summary>A task: chat, judge, synthetic, embedding, … (free-form, lower case).</summary>
    [GeneratedRegex("^[a-z][a-z0-9_-]{0,39}$")]
    private static partial Regex TaskShape();

    /// <summary>A model: no spaces or control characters (provider/model, model:tag and dated names pass).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")]
    private static partial Regex ModelShape();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VersionShape();

    [GeneratedRegex(@"^[A-Za-z0-9._~/-]{1,200}$")]
    private static partial Regex PathShape();

    public static ConnectionDraft Check(Validation v, string? name, string? kind, string? baseUrl, ConnectionOptions? options, DeclaredModel[]? models,
        Dictionary<string, string>? defaultModels, bool active, bool allowPrivate)
    {
        if (name is null) v.Add("$.name", "is required.");
        else if (!NameShape().IsMatch(name)) v.Add("$.name", "must be 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
        if (kind is null) v.Add("$.kind", "is required.");
        else if (!Kinds.Contains(kind)) v.Add("$.kind", $"must be one of {string.Join(", ", Kinds)}.");
        options ??= ConnectionOptions.None;
        if (kind is not null && Kinds.Contains(kind))
        {
            baseUrl = CheckBaseUrl(v, kind, baseUrl, allowPrivate);
            CheckOptions(v, kind, options);
        }
        models ??= [];
        if (models.Length > MaxModels) v.Add("$.models", $"holds at most {MaxModels} models.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < models.Length && i < MaxModels; i++)
        {
            var m = models[i];
            if (m is null) { v.Add($"$.models[{i}]", "must be an object."); continue; }
            if (!IsModel(m.Name)) v.Add($"$.models[{i}].name", $"must be a model name (1 to {MaxModelNameLength} characters, no spaces).");
            else if (!seen.Add(m.Name)) v.Add($"$.models[{i}].name", "is declared twice.");
            var capabilities = m.Capabilities ?? [];
            if (capabilities.Length == 0) v.Add($"$.models[{i}].capabilities", $"must list at least one of {string.Join(", ", CapabilityNames)}.");
            foreach (var c in capabilities)
                if (!CapabilityNames.Contains(c)) v.Add($"$.models[{i}].capabilities", $"must hold only {string.Join(", ", CapabilityNames)}.");
        }
        defaultModels ??= [];
        if (defaultModels.Count > MaxDefaultModels) v.Add("$.default_models", $"holds at most {MaxDefaultModels} tasks.");
        foreach (var (task, model) in defaultModels)
        {
            if (!TaskShape().IsMatch(task)) v.Add("$.default_models", $"has a task name that is not 1 to 40 lower-case letters, digits, '_' or '-' starting with a letter.");
            else if (!IsModel(model)) v.Add($"$.default_models.{task}", $"must be a model name (1 to {MaxModelNameLength} characters, no spaces).");
            else if (seen.Count > 0 && !seen.Contains(model)) v.Add($"$.default_models.{task}", "must be one of the models the connection declares.");
        }
        v.ThrowIfInvalid();
        return new ConnectionDraft(name!, kind!, baseUrl, options, [.. models.Select(m => m with { Capabilities = [.. m.Capabilities.Distinct().Order(StringComparer.Ordinal)] })],
            new Dictionary<string, string>(defaultModels.OrderBy(d => d.Key, StringComparer.Ordinal)), active);
    }

    /// <summary>A new secret: required except for the simulated kind (which takes none).</summary>
    public static string? CheckSecret(Validation v, string path, string kind, string? secret)
    {
        if (kind == "simulated")
        {
            if (secret is not null) v.Add(path, "is not taken by a simulated connection.");
            return null;
        }
        if (string.IsNullOrWhiteSpace(secret)) v.Add(path, "is required.");
        else if (secret.Length > MaxSecretLength) v.Add(path, $"must be at most {MaxSecretLength} characters.");
        else if (secret.Any(char.IsControl) || secret.Trim().Length != secret.Length) v.Add(path, "must not hold control characters or surrounding spaces.");
        return secret;
    }

    /// <summary>What a connection shows of its secret: the last 4 characters of a long one, "****" otherwise.</summary>
    public static string Hint(string secret) => secret.Length >= MinLengthForHint ? "…" + secret[^HintLength..] : "****";

    private static bool IsModel(string? model) => model is { Length: >= 1 and <= MaxModelNameLength } && ModelShape().IsMatch(model);

    /// <summary>The endpoint of a kind: required for Azure and compatible servers, refused for the simulated provider, else optional (the provider's own).</summary>
    public static string? CheckBaseUrl(Validation v, string kind, string? url, bool allowPrivate)
    {
        const string path = "$.base_url";
        if (kind == "simulated")
        {
            if (url is not null) v.Add(path, "is not taken by a simulated connection.");
            return null;
        }
        if (url is null)
        {
            if (kind is "azure-openai" or "openai-compatible") v.Add(path, $"is required for {kind}.");
            return null;
        }
        url = url.Trim();
        if (url.Length > MaxBaseUrlLength) { v.Add(path, $"must be at most {MaxBaseUrlLength} characters."); return null; }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            v.Add(path, "must be an absolute https:// URL.");
            return null;
        }
        var loopback = IsLoopback(uri);
        if (uri.Scheme == "http" && !(allowPrivate && loopback))
            v.Add(path, "must use https (plain http only to a loopback address, with AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS).");
        if (uri.UserInfo.Length > 0) v.Add(path, "must not carry a user name or password; the secret is the credential.");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0) v.Add(path, "must not have a ?query or #fragment (options hold the api version).");
        if (!allowPrivate)
        {
            if (IPAddress.TryParse(uri.IdnHost, out var literal) && NetworkAddresses.Refusal(literal) is { } why)
                v.Add(path, $"must not point to {why} (AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS is off).");
            else if (loopback)
                v.Add(path, "must not point to localhost (AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS is off).");
        }
        return uri.ToString();
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(uri.IdnHost, out var a) && IPAddress.IsLoopback(a);

    private static void CheckOptions(Validation v, string kind, ConnectionOptions o)
    {
        void Refuse(string field, object? value)
        {
            if (value is not null) v.Add($"$.options.{field}", $"is not an option of {kind}.");
        }
        var http = kind != "simulated";
        if (http && o.TimeoutSeconds is < 1 or > MaxTimeoutSeconds) v.Add("$.options.timeout_seconds", $"must be from 1 to {MaxTimeoutSeconds}.");
        if (!http) Refuse("timeout_seconds", o.TimeoutSeconds);
        if (kind == "azure-openai")
        {
            if (o.ApiVersion is null) v.Add("$.options.api_version", "is required for azure-openai (e.g. 2024-10-21).");
            if (o.Deployment is not null && !VersionShape().IsMatch(o.Deployment)) v.Add("$.options.deployment", "must be a deployment name (letters, digits, '.', '_', '-').");
        }
        else Refuse("deployment", o.Deployment);
        if (kind is "azure-openai" or "gemini")
        {
            if (o.ApiVersion is not null && !VersionShape().IsMatch(o.ApiVersion)) v.Add("$.options.api_version", "must be a version (letters, digits, '.', '_', '-').");
        }
        else Refuse("api_version", o.ApiVersion);
        if (kind == "openai-compatible")
        {
            if (o.Path is not null && (!PathShape().IsMatch(o.Path) || o.Path.Contains("..", StringComparison.Ordinal)))
                v.Add("$.options.path", "must be a relative path (e.g. chat/completions).");
        }
        else Refuse("path", o.Path);
        if (kind == "anthropic")
        {
            if (o.Version is not null && !VersionShape().IsMatch(o.Version)) v.Add("$.options.version", "must be an anthropic-version (e.g. 2023-06-01).");
        }
        else Refuse("version", o.Version);
        if (kind == "gemini")
        {
            if (o.Safety is not null && !GeminiSafety.Presets.ContainsKey(o.Safety))
                v.Add("$.options.safety", $"must be one of {string.Join(", ", GeminiSafety.Presets.Keys)}.");
        }
        else Refuse("safety", o.Safety);
        if (kind == "simulated")
        {
            if (o.LatencyMs is < 0 or > MaxSimulatedLatencyMs) v.Add("$.options.latency_ms", $"must be from 0 to {MaxSimulatedLatencyMs}.");
            if (o.ErrorRate is < 0 or > 1 || o.ErrorRate is { } rate && !double.IsFinite(rate)) v.Add("$.options.error_rate", "must be from 0 to 1.");
            if (o.Words is < 1 or > MaxSimulatedWords) v.Add("$.options.words", $"must be from 1 to {MaxSimulatedWords}.");
        }
        else
        {
            Refuse("seed", o.Seed);
            Refuse("latency_ms", o.LatencyMs);
            Refuse("error_rate", o.ErrorRate);
            Refuse("words", o.Words);
        }
    }
}

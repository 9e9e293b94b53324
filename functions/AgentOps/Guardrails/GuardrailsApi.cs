using System.Text.Json;

namespace AgentOps.Guardrails;

/// <summary>
/// The guardrails API over HTTP: the organization's configuration (read, replace, reset) and the check that screens a
/// text without calling a model. <see cref="GuardrailConfigService"/> and <see cref="GuardrailChecker"/> hold the use cases.
/// </summary>
public static class GuardrailsApi
{
    /// <summary>A configuration document, at most (50 patterns of 500 characters and 2 × 200 path prefixes fit with room).</summary>
    public const int MaxConfigBodyBytes = 256 * 1024;

    /// <summary>A check's body, at most: <see cref="GuardrailChecker.MaxTextChars"/> characters, even if each took a 6-byte JSON escape, and a path.</summary>
    public const int MaxCheckBodyBytes = GuardrailChecker.MaxTextChars * 6 + 64 * 1024;

    public static void MapGuardrailsApi(this RouteGroupBuilder api)
    {
        var guardrails = api.MapGroup("/guardrails").WithTags("Guardrails");
        guardrails.MapGet("/config", GetConfigAsync).Requires(Permission.GuardrailsRead).WithName("getGuardrailConfig")
            .WithSummary("The organization's guardrail configuration in force, its version and whether it is the defaults");
        guardrails.MapPut("/config", ReplaceConfigAsync).Requires(Permission.GuardrailsWrite).WithName("replaceGuardrailConfig").Problems(409)
            .WithMetadata(new BodyLimit(MaxConfigBodyBytes)).WithSummary("Replace the guardrail configuration (the whole document; version for optimistic concurrency)");
        guardrails.MapDelete("/config", ResetConfigAsync).Requires(Permission.GuardrailsWrite).WithName("resetGuardrailConfig").Problems(409)
            .WithSummary("Go back to the default guardrail configuration");
        guardrails.MapPost("/check", CheckAsync).Requires(Permission.GuardrailsCheck).WithName("checkGuardrails").WithMetadata(new BodyLimit(MaxCheckBodyBytes))
            .WithSummary("Screen a text with the organization's guardrails (redaction, injection screen, path policy) without calling a model");
    }

    /// <summary><see cref="Config"/> is the whole document (absent sections take the defaults); <see cref="Version"/>, when given, must be the current one.</summary>
    public sealed record ReplaceGuardrailConfigRequest(int? Version, JsonElement? Config);

    public sealed record GuardrailCheckRequest(string? Text, string? Path);

    public static async Task<Ok<GuardrailConfigView>> GetConfigAsync(Caller caller, GuardrailConfigService configs, CancellationToken ct) =>
        TypedResults.Ok(await configs.ReadAsync(caller.OrgId, ct));

    public static async Task<Ok<GuardrailConfigView>> ReplaceConfigAsync(ReplaceGuardrailConfigRequest body, Caller caller, GuardrailConfigService configs, CancellationToken ct)
    {
        var v = new Validation();
        if (body.Version is < 0) v.Add("$.version", "must be 0 (never configured) or more.");
        GuardrailPolicy? policy = null;
        if (body.Config is not { ValueKind: JsonValueKind.Object } config)
            v.Add("$.config", "is required: the whole configuration, an object {redaction, injection, restore_originals, paths} ({} for the defaults).");
        else
        {
            (policy, var errors) = GuardrailPolicyJson.Parse(config, "$.config");
            foreach (var e in errors) v.Add(e.Path, e.Message);
        }
        v.ThrowIfInvalid();
        return TypedResults.Ok(await configs.ReplaceAsync(caller, policy!, body.Version, ct));
    }

    /// <summary>?version=N refuses (409) unless the configuration is at that version.</summary>
    public static async Task<Ok<GuardrailConfigView>> ResetConfigAsync(Caller caller, GuardrailConfigService configs, int? version, CancellationToken ct)
    {
        if (version is < 0) throw DomainError.Invalid("version", "must be 0 (never configured) or more.");
        return TypedResults.Ok(await configs.ResetAsync(caller, version, ct));
    }

    public static async Task<Ok<GuardrailCheckResult>> CheckAsync(GuardrailCheckRequest body, Caller caller, GuardrailChecker checker, CancellationToken ct)
    {
        var v = new Validation();
        if (body.Text is null) v.Add("$.text", "is required: the text to screen.");
        else if (body.Text.Length > GuardrailChecker.MaxTextChars) v.Add("$.text", $"must be at most {GuardrailChecker.MaxTextChars} characters (UTF-16 code units).");
        if (body.Path is { Length: > Screening.PathPolicy.MaxLength }) v.Add("$.path", $"must be at most {Screening.PathPolicy.MaxLength} characters.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await checker.CheckAsync(caller, body.Text!, body.Path, ct));
    }
}

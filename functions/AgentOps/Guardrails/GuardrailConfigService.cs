using System.Collections.Concurrent;
using System.Text.Json;
using AgentOps.Audit;
using AgentOps.Guardrails.Redaction;
using Microsoft.Extensions.Logging;

namespace AgentOps.Guardrails;

/// <summary>
/// An organization's guardrails as they apply now: the policy, the version of the configuration it came from (0: never
/// changed), whether it is the defaults, and who changed it last. <see cref="StoredConfigErrors"/> is empty unless the
/// stored document no longer validates (then the defaults apply, and these say why).
/// </summary>
public sealed record EffectiveGuardrails(GuardrailPolicy Policy, int Version, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedByType, Guid? UpdatedBy)
{
    public IReadOnlyList<RedactionRuleError> StoredConfigErrors { get; init; } = [];

    public static EffectiveGuardrails Defaults { get; } = new(GuardrailPolicy.Default, 0, true, null, null, null);
}

/// <summary>
/// The configuration as GET answers it (and as audit records keep it, before and after a change): <see cref="Config"/>
/// is the one in force. <see cref="StoredConfigErrors"/> is empty unless the stored document no longer validates (a rule
/// tightened since it was saved): then the defaults are in force and these say what to fix.
/// </summary>
public sealed record GuardrailConfigView(int Version, bool IsDefault, DateTimeOffset? UpdatedAt, GuardrailUpdater? UpdatedBy, GuardrailConfigDocument Config,
    IReadOnlyList<RedactionRuleError> StoredConfigErrors)
{
    public static GuardrailConfigView Of(EffectiveGuardrails e) =>
        new(e.Version, e.IsDefault, e.UpdatedAt, e.UpdatedByType is null ? null : new GuardrailUpdater(e.UpdatedByType, e.UpdatedBy), GuardrailPolicyJson.ToDocument(e.Policy),
            e.StoredConfigErrors);
}

/// <summary>Who last changed the configuration: user, api_key or system, and its id.</summary>
public sealed record GuardrailUpdater(string Type, Guid? Id);

/// <summary>
/// Guardrail configuration per organization: read (<see cref="GetAsync"/> for the pipeline and the check, cached),
/// replace and reset (audited, with optimistic concurrency on the version). The policy is cached per organization in
/// this process for <see cref="Freshness"/> (a change made on another replica shows within that time; the replica that
/// made it forgets its entry after the commit, so there it applies to the very next call), refreshed ahead so steady
/// traffic never waits for the database; a re-read at the same version (a refresh, or a read after the entry expired)
/// keeps the policy object, and with it the compiled redactor (<see cref="GuardrailPolicy.CompiledRedactor"/>): patterns
/// are compiled once per version.
/// </summary>
public sealed class GuardrailConfigService(Db db, TimeProvider time, ILogger<GuardrailConfigService> logger) : IGuardrailPolicies
{
    /// <summary>How long a replica may answer with a configuration another replica has since changed.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    /// <summary>Organizations cached at most; above it stale entries are swept.</summary>
    public const int MaxCachedOrganizations = 10_000;

    private readonly ReadCache<Guid, EffectiveGuardrails> _cache = new(Freshness, MaxCachedOrganizations);

    /// <summary>
    /// The last policy parsed per organization, kept past the cache's freshness: an organization whose calls come more
    /// than <see cref="Freshness"/> apart finds its entry expired, and re-reading the same version must not compile its
    /// patterns again. Only ever used for the same version; bounded like the cache (cleared when full).
    /// </summary>
    private readonly ConcurrentDictionary<Guid, EffectiveGuardrails> _parsed = new();

    public async Task<GuardrailPolicy> GetAsync(Guid orgId, CancellationToken ct) => (await GetEffectiveAsync(orgId, ct)).Policy;

    /// <summary>The organization's guardrails, from the cache when fresh.</summary>
    public async Task<EffectiveGuardrails> GetEffectiveAsync(Guid orgId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGet(orgId, now, out var cached, out var refresh))
        {
            if (refresh is not null) _ = RefreshAsync(orgId, refresh);
            return cached;
        }
        var generation = _cache.Generation;
        var effective = await db.InOrgAsync(orgId, async tx => Effective(orgId, await GuardrailConfigStore.ReadAsync(tx, ct), _parsed.GetValueOrDefault(orgId)), ct);
        _cache.Store(orgId, effective, now, generation);
        Remember(orgId, effective);
        return effective;
    }

    /// <summary>The configuration as stored now (not cached: an admin reads what was just written, on any replica).</summary>
    public Task<GuardrailConfigView> ReadAsync(Guid orgId, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => GuardrailConfigView.Of(Effective(orgId, await GuardrailConfigStore.ReadAsync(tx, ct), null)), ct);

    /// <summary>
    /// Replaces the configuration with <paramref name="policy"/> (valid: parsed by <see cref="GuardrailPolicyJson.Parse"/>).
    /// <paramref name="expectedVersion"/>, when given, must be the current version (409 otherwise). Saving the
    /// document already in force changes nothing (no new version, nothing audited).
    /// </summary>
    public async Task<GuardrailConfigView> ReplaceAsync(Caller caller, GuardrailPolicy policy, int? expectedVersion, CancellationToken ct)
    {
        var document = GuardrailPolicyJson.Serialize(policy);
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var row = await GuardrailConfigStore.LockAsync(tx, ct);
            var before = Effective(caller.OrgId, row, null);
            CheckVersion(before.Version, expectedVersion);
            if (row?.Config is not null && GuardrailPolicyJson.Serialize(before.Policy) == document) return GuardrailConfigView.Of(before);
            var written = await GuardrailConfigStore.WriteAsync(tx, document, before.Version, Actor.Of(caller), ct) ?? throw VersionConflict(before.Version, expectedVersion);
            var after = GuardrailConfigView.Of(Effective(caller.OrgId, written, null));
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "guardrail_config.updated", "guardrail_config", caller.OrgId, GuardrailConfigView.Of(before), after, ct);
            return after;
        }, ct);
        Forget(caller.OrgId);
        return view;
    }

    /// <summary>Back to the defaults (a new version; nothing changes, and nothing is audited, when they already apply).</summary>
    public async Task<GuardrailConfigView> ResetAsync(Caller caller, int? expectedVersion, CancellationToken ct)
    {
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var row = await GuardrailConfigStore.LockAsync(tx, ct);
            var before = Effective(caller.OrgId, row, null);
            CheckVersion(before.Version, expectedVersion);
            if (row?.Config is null) return GuardrailConfigView.Of(before);
            var written = await GuardrailConfigStore.WriteAsync(tx, null, before.Version, Actor.Of(caller), ct) ?? throw VersionConflict(before.Version, expectedVersion);
            var after = GuardrailConfigView.Of(Effective(caller.OrgId, written, null));
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "guardrail_config.reset", "guardrail_config", caller.OrgId, GuardrailConfigView.Of(before), after, ct);
            return after;
        }, ct);
        Forget(caller.OrgId);
        return view;
    }

    private void Remember(Guid orgId, EffectiveGuardrails effective)
    {
        if (effective.Version == 0) return; // the defaults: nothing to compile
        if (_parsed.Count >= MaxCachedOrganizations) _parsed.Clear();
        _parsed[orgId] = effective;
    }

    /// <summary>Forget this replica's entry for the organization (after a change commits).</summary>
    public void Forget(Guid orgId) => _cache.Forget((key, _) => key == orgId);

    private static void CheckVersion(int current, int? expected)
    {
        if (expected is { } e && e != current) throw VersionConflict(current, expected);
    }

    private static DomainError VersionConflict(int current, int? expected) => DomainError.Conflict("guardrail_config_version_conflict",
        expected is null
            ? "The configuration was changed at the same time by another request; read it again and apply your change to it."
            : $"The configuration is at version {current}, not {expected}: read it again and apply your change to it.");

    /// <summary>Re-reads an ageing entry off the request path; on failure it stays and expires as usual.</summary>
    private async Task RefreshAsync(Guid orgId, ReadCache<Guid, EffectiveGuardrails>.Entry entry)
    {
        try
        {
            var readAt = time.GetUtcNow();
            var generation = _cache.Generation;
            var effective = await db.InOrgAsync(orgId, async tx => Effective(orgId, await GuardrailConfigStore.ReadAsync(tx, CancellationToken.None), entry.Value),
                CancellationToken.None);
            _cache.Refreshed(orgId, entry, effective, readAt, generation);
            Remember(orgId, effective);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not refresh the guardrail configuration of organization {OrgId}: {Error}", orgId, SafeErrors.Message(e));
        }
    }

    /// <summary>
    /// The guardrails a row gives. Unchanged since <paramref name="previous"/> (same version): the previous policy, so
    /// its compiled redactor is reused. A stored document that no longer validates (a rule tightened since it was saved)
    /// gives the defaults, with a warning: the stricter known state rather than a half-read configuration.
    /// </summary>
    private EffectiveGuardrails Effective(Guid orgId, GuardrailConfigRow? row, EffectiveGuardrails? previous)
    {
        if (row is null) return EffectiveGuardrails.Defaults;
        if (previous is not null && previous.Version == row.Version) return previous;
        var policy = GuardrailPolicy.Default;
        IReadOnlyList<RedactionRuleError> stored = [];
        if (row.Config is { } config)
        {
            using var json = JsonDocument.Parse(config);
            var (parsed, errors) = GuardrailPolicyJson.Parse(json.RootElement);
            if (parsed is not null) policy = parsed;
            else
            {
                stored = errors;
                logger.LogWarning("The guardrail configuration of organization {OrgId} (version {Version}) no longer validates ({Errors}); the defaults apply",
                    orgId, row.Version, string.Join("; ", errors.Select(e => $"{e.Path} {e.Message}")));
            }
        }
        return new EffectiveGuardrails(policy, row.Version, row.Config is null, row.UpdatedAt, row.UpdatedByType, row.UpdatedBy) { StoredConfigErrors = stored };
    }
}

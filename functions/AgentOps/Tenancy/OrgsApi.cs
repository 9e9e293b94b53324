using AgentOps.Contracts;

namespace AgentOps.Tenancy;

/// <summary>The organization API over HTTP (the caller's profile, and what the caller may do in it): binding, shape checks and answers; <see cref="OrgService"/> holds the use cases.</summary>
public static class OrgsApi
{
    public static void MapOrgsApi(this RouteGroupBuilder api)
    {
        var orgs = api.MapGroup("/orgs").WithTags("Organization");
        orgs.MapGet("/profile", GetAsync).Requires(Permission.OrgRead).WithName("getOrgProfile").WithSummary("The caller's organization");
        orgs.MapPatch("/profile", UpdateAsync).Requires(Permission.OrgWrite).WithName("updateOrgProfile").WithSummary("Rename it or change its time zone");
        api.MapGet("/me/permissions", Permissions).Requires(Permission.OrgRead).WithName("getMyPermissions").WithTags("Organization")
            .WithSummary("What the caller may do: the permissions it holds, the roles it may invite, the scopes it may grant");
    }

    public static Ok<MyPermissions> Permissions(Caller caller) => TypedResults.Ok(CallerPermissions.Of(caller));

    /// <summary>Absent fields stay as they are.</summary>
    public sealed record UpdateOrgRequest(Optional<string> Name, Optional<string> Timezone, Optional<int?> IngestEventsPerSecond, Optional<int?> IngestBurst);

    /// <summary>The ingest rate an organization may set for itself (events per second, and burst).</summary>
    public const int MaxIngestRate = 10_000_000;

    public static async Task<Ok<OrgView>> GetAsync(Caller caller, OrgService orgs, CancellationToken ct) =>
        TypedResults.Ok(await orgs.GetAsync(caller.OrgId, ct));

    public static async Task<Ok<OrgView>> UpdateAsync(UpdateOrgRequest body, Caller caller, OrgService orgs, CancellationToken ct)
    {
        var v = new Validation();
        var name = body.Name.IsSet ? v.RequiredText("$.name", body.Name.Value, 200) : null;
        var timezone = body.Timezone.IsSet ? v.RequiredText("$.timezone", body.Timezone.Value, 64) : null;
        if (timezone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out _))
            v.Add("$.timezone", "must be an IANA time zone such as Europe/Paris or UTC.");
        var rate = body.IngestEventsPerSecond.IsSet ? body.IngestEventsPerSecond.Value : null;
        var burst = body.IngestBurst.IsSet ? body.IngestBurst.Value : null;
        if (body.IngestEventsPerSecond.IsSet && rate is not (>= 1 and <= MaxIngestRate)) v.Add("$.ingest_events_per_second", $"must be from 1 to {MaxIngestRate}.");
        if (body.IngestBurst.IsSet && burst is not (>= IngestBatch.MaxEvents and <= MaxIngestRate * 10))
            v.Add("$.ingest_burst", $"must be from {IngestBatch.MaxEvents} (one full batch) to {MaxIngestRate * 10}.");
        v.ThrowIfInvalid();
        // Absent fields keep the profile's values.
        return TypedResults.Ok(await orgs.UpdateAsync(caller, before => before with { Name = name ?? before.Name, Timezone = timezone ?? before.Timezone,
            IngestEventsPerSecond = rate ?? before.IngestEventsPerSecond, IngestBurst = burst ?? before.IngestBurst }, ct));
    }
}

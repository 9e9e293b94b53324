namespace AgentOps.Tenancy;

/// <summary>Tenancy's settings, read and validated by <see cref="TenancyModule"/>.</summary>
public sealed record TenancyOptions
{
    /// <summary>How long an invitation to an organization can be accepted.</summary>
    public TimeSpan InvitationLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Reads AGENTOPS_INVITATION_DAYS (1–90).</summary>
    public static TenancyOptions Read(Settings settings) => new()
    {
        InvitationLifetime = TimeSpan.FromDays(settings.Int("AGENTOPS_INVITATION_DAYS", 7, 1, 90)),
    };
}

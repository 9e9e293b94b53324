namespace AgentOps.Tenancy;

public sealed record OrgView(Guid Id, string Name, string Timezone, int IngestEventsPerSecond, int IngestBurst, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public const string Columns = "id, name, timezone, ingest_events_per_second, ingest_burst, created_at, updated_at";
    public static OrgView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.Time(5), r.Time(6));
}

public sealed record MemberView(Guid Id, Guid? UserId, string Email, string? Name, string Role, string? Team, string Status,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? InviteExpiresAt)
{
    public const string Select = """
        SELECT m.id, m.user_id, m.email, u.name, m.role, m.team, m.status, m.created_at, m.updated_at, m.invite_expires_at
        FROM organization_members m LEFT JOIN users u ON u.id = m.user_id
        """;

    public static MemberView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.NullableGuid(1), r.GetString(2), r.NullableString(3),
        r.GetString(4), r.NullableString(5), r.GetString(6), r.Time(7), r.Time(8), r.NullableTime(9));
}

/// <summary>An invitation as created: the token is here only, it is never shown again.</summary>
public sealed record InvitationResponse(MemberView Member, string InviteToken, DateTimeOffset InviteExpiresAt);

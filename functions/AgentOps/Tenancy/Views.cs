
namespace AgentOps.Tenancy;

public sealed record OrgView(Guid Id, string Name, string Timezone, int IngestEventsPerSecond, int IngestBurst, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public const string Columns = "id, name, timezone, ingest_events_per_second, ingest_burst, created_at, updated_at";
    public static OrgView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.Time(5), r.Time(6));
}

public sealed record UserView(Guid Id, string Email, string Name);

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

/// <summary>Cursor pagination over v7 ids (creation order): ?limit=1..200 (default 50) and ?cursor=&lt;last id&gt;.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static (int Limit, Guid After) Parse(int? limit, string? cursor)
    {
        var v = new Platform.Http.Validation();
        if (limit is < 1 or > MaxLimit) v.Add("limit", $"must be from 1 to {MaxLimit}.");
        var after = Guid.Empty;
        if (cursor is not null && !Guid.TryParse(cursor, out after)) v.Add("cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();
        return (limit ?? DefaultLimit, after);
    }

    /// <summary>Fetch limit + 1 rows; the extra one only says there is a next page.</summary>
    public static Page<T> Of<T>(List<T> rows, int limit, Func<T, Guid> id) =>
        rows.Count > limit ? new Page<T>(rows[..limit], id(rows[limit - 1]).ToString()) : new Page<T>(rows, null);
}

namespace AgentOps.Platform.Http;

/// <summary>Cursor pagination over v7 ids (creation order): ?limit=1..200 (default 50) and ?cursor=&lt;last id&gt;.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static (int Limit, Guid After) Parse(int? limit, string? cursor)
    {
        var v = new Validation();
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

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// SQL literals for ClickHouse 18.16, whose HTTP interface has no query parameters: every value in a query is
/// formatted here from a typed value (a Guid, a DateTimeOffset, a long), never pasted from text a user sent.
/// </summary>
public static partial class ClickHouseSql
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex Identifier();

    public static bool IsIdentifier(string name) => Identifier().IsMatch(name);

    /// <summary>A database or table name, checked (names are ours, but a URL's path is configuration).</summary>
    public static string Name(string name) => IsIdentifier(name) ? name : throw new ArgumentException($"'{name}' is not a plain ClickHouse identifier.", nameof(name));

    public static string Uuid(Guid id) => $"toUUID('{id:D}')";

    /// <summary>A DateTime in UTC, to the second (the column type's resolution; fractions are cut, as when rows are exported).</summary>
    public static string DateTime(DateTimeOffset time) => $"toDateTime('{time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}', 'UTC')";

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A string literal: backslash and quote escaped. For our own constants (statuses); user text never reaches a query.</summary>
    public static string String(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c is '\\' or '\'') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}

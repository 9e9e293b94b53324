namespace AgentOps.Platform.Http;

/// <summary>RFC 4180 CSV for exports. Cells that a spreadsheet would run as a formula are prefixed with a quote.</summary>
public static class Csv
{
    public static string Line(params string?[] cells) => string.Join(',', cells.Select(Cell)) + "\r\n";

    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}

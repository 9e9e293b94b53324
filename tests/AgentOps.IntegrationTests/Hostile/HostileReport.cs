using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>In the order reports list them: a gap in the tables first, then by how much harm the finding does.</summary>
/// <summary><see cref="FindingKind.WrongRefusal"/>: a request whose answer is fixed (an unreadable body: 400 invalid_encoding) got another.</summary>
public enum FindingKind { Unseeded, ServerError, PartialWrite, PoisonedRead, AccessViolation, NonProblem, WrongRefusal }

/// <summary>One request that broke a rule. <see cref="Where"/> is the JSON path, parameter or header the hostile input sat in.</summary>
public sealed record Finding(FindingKind Kind, string Route, string Family, string Where, string Status, string Code, string? TraceId = null, string? Detail = null);

/// <summary>What a sweep did and found, as the CI log and the report file show it. Notes say how the sweep ran (lanes, what could not be delivered).</summary>
public sealed partial record HostileReport(int Requests, int Routes, IReadOnlyList<Finding> Findings, TimeSpan Elapsed, IReadOnlyList<string> Notes)
{
    public const string FileName = "hostile-input.txt";
    public const int MaxReportLines = 200;

    public int Count(FindingKind kind) => Findings.Count(f => f.Kind == kind);

    public string Summary =>
        $"hostile input: {Requests} requests, {Routes} routes, 5xx: {Count(FindingKind.ServerError)}, non-problem errors: {Count(FindingKind.NonProblem)}, " +
        $"partial writes: {Count(FindingKind.PartialWrite)}, poisoned reads: {Count(FindingKind.PoisonedRead)}, " +
        $"access violations: {Count(FindingKind.AccessViolation)}, wrong refusals: {Count(FindingKind.WrongRefusal)}, unseeded routes: {Count(FindingKind.Unseeded)}";

    /// <summary>Findings grouped by (kind, route, variant, status, code), each group with where it happened and one server log line.</summary>
    public IReadOnlyList<string> GroupedFindings() =>
    [
        .. Findings.GroupBy(f => (f.Kind, f.Route, f.Family, f.Status, f.Code))
            .OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Route, StringComparer.Ordinal).ThenBy(g => g.Key.Family, StringComparer.Ordinal)
            .Select(g =>
            {
                var places = g.Select(f => f.Where).Where(w => w.Length > 0).Distinct().ToList();
                var at = places.Count == 0 ? "" : " at " + string.Join(", ", places.Take(10)) + (places.Count > 10 ? $", … ({places.Count} places)" : "");
                var detail = g.Select(f => f.Detail).FirstOrDefault(d => d is not null);
                return $"[{Label(g.Key.Kind)}] {g.Key.Route} | {g.Key.Family} | {g.Key.Status} {g.Key.Code} | ×{g.Count()}{at}{(detail is null ? "" : " | " + detail)}";
            }),
    ];

    public string FailureMessage()
    {
        var groups = GroupedFindings();
        return $"{Summary}{Environment.NewLine}{groups.Count} distinct findings (kind, route, variant, status, code):{Environment.NewLine}{string.Join(Environment.NewLine, groups)}";
    }

    /// <summary>
    /// Findings grouped by cause — kind, route, status, code and what the server logged — each with the variants
    /// (and where they sat) that led to it: compact enough that every kind of finding fits in the report file.
    /// </summary>
    public IReadOnlyList<string> FindingsByCause() =>
    [
        .. Findings.GroupBy(f => (f.Kind, f.Route, f.Status, f.Code, Cause: Cause(f)))
            .OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Route, StringComparer.Ordinal).ThenBy(g => g.Key.Cause, StringComparer.Ordinal)
            .Select(g =>
            {
                var variants = g.Select(f => f.Where.Length == 0 ? f.Family : $"{f.Family} @ {f.Where}").Distinct().ToList();
                var list = string.Join("; ", variants.Take(12)) + (variants.Count > 12 ? $"; … ({variants.Count} variants)" : "");
                return $"[{Label(g.Key.Kind)}] {g.Key.Route} | {g.Key.Status} {g.Key.Code} | ×{g.Count()}{(g.Key.Cause.Length == 0 ? "" : " | " + g.Key.Cause)} | {list}";
            }),
    ];

    private static string Cause(Finding f)
    {
        // One cause, whichever key was duplicated or trace id it got.
        var cause = DuplicateKey().Replace(TraceId().Replace(f.Detail ?? "", ""), "Key: …").Trim();
        // Partial writes differ in their audit head numbers, not in what was written.
        return f.Kind == FindingKind.PartialWrite ? Digits().Replace(cause, "#") : cause;
    }

    /// <summary>Writes the summary, the notes and up to <see cref="MaxReportLines"/> findings by cause to $AGENTOPS_TEST_REPORT_DIR, when it is set.</summary>
    public void WriteReportFile()
    {
        var causes = FindingsByCause();
        var lines = new List<string> { Summary, $"took {Elapsed.TotalSeconds:F0} s; {GroupedFindings().Count} distinct findings (route, variant, status, code) from {causes.Count} causes" };
        lines.AddRange(Notes);
        lines.AddRange(causes.Take(MaxReportLines));
        if (causes.Count > MaxReportLines) lines.Add($"… and {causes.Count - MaxReportLines} more (the test's failure message lists every finding)");
        TestReport.Write(FileName, lines);
    }

    [GeneratedRegex(@"\(trace [0-9a-f]+\)")]
    private static partial Regex TraceId();

    [GeneratedRegex(@"Key: [^ ]+")]
    private static partial Regex DuplicateKey();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    private static string Label(FindingKind kind) => kind switch
    {
        FindingKind.Unseeded => "unseeded",
        FindingKind.ServerError => "5xx",
        FindingKind.NonProblem => "non-problem",
        FindingKind.PartialWrite => "partial write",
        FindingKind.PoisonedRead => "poisoned read",
        FindingKind.AccessViolation => "access",
        FindingKind.WrongRefusal => "wrong refusal",
        _ => kind.ToString(),
    };
}

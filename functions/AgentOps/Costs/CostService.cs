using AgentOps.Budgets;

namespace AgentOps.Costs;

/// <summary>
/// Cost reports over the daily rollup (cost_daily: per calendar day of the organization, agent and model), never over
/// events: a year of an organization's costs is at most days × agents × models rows. Ranges are whole days, both ends
/// included, at most <see cref="MaxDays"/>; the default is the current month to date. An export hands over the rollup rows.
/// </summary>
public sealed class CostService(Db db)
{
    public const int MaxDays = 366;

    /// <summary>The organization's report and its active budgets' status, read in one transaction.</summary>
    public Task<(CostReport Report, IReadOnlyList<BudgetView> Budgets)> SummaryAsync(Guid orgId, DateOnly? from, DateOnly? to, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var report = await CostStore.ReportAsync(tx, await RangeAsync(tx, from, to, ct), new CostScope(null, null), ct);
            IReadOnlyList<BudgetView> budgets = await BudgetViews.ActiveAsync(tx, ct);
            return (report, budgets);
        }, ct);

    public Task<CostReport> ReportAsync(Guid orgId, DateOnly? from, DateOnly? to, CostScope scope, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => await CostStore.ReportAsync(tx, await RangeAsync(tx, from, to, ct), scope, ct), ct);

    /// <summary>The agent's name and team, or not found.</summary>
    public async Task<(string Name, string? Team)> AgentAsync(Guid orgId, Guid id, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => CostStore.AgentAsync(tx, id, ct), ct) ?? throw DomainError.NotFound("agent");

    /// <summary>The range in the organization's calendar, checked: defaults to the month so far.</summary>
    public Task<CostRange> RangeAsync(Guid orgId, DateOnly? from, DateOnly? to, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => RangeAsync(tx, from, to, ct), ct);

    /// <summary>Hands <paramref name="write"/> the rollup rows of <paramref name="range"/> as the database reads them, inside one transaction.</summary>
    public Task ExportAsync(Guid orgId, CostRange range, CostScope scope, Func<IAsyncEnumerable<CostRollupRow>, Task> write, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => write(CostStore.RollupAsync(tx, range, scope, ct)), ct);

    private static async Task<CostRange> RangeAsync(Tx tx, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var (today, timezone) = await CostStore.TodayAsync(tx, ct);
        var end = to ?? today;
        var start = from ?? new DateOnly(end.Year, end.Month, 1);
        var v = new Validation();
        if (start > end) v.Add("from", "must not be after to.");
        else if (end.DayNumber - start.DayNumber + 1 > MaxDays) v.Add("to", $"the range covers at most {MaxDays} days.");
        v.ThrowIfInvalid();
        return new CostRange(start, end, timezone);
    }
}

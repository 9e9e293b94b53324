namespace AgentOps.Jobs;

/// <summary>
/// Five-field cron (minute hour day-of-month month day-of-week, UTC) with *, numbers, ranges a-b, steps */n and a-b/n,
/// and lists. Day-of-week 0 or 7 is Sunday. When both day fields are restricted, a day matching either runs (as in
/// Vixie cron). Parsing is pure; errors name the field.
/// </summary>
public sealed class Cron
{
    private readonly bool[] _minutes, _hours, _days, _months, _weekdays;
    private readonly bool _anyDay, _anyWeekday;

    private Cron(bool[] minutes, bool[] hours, bool[] days, bool[] months, bool[] weekdays, bool anyDay, bool anyWeekday) =>
        (_minutes, _hours, _days, _months, _weekdays, _anyDay, _anyWeekday) = (minutes, hours, days, months, weekdays, anyDay, anyWeekday);

    /// <summary>A schedule may not run more often than this (the dispatcher looks every 10 s anyway).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);

    public static Cron Parse(string expression) => TryParse(expression, out var cron, out var error) ? cron! : throw new FormatException(error);

    public static bool TryParse(string? expression, out Cron? cron, out string? error)
    {
        cron = null;
        var fields = (expression ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5) { error = "must have five fields: minute hour day-of-month month day-of-week (UTC)."; return false; }
        string[] names = ["minute", "hour", "day-of-month", "month", "day-of-week"];
        (int Min, int Max)[] bounds = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
        var sets = new bool[5][];
        for (var i = 0; i < 5; i++)
        {
            sets[i] = new bool[bounds[i].Max + 1];
            foreach (var part in fields[i].Split(','))
                if (!Mark(part, bounds[i].Min, bounds[i].Max, sets[i])) { error = $"the {names[i]} field \"{fields[i]}\" is not valid ({bounds[i].Min}-{bounds[i].Max}, *, a-b, */n, lists)."; return false; }
        }
        if (sets[4][7]) sets[4][0] = true;
        cron = new Cron(sets[0], sets[1], sets[2], sets[3], sets[4][..7], fields[2] == "*", fields[4] == "*");
        error = null;
        return true;
    }

    private static bool Mark(string part, int min, int max, bool[] set)
    {
        var step = 1;
        var slash = part.IndexOf('/');
        if (slash >= 0)
        {
            if (!int.TryParse(part[(slash + 1)..], out step) || step < 1) return false;
            part = part[..slash];
        }
        int from, to;
        if (part == "*") (from, to) = (min, max);
        else if (part.IndexOf('-') is var dash and > 0)
        {
            if (!int.TryParse(part[..dash], out from) || !int.TryParse(part[(dash + 1)..], out to)) return false;
        }
        else
        {
            if (!int.TryParse(part, out from)) return false;
            to = slash >= 0 ? max : from;
        }
        if (from < min || to > max || from > to) return false;
        for (var v = from; v <= to; v += step) set[v] = true;
        return true;
    }

    private bool DayMatches(DateTime d)
    {
        var day = _days[d.Day];
        var weekday = _weekdays[(int)d.DayOfWeek];
        return _anyDay && _anyWeekday ? true : _anyDay ? weekday : _anyWeekday ? day : day || weekday;
    }

    /// <summary>The first time strictly after <paramref name="after"/> that matches (UTC, whole minutes), within 5 years.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var t = new DateTime(after.UtcDateTime.Ticks - after.UtcDateTime.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(1);
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!_months[t.Month]) { t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1); continue; }
            if (!DayMatches(t)) { t = t.Date.AddDays(1); continue; }
            if (!_hours[t.Hour]) { t = new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc).AddHours(1); continue; }
            if (!_minutes[t.Minute]) { t = t.AddMinutes(1); continue; }
            return new DateTimeOffset(t);
        }
        return null;
    }
}

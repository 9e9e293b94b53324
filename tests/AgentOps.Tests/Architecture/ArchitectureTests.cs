namespace AgentOps.Tests.Architecture;

/// <summary>
/// The application's structure, checked on the compiled assembly. Where today's code breaks a rule, the breaches are
/// listed here by name: a new one fails the test, and so does a listed one that is gone (take it off the list), so the
/// lists only shrink until they are empty (issue 13).
/// </summary>
public class ArchitectureTests
{
    private static readonly IReadOnlyList<Dependencies.Use> Uses = Dependencies.Of(typeof(AgentOpsApplication).Assembly.Location, "AgentOps");

    /// <summary>What every feature may use: the platform and the contracts (the shapes and domain events features share).</summary>
    private static readonly HashSet<string> Shared = ["Platform", "Contracts"];

    private static readonly HashSet<string> Infrastructure = [.. Shared, Dependencies.CompositionRoot];

    [Theory]
    [InlineData("Platform")]
    [InlineData("Contracts")]
    public void The_shared_parts_use_no_feature(string part)
    {
        // Platform stands alone; the contracts are written in the platform's terms (Actor, IDomainEvent) and nothing else.
        HashSet<string> allowed = part == "Platform" ? ["Platform"] : [.. Shared];
        var uses = Uses.Where(u => u.FromPart == part && !allowed.Contains(u.ToPart)).Select(u => $"{u.FromType} -> {u.ToType}").ToList();
        Assert.True(uses.Count == 0, $"{part} must know no feature:\n" + string.Join("\n", uses));
    }

    /// <summary>Endpoint classes (<c>*Api</c>) are HTTP only: other features call services, never them.</summary>
    [Fact]
    public void No_feature_uses_another_features_endpoint_class()
    {
        var uses = Uses.Where(u => !Infrastructure.Contains(u.FromPart) && u.ToType.EndsWith("Api", StringComparison.Ordinal))
            .Select(u => $"{u.FromPart} -> {u.ToType}").Distinct().Order().ToList();
        Assert.True(uses.Count == 0, "Uses of another feature's endpoint class (call its service instead):\n  " + string.Join("\n  ", uses));
    }

    [Fact]
    public void Features_form_no_dependency_circle()
    {
        var edges = Uses.Where(u => !Infrastructure.Contains(u.FromPart) && !Infrastructure.Contains(u.ToPart))
            .Select(u => (u.FromPart, u.ToPart)).Distinct().ToList();
        var reach = edges.GroupBy(e => e.FromPart).ToDictionary(g => g.Key, g => g.Select(e => e.ToPart).ToHashSet());
        bool Reaches(string from, string to)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<string>([from]);
            while (stack.TryPop(out var at))
            {
                if (at == to) return true;
                if (seen.Add(at) && reach.TryGetValue(at, out var next)) foreach (var n in next) stack.Push(n);
            }
            return false;
        }
        // An edge a → b lies on a cycle when b leads back to a.
        var onCycle = edges.Where(e => Reaches(e.ToPart, e.FromPart)).Select(e => $"{e.FromPart} -> {e.ToPart}").Order().ToList();
        Assert.True(onCycle.Count == 0, "Feature dependencies on a circle (a reaction to another feature's change is a domain event, not a call):\n  "
            + string.Join("\n  ", onCycle));
    }

    /// <summary>
    /// What still speaks HTTP (problems above all) beyond endpoints and modules, which translate and map routes: the
    /// front door's admission and wire parsing, which answer before any use case runs. The list only shrinks.
    /// </summary>
    private static readonly string[] KnownHttpOutsideEndpoints =
    [
        "AgentOps.Analytics.ClickHouse.ClickHouseException", // IHasProblem: a dependency's overload as the client should see it (503)
        "AgentOps.Ingest.EventParser",                       // the wire parser: JsonInput's rules for text a body may hold
        "AgentOps.Ingest.IngestBacklog",                     // admission at the front door: 503 with Retry-After
        "AgentOps.Ingest.IngestRateLimits",                  // admission: 429 with Retry-After, 413
        "AgentOps.Ingest.Otlp.OtlpJson",                     // the wire parser: 400 malformed_otlp
    ];

    /// <summary>
    /// Services (the use cases), stores (the SQL), rules, workers and reactions speak the domain's language, so a
    /// worker, an orchestration activity and an endpoint can share them. HTTP (ASP.NET Core's types, Platform/Http's
    /// problems, paging and request parsing) stays in endpoint classes (<c>*Api</c>) and modules. RequestInfo (where a
    /// change came from, for the audit actor) is a value any layer may carry.
    /// </summary>
    [Fact]
    public void Only_endpoints_and_modules_use_http_types()
    {
        var uses = Dependencies.TypesUsedBy(typeof(AgentOpsApplication).Assembly.Location, t =>
            t.Namespace.Split('.') is ["AgentOps", var part, ..] && !Shared.Contains(part)
            && !t.Name.EndsWith("Api", StringComparison.Ordinal) && !t.Name.EndsWith("Module", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.Type == "AgentOps.Jobs.JobService"); // the scan sees the services
        var http = uses.Where(u => (u.UsedNamespace.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || u.UsedNamespace == "AgentOps.Platform.Http")
                && u.UsedNamespace != "Microsoft.AspNetCore.Identity" // the password hasher: cryptography, not HTTP
                && u.Used != "AgentOps.Platform.Http.RequestInfo")
            .Select(u => u.Type).Distinct().Order().ToList();
        AssertOnlyKnown(KnownHttpOutsideEndpoints, http, "types outside endpoints that use HTTP types");
    }

    [Fact]
    public void Every_feature_has_one_module_and_the_application_lists_them_all()
    {
        var features = typeof(AgentOpsApplication).Assembly.GetTypes()
            .Select(t => t.Namespace?.Split('.') is ["AgentOps", var part, ..] ? part : null).OfType<string>().Where(p => !Shared.Contains(p)).ToHashSet();
        var modules = typeof(AgentOpsApplication).Assembly.GetTypes().Where(t => t.IsClass && typeof(AgentOps.Platform.IFeatureModule).IsAssignableFrom(t))
            .GroupBy(t => t.Namespace!.Split('.')[1]).ToDictionary(g => g.Key, g => g.Select(t => t.Name).ToList());
        var without = features.Where(f => !modules.ContainsKey(f)).ToList();
        Assert.True(without.Count == 0, "Features without a module: " + string.Join(", ", without));
        Assert.All(modules, m => Assert.Single(m.Value));
        Assert.Equal(modules.Values.Select(m => m[0]).Order(), AgentOpsApplication.Modules.Select(m => m.GetType().Name).Order());
    }

    [Fact]
    public void The_reader_sees_uses_in_signatures_and_method_bodies()
    {
        // Guards the guard: known uses of each kind must show up, or the rules above would pass on nothing.
        Assert.Contains(Uses, u => u is { FromType: "AgentOps.Budgets.BudgetTracker", ToType: "AgentOps.Agents.AgentStatus" }); // a call in an async method
        Assert.Contains(Uses, u => u is { FromType: "AgentOps.Approvals.ApprovalView", ToType: "AgentOps.Contracts.PolicyRef" }); // a record's member type
        Assert.Contains(Uses, u => u.FromPart == Dependencies.CompositionRoot);
    }

    private static readonly SqlWrites.Scan Sql = SqlWrites.Of(typeof(AgentOpsApplication).Assembly.Location, "AgentOps");

    [Fact]
    public void Every_table_has_one_owner()
    {
        var tables = SqlWrites.MigrationTables(typeof(AgentOpsApplication).Assembly).Union(Sql.CreatedTables.Keys).ToHashSet();
        var unowned = tables.Where(t => !TableOwners.OwnerOf.ContainsKey(t)).Order().ToList();
        var unknown = TableOwners.OwnerOf.Keys.Where(t => !tables.Contains(t)).Order().ToList();
        var duplicated = TableOwners.ByFeature.SelectMany(f => f.Value).GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(unowned.Count == 0 && unknown.Count == 0 && duplicated.Count == 0,
            $"Tables without an owner (add them to TableOwners): {string.Join(", ", unowned)}\n"
            + $"Owned tables that no migration creates: {string.Join(", ", unknown)}\nTables owned twice: {string.Join(", ", duplicated)}");
    }

    /// <summary>Other features call the owner's service or store, or react to its events (the demo seed too).</summary>
    [Fact]
    public void A_table_is_written_only_by_its_owner()
    {
        var foreign = Sql.Writes.Where(w => TableOwners.OwnerOf.TryGetValue(w.Table, out var owner) && owner != w.Part)
            .Select(w => $"{w.Type} -> {w.Table} (owned by {TableOwners.OwnerOf[w.Table]})").Distinct().Order().ToList();
        Assert.True(foreign.Count == 0, "Writes of another feature's table (call its owner instead):\n  " + string.Join("\n  ", foreign));
    }

    /// <summary>ClickHouse's tables are not Postgres tables: its client names them at run time.</summary>
    private static readonly string[] KnownHiddenWriters = ["AgentOps.Analytics.ClickHouse.ClickHouseClient"];

    [Fact]
    public void Every_write_names_its_table_in_the_sql()
    {
        var hidden = Sql.Hidden.Where(h => !KnownHiddenWriters.Contains(h.Type)).Select(h => $"{h.Type}: {h.Sql}").ToList();
        Assert.True(hidden.Count == 0, "Writes whose table is built at run time (the ownership scan cannot see them; name the table in the SQL):\n"
            + string.Join("\n", hidden));
    }

    [Fact]
    public void The_sql_scan_sees_writes_of_every_kind()
    {
        // Guards the guard: known writes of each form must show up, or the ownership rule would pass on nothing.
        Assert.Contains(Sql.Writes, w => w is { Type: "AgentOps.Ingest.BatchProcessor", Table: "events" }); // INSERT INTO in an interpolated raw string
        Assert.Contains(Sql.Writes, w => w is { Part: "Ingest", Table: "agent_stats_hourly" }); // the rollup fold
        Assert.Contains(Sql.Writes, w => w is { Part: "Ingest", Table: "ingest_staging" }); // COPY ... FROM and TRUNCATE
        Assert.Contains(Sql.Writes, w => w is { Part: "Jobs", Table: "job_shards" }); // UPDATE
        Assert.Contains(Sql.Writes, w => w is { Part: "Budgets", Table: "budget_spend" }); // DELETE FROM
        Assert.Equal(["agents"], SqlWrites.Tables("SELECT 1 FROM agents FOR UPDATE SKIP LOCKED; UPDATE agents SET x = 1; INSERT INTO t AS a VALUES (1) ON CONFLICT DO UPDATE SET x = 1").Where(t => t != "t"));
        Assert.Equal(["a", "b"], SqlWrites.Tables("TRUNCATE a, b"));
        Assert.Empty(SqlWrites.Tables("COPY (SELECT 1) TO STDOUT; COPY events TO STDOUT"));
    }

    private static void AssertOnlyKnown(IEnumerable<string> known, IReadOnlyCollection<string> found, string what)
    {
        var added = found.Except(known).ToList();
        var gone = known.Except(found).ToList();
        Assert.True(added.Count == 0 && gone.Count == 0,
            (added.Count > 0 ? $"New {what} (cut them instead):\n  {string.Join("\n  ", added)}\n" : "")
            + (gone.Count > 0 ? $"Gone from the code, take them off the list:\n  {string.Join("\n  ", gone)}" : ""));
    }
}

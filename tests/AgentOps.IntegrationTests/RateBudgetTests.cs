using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Providers;
using AgentOps.Providers.RateBudgets;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The shared rate budgets of model calls against the real Postgres: several replicas (each its own connection pool,
/// as separate processes would have) reserving at once never exceed a cap; settlement corrects tokens once; a leaked
/// reservation stops counting; the provider's headers raise the counts; tenants never see each other's budgets; and
/// the limits' API validates, audits and isolates.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RateBudgetTests(ApiFixture fx) : IAsyncLifetime
{
    private readonly HttpClient _client = fx.Client();

    /// <summary>Connections per replica: four replicas share the test database's connections with the hosted app and other suites.</summary>
    private const int ReplicaPoolSize = 8;

    private readonly List<NpgsqlDataSource> _sources = [];

    /// <summary>Mid-minute, so that a test's reservations all fall in one window whatever the wall clock does.</summary>
    private static readonly DateTimeOffset Noon = new(2026, 6, 1, 12, 0, 20, TimeSpan.Zero);

    private static readonly RateBudgetOptions Defaults = new();

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _sources) await s.DisposeAsync();
    }

    /// <summary>A replica: its own pool of connections as the application role (row-level security applies).</summary>
    private Db Replica()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString(TestDatabase.AppUrl)) { MaxPoolSize = ReplicaPoolSize };
        var source = NpgsqlDataSource.Create(builder.ConnectionString);
        _sources.Add(source);
        return new Db(source);
    }

    private async Task SetLimitAsync(Tenant tenant, string provider, string model, int rpm, long tpm) =>
        (await _client.Send(HttpMethod.Put, "/api/v1/llm/rate-limits", new { provider, model, rpm, tpm }, tenant.AdminToken)).Expect(200);

    private static async Task<(int Requests, long Tokens)> CountsAsync(Db db, RateKey key, DateTimeOffset at) =>
        await db.InOrgAsync(key.OrgId, async tx =>
        {
            var s = await RateBudgetStore.WindowAsync(tx, key, RateBudgetRules.WindowOf(at), CancellationToken.None);
            return (s.Requests, s.Tokens);
        }, CancellationToken.None);

    [Fact]
    public async Task Two_hundred_concurrent_calls_on_four_replicas_against_a_budget_of_one_hundred_admit_exactly_one_hundred()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o", 100, 10_000_000);
        var time = new ManualTime(Noon);
        var replicas = Enumerable.Range(0, 4).Select(_ => new PostgresRateBudget(Replica(), Defaults, time)).ToList();
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        using var start = new SemaphoreSlim(0);
        var calls = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await start.WaitAsync();
            return await replicas[i % replicas.Count].ReserveAsync(key, 500, CancellationToken.None);
        })).ToList();
        start.Release(200);
        var answers = await Task.WhenAll(calls);

        Assert.Equal(100, answers.OfType<RateAdmission.Admitted>().Count());
        var refused = answers.OfType<RateAdmission.Exhausted>().ToList();
        Assert.Equal(100, refused.Count);
        Assert.All(refused, r => Assert.Equal((RateBudgetRules.Requests, TimeSpan.FromSeconds(40)), (r.Budget, r.RetryAfter)));
        Assert.Equal((100, 50_000L), await CountsAsync(Replica(), key, Noon));
        Assert.Equal(100, answers.OfType<RateAdmission.Admitted>().Select(a => a.Reservation.Id).Distinct().Count());
    }

    [Fact]
    public async Task Concurrent_reservations_never_exceed_the_tokens_per_minute()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "anthropic", "*", 1_000_000, 100_000);
        var time = new ManualTime(Noon);
        var replicas = Enumerable.Range(0, 3).Select(_ => new PostgresRateBudget(Replica(), Defaults, time)).ToList();
        var key = new RateKey(tenant.OrgId, "anthropic", "claude-sonnet-4");
        var random = new Random(15);
        var estimates = Enumerable.Range(0, 150).Select(_ => (long)random.Next(100, 3000)).ToList();
        var answers = await Task.WhenAll(estimates.Select((e, i) => Task.Run(() => replicas[i % replicas.Count].ReserveAsync(key, e, CancellationToken.None))));

        var admitted = answers.OfType<RateAdmission.Admitted>().Sum(a => a.Reservation.ReservedTokens);
        var (_, tokens) = await CountsAsync(Replica(), key, Noon);
        Assert.Equal(admitted, tokens);
        Assert.InRange(tokens, 1, 100_000);
        // Every refusal is for tokens, and would indeed not have fitted on top of what was finally admitted.
        Assert.All(answers.OfType<RateAdmission.Exhausted>(), r => Assert.Equal(RateBudgetRules.Tokens, r.Budget));
        Assert.All(answers.Zip(estimates).Where(p => p.First is RateAdmission.Exhausted), p => Assert.True(tokens + p.Second > 100_000));
    }

    [Fact]
    public async Task A_call_larger_than_the_tokens_per_minute_is_refused_at_once_not_told_to_wait()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o-mini", 10, 1000);
        var budget = new PostgresRateBudget(Replica(), Defaults, new ManualTime(Noon));
        var e = await Assert.ThrowsAsync<DomainError>(() => budget.ReserveAsync(new RateKey(tenant.OrgId, "openai", "gpt-4o-mini"), 1001, CancellationToken.None));
        Assert.Equal("model_call_too_large", e.Code);
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(new RateKey(tenant.OrgId, "openai", "gpt-4o-mini"), 1000, CancellationToken.None));
        await Assert.ThrowsAsync<DomainError>(() => budget.ReserveAsync(new RateKey(tenant.OrgId, "openai", "*"), 1, CancellationToken.None));
        await Assert.ThrowsAsync<DomainError>(() => budget.ReserveAsync(new RateKey(tenant.OrgId, "", "gpt-4o"), 1, CancellationToken.None));
    }

    [Fact]
    public async Task Settling_corrects_the_windows_tokens_once()
    {
        var tenant = await _client.SignupAsync();
        var db = Replica();
        var budget = new PostgresRateBudget(db, Defaults, new ManualTime(Noon));
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        var a = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 5000, CancellationToken.None)).Reservation;
        var b = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 1000, CancellationToken.None)).Reservation;
        Assert.Equal((2, 6000L), await CountsAsync(db, key, Noon));
        Assert.Equal(RateBudgetRules.WindowEnd(RateBudgetRules.WindowOf(Noon)), a.ExpiresAt);

        await budget.SettleAsync(a, 1200, null, CancellationToken.None);
        Assert.Equal((2, 2200L), await CountsAsync(db, key, Noon));
        await budget.SettleAsync(a, 1200, null, CancellationToken.None); // again: nothing changes
        await budget.SettleAsync(a, 0, null, CancellationToken.None);
        Assert.Equal((2, 2200L), await CountsAsync(db, key, Noon));
        // More than reserved (the estimate was short): the window carries what was really used.
        await budget.SettleAsync(b, 1500, null, CancellationToken.None);
        Assert.Equal((2, 2700L), await CountsAsync(db, key, Noon));
        // Both settled concurrently from two replicas: still once.
        var c = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 300, CancellationToken.None)).Reservation;
        var other = new PostgresRateBudget(Replica(), Defaults, new ManualTime(Noon));
        await Task.WhenAll(budget.SettleAsync(c, 100, null, CancellationToken.None), other.SettleAsync(c, 100, null, CancellationToken.None));
        Assert.Equal((3, 2800L), await CountsAsync(db, key, Noon));
        Assert.Equal(0L, await db.InOrgAsync(tenant.OrgId, tx => tx.ScalarAsync<long>("SELECT count(*) FROM llm_rate_reservations", CancellationToken.None),
            CancellationToken.None));
    }

    [Fact]
    public async Task A_leaked_reservation_stops_counting_when_its_window_ends_and_is_pruned_later()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o", 2, 10_000);
        var db = Replica();
        var time = new ManualTime(Noon);
        var budget = new PostgresRateBudget(db, Defaults, time);
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 4000, CancellationToken.None));
        var leaked = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 4000, CancellationToken.None)).Reservation;
        var full = Assert.IsType<RateAdmission.Exhausted>(await budget.ReserveAsync(key, 1, CancellationToken.None));
        Assert.Equal((RateBudgetRules.Requests, TimeSpan.FromSeconds(40)), (full.Budget, full.RetryAfter));

        time.Now = leaked.ExpiresAt; // the window is over: neither reservation counts any more
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 9000, CancellationToken.None));
        var tokens = Assert.IsType<RateAdmission.Exhausted>(await budget.ReserveAsync(key, 1001, CancellationToken.None));
        Assert.Equal((RateBudgetRules.Tokens, TimeSpan.FromMinutes(1)), (tokens.Budget, tokens.RetryAfter));
        // Opening the new window pruned the old one and its expired reservations.
        Assert.Equal((0, 0L), await CountsAsync(db, key, Noon));
        Assert.Equal(1L, await db.InOrgAsync(tenant.OrgId, tx => tx.ScalarAsync<long>("SELECT count(*) FROM llm_rate_reservations", CancellationToken.None),
            CancellationToken.None));
        // A late settlement of the leaked one changes nothing in the new window.
        await budget.SettleAsync(leaked, 10, null, CancellationToken.None);
        Assert.Equal((1, 9000L), await CountsAsync(db, key, time.Now));
    }

    [Fact]
    public async Task The_providers_headers_raise_our_counts_and_hold_the_next_window_but_never_lower_them()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o", 100, 100_000);
        var db = Replica();
        var time = new ManualTime(Noon.AddSeconds(30)); // 12:00:50
        var budget = new PostgresRateBudget(db, Defaults, time);
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        var r = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 1000, CancellationToken.None)).Reservation;

        // The provider has 10 requests and 5,000 tokens left (others share its key), after this call: we keep no more than that
        // (the call's correction, 200 tokens back, comes first; the headers already count what it used).
        await budget.SettleAsync(r, 800, new RateLimitInfo(500, 10, TimeSpan.FromSeconds(3), 200_000, 5000, TimeSpan.FromSeconds(3)), CancellationToken.None);
        Assert.Equal((90, 95_000L), await CountsAsync(db, key, time.Now));
        // A larger remaining never lowers them.
        var r2 = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 100, CancellationToken.None)).Reservation;
        await budget.SettleAsync(r2, 100, new RateLimitInfo(500, 499, null, 200_000, 199_000, null), CancellationToken.None);
        Assert.Equal((91, 95_100L), await CountsAsync(db, key, time.Now));

        // Spent until 20 s from now, past this window's end (10 s away): the next window is held until then.
        var r3 = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 100, CancellationToken.None)).Reservation;
        await budget.SettleAsync(r3, 100, new RateLimitInfo(500, 0, TimeSpan.FromSeconds(20), null, null, null), CancellationToken.None);
        Assert.Equal(100, (await CountsAsync(db, key, time.Now)).Requests);
        time.Now = Noon.AddSeconds(45); // 12:01:05
        var held = Assert.IsType<RateAdmission.Exhausted>(await budget.ReserveAsync(key, 1, CancellationToken.None));
        Assert.Equal((RateBudgetRules.Requests, TimeSpan.FromSeconds(5)), (held.Budget, held.RetryAfter));
        time.Now = Noon.AddSeconds(50); // 12:01:10, the hold is over
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 1, CancellationToken.None));
    }

    [Fact]
    public async Task A_tenant_never_sees_or_uses_another_tenants_budgets()
    {
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        await SetLimitAsync(a, "openai", "gpt-4o", 1, 1000);
        var db = Replica();
        var budget = new PostgresRateBudget(db, Defaults, new ManualTime(Noon));
        var reservation = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(new RateKey(a.OrgId, "openai", "gpt-4o"), 10, CancellationToken.None)).Reservation;
        Assert.IsType<RateAdmission.Exhausted>(await budget.ReserveAsync(new RateKey(a.OrgId, "openai", "gpt-4o"), 10, CancellationToken.None));
        // B's budget of the same provider and model is its own, with the defaults.
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(new RateKey(b.OrgId, "openai", "gpt-4o"), 10, CancellationToken.None));

        foreach (var table in new[] { "llm_rate_limits", "llm_rate_windows", "llm_rate_reservations" })
            Assert.Equal(0L, await db.InOrgAsync(b.OrgId, tx => tx.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE org_id = $1", CancellationToken.None, a.OrgId),
                CancellationToken.None));
        // Settling A's reservation as if it were B's finds nothing (and changes nothing of A's).
        await budget.SettleAsync(reservation with { Key = reservation.Key with { OrgId = b.OrgId } }, 0, null, CancellationToken.None);
        Assert.Equal((1, 10L), await CountsAsync(db, reservation.Key, Noon));
        // Writing a row of A's while in B is refused by the policy.
        await Assert.ThrowsAsync<PostgresException>(() => db.InOrgAsync(b.OrgId, tx => tx.ExecuteAsync(
            "INSERT INTO llm_rate_limits (org_id, provider, model, rpm, tpm) VALUES ($1, 'openai', 'x', 1, 1)", CancellationToken.None, a.OrgId), CancellationToken.None));
    }

    [Fact]
    public async Task The_limits_api_shows_sets_and_removes_overrides_validates_and_audits()
    {
        var tenant = await _client.SignupAsync();
        var empty = (await _client.Get("/api/v1/llm/rate-limits", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(1800, empty.GetProperty("default_rpm").GetInt32());
        Assert.Equal(800_000, empty.GetProperty("default_tpm").GetInt64());
        Assert.Equal(0, empty.GetProperty("items").GetArrayLength());

        var set = (await _client.Send(HttpMethod.Put, "/api/v1/llm/rate-limits", new { provider = "openai", model = "gpt-4o", rpm = 60, tpm = 90_000 }, tenant.AdminToken))
            .Expect(200).Body;
        Assert.Equal(60, set.GetProperty("rpm").GetInt32());
        await SetLimitAsync(tenant, "openai", "*", 30, 40_000);
        await SetLimitAsync(tenant, "openai", "gpt-4o", 61, 90_000);
        await SetLimitAsync(tenant, "openai", "gpt-4o", 61, 90_000); // the same again: no audit row
        // Use in this minute, by a model with no override of its own: the provider's '*' applies.
        var budget = fx.Factory.Services.GetService(typeof(IRateBudget)) as IRateBudget;
        Assert.IsType<PostgresRateBudget>(budget);
        Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(new RateKey(tenant.OrgId, "openai", "gpt-4.1"), 700, CancellationToken.None));

        var view = (await _client.Get("/api/v1/llm/rate-limits", tenant.AdminToken)).Expect(200).Body;
        var items = view.GetProperty("items").EnumerateArray()
            .Select(i => $"{i.GetProperty("provider").GetString()}/{i.GetProperty("model").GetString()} {i.GetProperty("rpm").GetInt32()} {i.GetProperty("tpm").GetInt64()} {i.GetProperty("source").GetString()} {(i.TryGetProperty("requests", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.Number ? r.GetInt32() : -1)}")
            .ToList();
        Assert.Equal(["openai/* 30 40000 provider -1", "openai/gpt-4.1 30 40000 provider 1", "openai/gpt-4o 61 90000 override 0"], items);

        var other = await _client.SignupAsync();
        Assert.Equal(0, (await _client.Get("/api/v1/llm/rate-limits", other.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=gpt-4o", other.AdminToken)).ExpectProblem(404, "not_found");

        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=gpt-4o", tenant.AdminToken)).Expect(204);
        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=gpt-4o", tenant.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=%2A", tenant.AdminToken)).Expect(204);

        var audit = (await _client.Get("/api/v1/audit-logs?entity_type=llm_rate_limit", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["llm_rate_limit.deleted", "llm_rate_limit.deleted", "llm_rate_limit.set", "llm_rate_limit.set", "llm_rate_limit.set"],
            audit.Select(r => r.GetProperty("action").GetString()));
        var change = audit[2];
        Assert.Equal("openai/gpt-4o", change.GetProperty("entity_id").GetString());
        Assert.Equal(60, change.GetProperty("before").GetProperty("rpm").GetInt32());
        Assert.Equal(61, change.GetProperty("after").GetProperty("rpm").GetInt32());
    }

    [Theory]
    [InlineData("""{"provider":"openai","model":"gpt-4o","rpm":0,"tpm":1}""", "$.rpm")]
    [InlineData("""{"provider":"openai","model":"gpt-4o","rpm":1000001,"tpm":1}""", "$.rpm")]
    [InlineData("""{"provider":"openai","model":"gpt-4o","rpm":1,"tpm":0}""", "$.tpm")]
    [InlineData("""{"provider":"openai","model":"gpt-4o","rpm":1,"tpm":1000000001}""", "$.tpm")]
    [InlineData("""{"provider":"openai","model":"gpt-4o","rpm":1}""", "$.tpm")]
    [InlineData("""{"model":"gpt-4o","rpm":1,"tpm":1}""", "$.provider")]
    [InlineData("""{"provider":"open/ai","model":"gpt-4o","rpm":1,"tpm":1}""", "$.provider")]
    [InlineData("""{"provider":" openai","model":"gpt-4o","rpm":1,"tpm":1}""", "$.provider")]
    [InlineData("""{"provider":"openai","model":"gpt\t","rpm":1,"tpm":1}""", "$.model")]
    [InlineData("""{"provider":"openai","model":"","rpm":1,"tpm":1}""", "$.model")]
    [InlineData("""{"provider":"openai","rpm":1,"tpm":1}""", "$.model")]
    public async Task The_limits_api_refuses_what_is_no_limit(string body, string field)
    {
        var tenant = await _client.SignupAsync();
        var errors = (await _client.Send(HttpMethod.Put, "/api/v1/llm/rate-limits", body, tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Fact]
    public async Task Removing_needs_a_provider_and_a_model()
    {
        var tenant = await _client.SignupAsync();
        var errors = (await _client.Delete("/api/v1/llm/rate-limits", tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors");
        Assert.True(errors.TryGetProperty("provider", out _) && errors.TryGetProperty("model", out _), errors.ToString());
        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=" + new string('m', 201), tenant.AdminToken)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task An_organization_has_at_most_a_thousand_overrides_and_the_live_view_shows_counts_the_provider_raised()
    {
        var tenant = await _client.SignupAsync();
        // 999 rows written as the schema owner (a thousand requests would only be slower), then the thousandth through the API.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl,
            "INSERT INTO llm_rate_limits (org_id, provider, model, rpm, tpm) SELECT $1, 'bulk', 'model-' || n, 1, 1 FROM generate_series(1, 999) n", tenant.OrgId);
        await SetLimitAsync(tenant, "openai", "gpt-4o", 10, 10_000);
        (await _client.Send(HttpMethod.Put, "/api/v1/llm/rate-limits", new { provider = "openai", model = "gpt-4.1", rpm = 10, tpm = 10_000 }, tenant.AdminToken))
            .ExpectProblem(409, "rate_limit_overrides_full");
        await SetLimitAsync(tenant, "openai", "gpt-4o", 20, 10_000); // changing an existing one is no new row

        // The provider has no requests left: the live view shows this minute's count raised to the limit.
        var budget = (IRateBudget)fx.Factory.Services.GetService(typeof(IRateBudget))!;
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        var r = Assert.IsType<RateAdmission.Admitted>(await budget.ReserveAsync(key, 100, CancellationToken.None)).Reservation;
        await budget.SettleAsync(r, 100, new RateLimitInfo(null, 0, TimeSpan.FromSeconds(59), null, null, null), CancellationToken.None);
        var item = (await _client.Get("/api/v1/llm/rate-limits", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("provider").GetString() == "openai" && i.GetProperty("model").GetString() == "gpt-4o");
        Assert.Equal(20, item.GetProperty("requests").GetInt32()); // raised to the limit: the provider has none left
        Assert.Equal(1000, (await _client.Get("/api/v1/llm/rate-limits", tenant.AdminToken)).Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_new_limit_applies_from_the_next_reservation_on_every_replica()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o", 5, 100_000);
        var time = new ManualTime(Noon);
        var (one, two) = (new PostgresRateBudget(Replica(), Defaults, time), new PostgresRateBudget(Replica(), Defaults, time));
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        for (var i = 0; i < 3; i++) Assert.IsType<RateAdmission.Admitted>(await one.ReserveAsync(key, 10, CancellationToken.None));
        await SetLimitAsync(tenant, "openai", "gpt-4o", 2, 100_000); // lowered below what this minute has taken
        Assert.Equal(RateBudgetRules.Requests, Assert.IsType<RateAdmission.Exhausted>(await two.ReserveAsync(key, 10, CancellationToken.None)).Budget);
        await SetLimitAsync(tenant, "openai", "gpt-4o", 4, 100_000);
        Assert.IsType<RateAdmission.Admitted>(await two.ReserveAsync(key, 10, CancellationToken.None));
        Assert.IsType<RateAdmission.Exhausted>(await one.ReserveAsync(key, 10, CancellationToken.None));
        // Removing the override falls back to the defaults (1,800 per minute).
        (await _client.Delete("/api/v1/llm/rate-limits?provider=openai&model=gpt-4o", tenant.AdminToken)).Expect(204);
        Assert.IsType<RateAdmission.Admitted>(await one.ReserveAsync(key, 10, CancellationToken.None));
        Assert.Equal((5, 50L), await CountsAsync(Replica(), key, Noon));
    }

    /// <summary>
    /// Reservations and settlements interleaved at random on three replicas (a fixed seed): the window ends up holding
    /// exactly what the calls used (settled) or reserved (leaked), and never more requests than its limit.
    /// </summary>
    [Fact]
    public async Task Reservations_and_settlements_interleaved_on_replicas_leave_exactly_what_was_used()
    {
        var tenant = await _client.SignupAsync();
        await SetLimitAsync(tenant, "openai", "gpt-4o", 50, 40_000);
        var time = new ManualTime(Noon);
        var replicas = Enumerable.Range(0, 3).Select(_ => new PostgresRateBudget(Replica(), Defaults, time)).ToList();
        var key = new RateKey(tenant.OrgId, "openai", "gpt-4o");
        var random = new Random(2026);
        var plans = Enumerable.Range(0, 120).Select(i => (Estimate: (long)random.Next(100, 1000), UsedShare: random.NextDouble(), Settles: random.Next(10) < 7,
            Twice: random.Next(10) == 0, Replica: i % 3, SettleOn: random.Next(3))).ToList();
        var outcomes = await Task.WhenAll(plans.Select(p => Task.Run<(bool Admitted, long Counted)>(async () =>
        {
            if (await replicas[p.Replica].ReserveAsync(key, p.Estimate, CancellationToken.None) is not RateAdmission.Admitted admitted) return (false, 0L);
            if (!p.Settles) return (true, p.Estimate);
            var used = (long)(p.Estimate * p.UsedShare);
            await replicas[p.SettleOn].SettleAsync(admitted.Reservation, used, null, CancellationToken.None);
            if (p.Twice) await replicas[p.Replica].SettleAsync(admitted.Reservation, used, null, CancellationToken.None);
            return (true, used);
        })));

        var (requests, tokens) = await CountsAsync(Replica(), key, Noon);
        Assert.Equal(outcomes.Count(o => o.Admitted), requests);
        Assert.InRange(requests, 1, 50);
        Assert.Equal(outcomes.Where(o => o.Admitted).Sum(o => o.Counted), tokens);
        Assert.InRange(tokens, 0, 40_000);
    }
}

using System.Text;
using System.Text.Json;
using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>The ClickHouse client, schema and export against the real clickhouse-server 18.16 and the real Postgres.</summary>
[Collection(ApiCollection.Name)]
public class ClickHouseTests(ApiFixture fx) : IAsyncLifetime
{
    private ClickHouseClient _ch = null!;
    private NpgsqlDataSource _app = null!;
    private Db _db = null!;
    private ClickHouseExport _export = null!;
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, 123, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        _ = fx.Factory.Server; // migrations applied
        _ch = await TestClickHouse.ClientAsync();
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        _db = new Db(_app);
        _export = new ClickHouseExport(_ch);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Db => _ch.Database;

    private async Task<string> ScratchTableAsync(string engine = "MergeTree ORDER BY id")
    {
        var table = "scratch_" + Guid.NewGuid().ToString("N")[..12];
        await _ch.ExecuteAsync($"CREATE TABLE {Db}.{table} (id UInt64, name String, at DateTime('UTC'), tags Array(String), amount Nullable(Int64)) ENGINE = {engine}", default);
        return table;
    }

    [Fact]
    public async Task Inserts_gzip_compressed_json_rows_and_reads_them_back_streamed()
    {
        var table = await ScratchTableAsync();
        foreach (var compress in new[] { true, false })
        {
            var bytes = await _ch.InsertJsonEachRowAsync(table, async (body, ct) =>
            {
                for (var i = 0; i < 5000; i++)
                    await body.WriteAsync(Encoding.UTF8.GetBytes($$"""{"id":{{i}},"name":"n{{i}} \"quoted\" é","at":"2026-03-01T10:00:00.750+01:00","tags":["a","b"],"amount":{{(i % 2 == 0 ? "null" : i.ToString())}}}""" + "\n"), ct);
            }, default, compress);
            Assert.True(bytes > 5000 * 50, $"uncompressed bytes counted: {bytes}");
        }
        Assert.Equal(10_000, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.{table}"));
        var rows = await _ch.QueryAsync($"SELECT id, name, toString(at) AS at, tags, amount FROM {Db}.{table} WHERE id IN (1, 2) ORDER BY id LIMIT 1 BY id",
            r => (Id: r.GetProperty("id").GetInt64(), Name: r.GetProperty("name").GetString(), At: r.GetProperty("at").GetString(),
                Tags: r.GetProperty("tags").GetArrayLength(), Amount: r.GetProperty("amount").ValueKind), default);
        Assert.Equal((1L, "n1 \"quoted\" é", "2026-03-01 09:00:00", 2, System.Text.Json.JsonValueKind.Number), rows[0]);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[1].Amount);
        // Streamed: a large result is read row by row.
        Assert.Equal(200_000, (await _ch.QueryAsync("SELECT number FROM system.numbers LIMIT 200000", r => r.GetProperty("number").GetInt64(), default)).Count);
    }

    [Fact]
    public async Task Errors_carry_the_server_code_and_message_never_the_password()
    {
        var syntax = await Assert.ThrowsAsync<ClickHouseException>(() => _ch.ExecuteAsync("SELEC 1", default));
        Assert.Equal(62, syntax.Code);
        Assert.StartsWith("ClickHouse error 62: Syntax error", syntax.Message, StringComparison.Ordinal);
        Assert.IsNotType<ClickHouseBackpressureException>(syntax);

        var unknown = await Assert.ThrowsAsync<ClickHouseException>(() => _ch.QueryAsync("SELECT * FROM no_such_table", r => 0, default));
        Assert.Equal(60, unknown.Code);

        // Reported after rows were sent, inside the 200 body.
        var late = await Assert.ThrowsAsync<ClickHouseException>(() => _ch.QueryAsync("SELECT number, throwIf(number = 150000) AS x FROM system.numbers LIMIT 200000",
            r => 0, default, new Dictionary<string, string> { ["max_block_size"] = "1000" }));
        Assert.Equal(395, late.Code);

        var settings = TestClickHouse.Settings(maxAttempts: 1);
        using var wrong = new ClickHouseClient(settings with { Password = "wrong-password-123" });
        var auth = await Assert.ThrowsAsync<ClickHouseException>(() => wrong.ExecuteAsync("SELECT 1", default));
        Assert.Equal(193, auth.Code);
        foreach (var e in new Exception[] { syntax, unknown, late, auth })
        {
            Assert.DoesNotContain(settings.Password!, e.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-password-123", e.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unreachable_servers_and_timeouts_are_retried_then_reported_without_credentials()
    {
        var settings = TestClickHouse.Settings(maxAttempts: 2) with { Endpoint = new Uri("http://127.0.0.1:9/") };
        using var nowhere = new ClickHouseClient(settings);
        var started = DateTime.UtcNow;
        var refused = await Assert.ThrowsAsync<ClickHouseException>(() => nowhere.ExecuteAsync("SELECT 1", default));
        Assert.Equal(0, refused.Code);
        Assert.True(DateTime.UtcNow - started >= ClickHouseRetry.Delay(FailureKind.Network, 1, 0), "one retry after a backoff");
        Assert.Contains("127.0.0.1:9", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(settings.Password!, refused.ToString(), StringComparison.Ordinal);

        using var impatient = new ClickHouseClient(TestClickHouse.Settings(maxAttempts: 1, timeout: TimeSpan.FromSeconds(1)));
        var slow = await Assert.ThrowsAsync<ClickHouseException>(() => impatient.QueryAsync("SELECT sleep(3) AS s", r => 0, default));
        Assert.Contains("no answer within 1 s", slow.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_parts_and_memory_limits_are_backpressure()
    {
        // A table that refuses a second part while merges are stopped: the real "too many parts" (252).
        var table = await ScratchTableAsync("MergeTree ORDER BY id SETTINGS parts_to_throw_insert = 1, parts_to_delay_insert = 1");
        await _ch.ExecuteAsync($"SYSTEM STOP MERGES {Db}.{table}", default);
        using var once = new ClickHouseClient(TestClickHouse.Settings(maxAttempts: 1));
        Task Insert(ClickHouseClient c) => c.InsertJsonEachRowAsync(table, (body, ct) => body.WriteAsync("{\"id\":1,\"name\":\"x\",\"at\":\"2026-01-01T00:00:00Z\",\"tags\":[],\"amount\":null}\n"u8.ToArray(), ct).AsTask(), default);
        await Insert(once);
        var parts = await Assert.ThrowsAsync<ClickHouseBackpressureException>(() => Insert(once));
        Assert.Equal(ClickHouseErrors.TooManyParts, parts.Code);

        var memory = await Assert.ThrowsAsync<ClickHouseBackpressureException>(() => once.QueryAsync("SELECT groupArray(number) AS a FROM numbers(1000000)", r => 0, default,
            new Dictionary<string, string> { ["max_memory_usage"] = "100000" }));
        Assert.Equal(ClickHouseErrors.MemoryLimitExceeded, memory.Code);
        await _ch.ExecuteAsync($"DROP TABLE {Db}.{table}", default);
    }

    [Fact]
    public async Task Schema_is_idempotent_and_reinserted_rows_count_once()
    {
        await ClickHouseSchema.EnsureAsync(_ch, default); // again: no error
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, T0, 40);
        for (var i = 0; i < 3; i++) await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 1000);
        for (var i = 0; i < 2; i++) await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Events, 1000);
        Assert.Equal(40, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.runs FINAL WHERE org_id = {ClickHouseSql.Uuid(org)}"));
        Assert.Equal(120, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.events FINAL WHERE org_id = {ClickHouseSql.Uuid(org)}"));
        var summary = await new ClickHouseAnalytics(_ch).SummaryAsync(org, AnalyticsRange.Create(T0, T0.AddDays(1)), Bucket.Hour, default);
        Assert.Equal(40, summary.Totals.Runs);
    }

    [Fact]
    public async Task Keyset_batches_cover_a_range_exactly_once_and_respect_the_end_key_and_change_window()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, T0, 84); // 252 events
        var ids = await _db.InOrgAsync(org, tx => tx.ListAsync("SELECT id FROM events WHERE org_id = $1 ORDER BY id", r => r.GetString(0), default, org), default);
        Assert.Equal(252, ids.Count);

        var batches = await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Events, 100);
        Assert.Equal([100, 100, 52, 0], batches.Select(b => b.Rows));
        Assert.Equal([ids[99], ids[199], ids[251], ids[251]], batches.Select(b => b.LastKey));
        Assert.All(batches.Take(3), b => Assert.True(b.Bytes > b.Rows * 100));
        Assert.Equal(0, batches[^1].Bytes);
        var inClickHouse = await _ch.QueryAsync($"SELECT id FROM {Db}.events WHERE org_id = {ClickHouseSql.Uuid(org)} ORDER BY id", r => r.GetProperty("id").GetString()!, default);
        Assert.Equal(ids, inClickHouse); // no FINAL: each row was written exactly once

        // A shard: (ids[49], ids[119]] only.
        var other = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(other, T0, 84);
        var shard = await AnalyticsData.ExportAllAsync(_db, _export, other, ExportSource.Events, 30, afterKey: ids[49], endKey: ids[119]);
        Assert.Equal([30, 30, 10, 0], shard.Select(b => b.Rows));
        Assert.Equal(70, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.events FINAL WHERE org_id = {ClickHouseSql.Uuid(other)}"));
        Assert.Equal(ids[50], (await _ch.QueryAsync($"SELECT min(id) AS m FROM {Db}.events WHERE org_id = {ClickHouseSql.Uuid(other)}", r => r.GetProperty("m").GetString(), default))[0]);

        // Changed in (t1, t2]: runs by updated_at.
        var t1 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE runs SET updated_at = $2 + (substr(id, 5)::int % 4) * interval '1 hour' WHERE org_id = $1", org, t1);
        var changed = await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 1000, changedAfter: t1, changedUpTo: t1.AddHours(2));
        // Hours 1 and 2 (ids ≡ 1, 2 mod 4); hour 0 is not after t1 and hour 3 is past the window.
        Assert.Equal(42, changed[0].Rows);
        var exported = await _ch.QueryAsync($"SELECT DISTINCT toInt32(substring(id, 5)) % 4 AS m FROM {Db}.runs WHERE org_id = {ClickHouseSql.Uuid(org)} ORDER BY m", r => r.GetProperty("m").GetInt32(), default);
        Assert.Equal([1, 2], exported);
    }

    [Fact]
    public async Task Async_mode_goes_through_the_buffer_and_lands_in_the_table()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, T0, 30);
        var batches = await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 1000, InsertMode.Async);
        Assert.Equal(30, batches[0].Rows);
        var where = $"WHERE org_id = {ClickHouseSql.Uuid(org)}";
        // Readable through the buffer at once (buffer + table).
        Assert.Equal(30, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.{ClickHouseSchema.RunsBuffer} {where}"));
        // In the table within BufferMaxSeconds; OPTIMIZE flushes a Buffer table now.
        await _ch.ExecuteAsync($"OPTIMIZE TABLE {Db}.{ClickHouseSchema.RunsBuffer}", default);
        Assert.Equal(30, await _ch.ScalarAsync($"SELECT count() AS n FROM {Db}.{ClickHouseSchema.Runs} FINAL {where}"));
    }

    [Fact]
    public async Task A_changed_run_replaces_its_old_copy_even_when_the_old_copy_matched_the_filter()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, T0, 8);
        await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 100);
        var range = AnalyticsRange.Create(T0, T0.AddDays(1));
        var analytics = new ClickHouseAnalytics(_ch);
        Assert.Equal(8, (await analytics.SummaryAsync(org, range, Bucket.Day, default)).Totals.Runs);

        // Every run moves out of the range and fails; the new copies win over the old ones, which matched the range.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE runs SET start_ts = start_ts - interval '10 days', first_event_at = first_event_at - interval '10 days', status = 'failed', updated_at = now() WHERE org_id = $1", org);
        await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 100);
        Assert.Equal(0, (await analytics.SummaryAsync(org, range, Bucket.Day, default)).Totals.Runs);
        var earlier = await analytics.SummaryAsync(org, AnalyticsRange.Create(T0.AddDays(-11), T0), Bucket.Day, default);
        Assert.Equal((8L, 8L), (earlier.Totals.Runs, earlier.Totals.FailedRuns));
    }

    [Fact]
    public async Task Every_value_arrives_exactly_as_stored_quotes_unicode_nulls_and_all()
    {
        var org = await AnalyticsData.NewOrgAsync();
        var agent = Guid.NewGuid();
        const string Key = "it's \\ a \"key\" ✓";
        const string Text = "line\nbreak\ttab \"quote\" back\\slash <b>&amp; ünïcödé 🚀 \u0001";
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "INSERT INTO agents (id, org_id, name) VALUES ($1, $2, 'a')", agent, org);
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, """
            INSERT INTO runs (org_id, id, agent_id, status, start_ts, end_ts, first_event_at, first_event_id, last_event_at, error, tags, environment,
                              event_count, llm_calls, tool_calls, error_count, tokens_in, tokens_out, tokens_cached, cost_micros, unpriced_calls, models, updated_at)
            VALUES ($1, $2, $3, 'failed', '2026-03-01T10:00:00.999999Z', NULL, '2026-03-01T10:00:00.999999Z', 'e', '2026-03-01T10:00:01Z', $4,
                    ARRAY[$4, NULL, ''], NULL, 2147483647, 1, 2, 3, 9007199254740993, 0, 5, 123456789012, 4, '{}', '2026-03-02T00:00:00.000001Z')
            """, org, Key, agent, Text);
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, """
            INSERT INTO events (org_id, id, run_id, agent_id, type, ts, score, tags, accepted_at, stored_at, name)
            VALUES ($1, 'e1', $2, $3, 'score', '2026-03-01T10:00:00Z', 'NaN', NULL, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', $4),
                   ($1, 'e2', $2, $3, 'score', '2026-03-01T10:00:00Z', -0.125, '{}', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', NULL)
            """, org, Key, agent, Text);
        Assert.Equal(1, (await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 10))[0].Rows);
        Assert.Equal("e2", (await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Events, 10))[0].LastKey);
        // A key with a quote is carried into the next batch's COPY as a literal: nothing after it.
        Assert.Equal(0, (await AnalyticsData.ExportAllAsync(_db, _export, org, ExportSource.Runs, 10, afterKey: Key))[0].Rows);

        var where = $"WHERE org_id = {ClickHouseSql.Uuid(org)}";
        var run = (await _ch.QueryAsync($"""
            SELECT id, agent_id, status, toString(started_at) AS started, isNull(ended_at) AS open, error, has_error, tags, isNull(environment) AS no_env,
                   event_count, tokens_in, toString(tokens_in) AS tokens_text, cost_micros, unpriced_calls, toString(updated_at) AS updated, toString(version) AS version
            FROM {Db}.runs FINAL {where}
            """, r => r.Clone(), default))[0];
        Assert.Equal(Key, run.GetProperty("id").GetString());
        Assert.Equal(agent, run.GetProperty("agent_id").GetGuid());
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal("2026-03-01 10:00:00", run.GetProperty("started").GetString()); // cut to the second, not rounded
        Assert.Equal(1, run.GetProperty("open").GetInt32());
        Assert.Equal(Text, run.GetProperty("error").GetString());
        Assert.Equal(1, run.GetProperty("has_error").GetInt32());
        Assert.Equal([Text, "", ""], run.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(1, run.GetProperty("no_env").GetInt32());
        Assert.Equal("2147483647", run.GetProperty("event_count").ToString());
        Assert.Equal("9007199254740993", run.GetProperty("tokens_text").GetString()); // above 2^53: exact
        Assert.Equal("123456789012", run.GetProperty("cost_micros").ToString());
        Assert.Equal("2026-03-02 00:00:00", run.GetProperty("updated").GetString());
        Assert.Equal("1772409600000001", run.GetProperty("version").GetString()); // microseconds since 1970

        var events = await _ch.QueryAsync($"SELECT id, name, isNull(score) AS no_score, score, tags FROM {Db}.events FINAL {where} ORDER BY id", r => r.Clone(), default);
        Assert.Equal(Text, events[0].GetProperty("name").GetString());
        Assert.Equal(1, events[0].GetProperty("no_score").GetInt32()); // NaN has no JSON form: NULL
        Assert.Empty(events[0].GetProperty("tags").EnumerateArray());
        Assert.Equal(-0.125, events[1].GetProperty("score").GetDouble());
        Assert.Equal(JsonValueKind.Null, events[1].GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task Another_organizations_rows_never_appear()
    {
        var (mine, theirs) = (await AnalyticsData.NewOrgAsync(), await AnalyticsData.NewOrgAsync());
        var myAgents = await AnalyticsData.GenerateAsync(mine, T0, 20, agents: 2);
        await AnalyticsData.GenerateAsync(theirs, T0, 50, agents: 3, seed: 5);
        foreach (var org in new[] { mine, theirs })
            foreach (var source in new[] { ExportSource.Runs, ExportSource.Events })
                await AnalyticsData.ExportAllAsync(_db, _export, org, source, 1000);

        var analytics = new ClickHouseAnalytics(_ch);
        var range = AnalyticsRange.Create(T0, T0.AddDays(2));
        var summary = await analytics.SummaryAsync(mine, range, Bucket.Hour, default);
        Assert.Equal(20, summary.Totals.Runs);
        Assert.All(summary.TopAgents, a => Assert.Contains(a.AgentId, myAgents));
        var byAgent = await analytics.SeriesAsync(mine, range, Bucket.Day, SeriesBy.Agent, null, default);
        Assert.All(byAgent, p => Assert.Contains(Guid.Parse(p.Key), myAgents));
        Assert.Equal(60, (await analytics.SeriesAsync(mine, range, Bucket.Day, SeriesBy.Model, null, default)).Sum(p => p.Count)
            + await _db.InOrgAsync(mine, tx => tx.ScalarAsync<long>("SELECT count(*) FROM events WHERE org_id = $1 AND model IS NULL", default, mine), default));
        Assert.Equal(0, (await analytics.SummaryAsync(Guid.NewGuid(), range, Bucket.Hour, default)).Totals.Runs);
    }
}

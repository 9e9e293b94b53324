using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The fault hook SDK conformance tests arm (docs/api.md "Fault injection"): the collection's server runs with
/// AGENTOPS_FAULT_INJECTION=true (ApiFixture); one test starts a server without it.
/// </summary>
[Collection(ApiCollection.Name)]
public class FaultInjectionTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();
    private const string Faults = "/api/v1/test/faults";

    private static object Fault(int status, string when, int times = 1, int? retryAfter = null, string path = "/api/v1/ingest") =>
        retryAfter is null ? new { path, status, when, times } : new { path, status, when, times, retry_after_s = retryAfter };

    private static object[] Run(string runId) =>
    [
        Event($"{runId}-s", "run.start", 0, runId, extra: new { name = "faulted" }),
        Event($"{runId}-e", "run.end", 1, runId, extra: new { status = "success" }),
    ];

    private static async Task<long> StoredEventsAsync(Guid orgId) =>
        await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", orgId);

    private static async Task WaitForQueueToDrainAsync(Guid orgId)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_batches WHERE org_id = $1", orgId) == 0) return;
        throw new TimeoutException("accepted batches were not processed");
    }

    [Fact]
    public async Task A_before_fault_answers_its_status_without_running_the_endpoint()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var armed = (await _client.Post(Faults, Fault(503, "before", retryAfter: 2), tenant.AdminToken)).Expect(201).Body;
        Assert.Equal("/api/v1/ingest", armed.GetProperty("path").GetString());
        Assert.Equal(503, armed.GetProperty("status").GetInt32());
        Assert.Equal("before", armed.GetProperty("when").GetString());
        Assert.Equal(1, armed.GetProperty("times").GetInt32());
        Assert.Equal(1, armed.GetProperty("remaining").GetInt32());
        Assert.Equal(0, armed.GetProperty("hits").GetInt32());

        var faulted = (await _client.IngestAsync(key, Run("before-run"))).ExpectProblem(503, "fault_injected");
        Assert.Equal("2", faulted.Raw.Headers.GetValues("Retry-After").Single());
        // The fault is used up: the same batch now goes through, and only it is stored.
        (await _client.IngestAsync(key, Run("before-run"))).Expect(202);
        await _client.WaitForRunAsync(key, "before-run", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await WaitForQueueToDrainAsync(tenant.OrgId);
        Assert.Equal(2L, await StoredEventsAsync(tenant.OrgId));

        var listed = (await _client.Get(Faults, tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray().Single();
        Assert.Equal(armed.GetProperty("id").GetGuid(), listed.GetProperty("id").GetGuid());
        Assert.Equal(0, listed.GetProperty("remaining").GetInt32());
        Assert.Equal(1, listed.GetProperty("hits").GetInt32());
    }

    [Fact]
    public async Task An_after_fault_lets_the_endpoint_commit_and_replaces_its_answer()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.Post(Faults, Fault(503, "after"), tenant.AdminToken)).Expect(201);

        var faulted = (await _client.IngestAsync(key, Run("after-run"))).ExpectProblem(503, "fault_injected");
        Assert.False(faulted.Body.TryGetProperty("accepted", out _)); // nothing of the real answer leaks
        Assert.False(faulted.Raw.Headers.Contains("Retry-After"));
        // The batch was accepted and is stored, although the client saw a 503.
        await _client.WaitForRunAsync(key, "after-run", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await WaitForQueueToDrainAsync(tenant.OrgId);
        Assert.Equal(2L, await StoredEventsAsync(tenant.OrgId));

        // The client retries with the same ids, as the SDKs do: nothing is stored twice.
        (await _client.IngestAsync(key, Run("after-run"))).Expect(202);
        await WaitForQueueToDrainAsync(tenant.OrgId);
        Assert.Equal(2L, await StoredEventsAsync(tenant.OrgId));
        var run = (await _client.Get("/api/v1/runs/after-run", key)).Expect(200).Body.GetProperty("run");
        Assert.Equal(2, run.GetProperty("event_count").GetInt32());
    }

    [Fact]
    public async Task Faults_strike_in_the_order_armed_and_count_their_hits()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var first = (await _client.Post(Faults, Fault(500, "before", times: 2), tenant.AdminToken)).Expect(201).Id();
        var other = (await _client.Post(Faults, Fault(502, "before", path: "/api/v1/ingest/run"), tenant.AdminToken)).Expect(201).Id();
        var second = (await _client.Post(Faults, Fault(429, "before", retryAfter: 0), tenant.AdminToken)).Expect(201).Id();
        var third = (await _client.Post(Faults, Fault(408, "after"), tenant.AdminToken)).Expect(201).Id();

        var statuses = new List<int>();
        for (var i = 0; i < 5; i++) statuses.Add(await Status());
        Assert.Equal([500, 500, 429, 408, 202], statuses);

        var items = (await _client.Get(Faults, tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([first, other, second, third], items.Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal([2, 0, 1, 1], items.Select(i => i.GetProperty("hits").GetInt32()));
        Assert.Equal([0, 1, 0, 0], items.Select(i => i.GetProperty("remaining").GetInt32()));

        // The path is matched exactly, in any case: /api/v1/ingest/run is not /api/v1/ingest.
        (await _client.Post("/API/V1/INGEST/RUN", new { events = Run("upper-run") }, key)).ExpectProblem(502, "fault_injected");

        (await _client.Delete(Faults, tenant.AdminToken)).Expect(204);
        Assert.Equal(0, (await _client.Get(Faults, tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        (await _client.IngestAsync(key, Run("cleared-run"))).Expect(202);

        async Task<int> Status() => (await _client.IngestAsync(key, Run("ordered-run"))).Code;
    }

    [Fact]
    public async Task Concurrent_requests_use_each_strike_exactly_once()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.Post(Faults, Fault(503, "before", times: 5), tenant.AdminToken)).Expect(201);
        var codes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i => (await _client.IngestAsync(key, Run($"c-{i}"))).Code));
        Assert.Equal(5, codes.Count(c => c == 503));
        Assert.Equal(7, codes.Count(c => c == 202));
        var fault = (await _client.Get(Faults, tenant.AdminToken)).Body.GetProperty("items")[0];
        Assert.Equal(5, fault.GetProperty("hits").GetInt32());
    }

    [Fact]
    public async Task One_organizations_faults_neither_strike_nor_show_in_another()
    {
        var (a, keyA) = await _client.SdkTenantAsync();
        var (b, keyB) = await _client.SdkTenantAsync();
        (await _client.Post(Faults, Fault(503, "before", times: 3), a.AdminToken)).Expect(201);

        (await _client.IngestAsync(keyB, Run("b-run"))).Expect(202);
        Assert.Equal(0, (await _client.Get(Faults, b.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        (await _client.Delete(Faults, b.AdminToken)).Expect(204); // clears B's (none), not A's

        (await _client.IngestAsync(keyA, Run("a-run"))).ExpectProblem(503, "fault_injected");
        var fault = (await _client.Get(Faults, a.AdminToken)).Body.GetProperty("items").EnumerateArray().Single();
        Assert.Equal(1, fault.GetProperty("hits").GetInt32());
        Assert.Equal(2, fault.GetProperty("remaining").GetInt32());
    }

    [Fact]
    public async Task Only_admins_arm_faults()
    {
        var tenant = await _client.SignupAsync();
        var member = await _client.AddMemberAsync(tenant, "member");
        (await _client.Post(Faults, Fault(503, "before"), member.Token)).ExpectProblem(403, "forbidden");
        (await _client.Get(Faults, member.Token)).ExpectProblem(403, "forbidden");
        var (_, ingestKey) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");
        (await _client.Post(Faults, Fault(503, "before"), ingestKey)).ExpectProblem(403, "forbidden");
        var (_, adminKey) = await _client.CreateKeyAsync(tenant.AdminToken, "admin");
        (await _client.Post(Faults, Fault(503, "before"), adminKey)).Expect(201);
    }

    [Theory]
    [InlineData("""{"path":"/api/v1/ingest","status":404,"when":"before"}""", "$.status")]
    [InlineData("""{"path":"/api/v1/ingest","status":600,"when":"before"}""", "$.status")]
    [InlineData("""{"path":"/api/v1/ingest","when":"before"}""", "$.status")]
    [InlineData("""{"path":"/api/v1/ingest","status":503,"when":"during"}""", "$.when")]
    [InlineData("""{"path":"/api/v1/ingest","status":503}""", "$.when")]
    [InlineData("""{"path":"/api/v1/ingest","status":503,"when":"before","times":0}""", "$.times")]
    [InlineData("""{"path":"/api/v1/ingest","status":503,"when":"before","times":101}""", "$.times")]
    [InlineData("""{"path":"/api/v1/ingest","status":503,"when":"before","retry_after_s":61}""", "$.retry_after_s")]
    [InlineData("""{"path":"api/v1/ingest","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/API/v1/test/faults","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/api/v1/test/faults/","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/api/v1/test/faults//","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/api/v1/ingest?x=1","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/api/v1/ingest#top","status":503,"when":"before"}""", "$.path")]
    [InlineData("""{"path":"/api/v1/%69ngest","status":503,"when":"before"}""", "$.path")]
    public async Task A_bad_fault_is_refused_naming_the_field(string body, string field)
    {
        var tenant = await _client.SignupAsync();
        var problem = (await _client.Post(Faults, body, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.True(problem.Body.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0, (await _client.Get(Faults, tenant.AdminToken)).Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_fields_and_wrong_types_are_400()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post(Faults, """{"path":"/api/v1/ingest","status":503,"when":"before","delay":5}""", tenant.AdminToken)).ExpectProblem(400, "unknown_field");
        (await _client.Post(Faults, """{"path":"/api/v1/ingest","status":"503","when":"before"}""", tenant.AdminToken)).ExpectProblem(400, "type_mismatch");
    }

    [Fact]
    public async Task An_organization_holds_at_most_its_limit_of_faults()
    {
        var tenant = await _client.SignupAsync();
        for (var i = 0; i < AgentOps.FaultInjection.FaultBoard.MaxFaultsPerOrganization; i++)
            (await _client.Post(Faults, Fault(503, "before", path: $"/api/v1/nowhere/{i}"), tenant.AdminToken)).Expect(201);
        (await _client.Post(Faults, Fault(503, "before"), tenant.AdminToken)).ExpectProblem(409, "fault_limit");
        (await _client.Delete(Faults, tenant.AdminToken)).Expect(204);
        (await _client.Post(Faults, Fault(503, "before"), tenant.AdminToken)).Expect(201);
    }

    [Fact]
    public async Task Without_the_setting_the_routes_do_not_exist_and_nothing_strikes()
    {
        // The collection's server has it on (ApiFixture); this one is started with it off, as every real deployment is.
        Environment.SetEnvironmentVariable(AgentOps.FaultInjection.FaultInjectionModule.SettingName, "false");
        try
        {
            await using var off = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>();
            using var client = off.CreateClient();
            var (tenant, key) = await client.SdkTenantAsync();
            (await client.Post(Faults, Fault(503, "before"), tenant.AdminToken)).ExpectProblem(404, "route_not_found");
            (await client.Get(Faults, tenant.AdminToken)).ExpectProblem(404, "route_not_found");
            (await client.Delete(Faults, tenant.AdminToken)).ExpectProblem(404, "route_not_found");
            (await client.IngestAsync(key, Run("off-run"))).Expect(202);
            Assert.Null(off.Services.GetService(typeof(AgentOps.FaultInjection.FaultBoard)));
            using var doc = JsonDocument.Parse(await client.GetStringAsync("/api/openapi.json"));
            Assert.False(doc.RootElement.GetProperty("paths").TryGetProperty(Faults, out _));
        }
        finally
        {
            Environment.SetEnvironmentVariable(AgentOps.FaultInjection.FaultInjectionModule.SettingName, "true");
        }
    }

    [Fact]
    public async Task A_trailing_slash_is_the_same_path_on_either_side()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var armed = (await _client.Post(Faults, Fault(503, "before", times: 2, path: "/api/v1/ingest/"), tenant.AdminToken)).Expect(201).Body;
        Assert.Equal("/api/v1/ingest", armed.GetProperty("path").GetString()); // stored without it
        (await _client.IngestAsync(key, Run("slash-run"))).ExpectProblem(503, "fault_injected");
        (await _client.Post(Faults, Fault(502, "before"), tenant.AdminToken)).Expect(201);
        // The request with a trailing slash reaches the same route, and the same fault.
        (await _client.Post("/api/v1/ingest/", new { batch = Run("slash-run") }, key)).ExpectProblem(503, "fault_injected");
        (await _client.Post("/api/v1/ingest/", new { batch = Run("slash-run") }, key)).ExpectProblem(502, "fault_injected");
        (await _client.Post("/api/v1/ingest/", new { batch = Run("slash-run") }, key)).Expect(202);
    }

    [Fact]
    public async Task An_after_fault_stops_an_endpoint_whose_answer_passes_the_buffer_limit()
    {
        var board = (AgentOps.FaultInjection.FaultBoard)fx.Factory.Services.GetService(typeof(AgentOps.FaultInjection.FaultBoard))!;
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, Run("big-run"))).Expect(202);
        await _client.WaitForRunAsync(key, "big-run", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        (await _client.Post(Faults, Fault(503, "after", times: 2, path: "/api/v1/runs/big-run"), tenant.AdminToken)).Expect(201);

        // Under the limit the endpoint runs to its end; past it, it is stopped and the fault answers at once. (The limit is
        // 1 MiB; lowered here so that a small answer passes it. The collection's tests run one at a time.)
        Assert.Contains("after its endpoint ran to its end",
            (await _client.Get("/api/v1/runs/big-run", key)).ExpectProblem(503, "fault_injected").Body.GetProperty("detail").GetString());
        board.AfterBufferLimitBytes = 64;
        try
        {
            var detail = (await _client.Get("/api/v1/runs/big-run", key)).ExpectProblem(503, "fault_injected").Body.GetProperty("detail").GetString()!;
            Assert.Contains("while its endpoint was still answering", detail);
            Assert.Contains("64 bytes", detail);
            Assert.DoesNotContain("after its endpoint ran", detail);
        }
        finally
        {
            board.AfterBufferLimitBytes = AgentOps.FaultInjection.FaultBoard.MaxAfterBufferBytes;
        }
        Assert.Equal(1024 * 1024, AgentOps.FaultInjection.FaultBoard.MaxAfterBufferBytes);
        // Used up: the real answer, whole.
        Assert.Equal(2, (await _client.Get("/api/v1/runs/big-run", key)).Expect(200).Body.GetProperty("run").GetProperty("event_count").GetInt32());
    }

    [Fact]
    public async Task An_after_fault_on_a_stream_answers_when_the_stream_ends()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post(Faults, Fault(503, "after", path: "/api/v1/live"), tenant.AdminToken)).Expect(201);
        var started = DateTime.UtcNow;
        var detail = (await _client.Get("/api/v1/live?max_seconds=1", tenant.AdminToken)).ExpectProblem(503, "fault_injected").Body.GetProperty("detail").GetString()!;
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
        Assert.Contains("after its endpoint ran to its end", detail);
    }

    [Fact]
    public async Task An_after_fault_over_a_refusal_says_the_endpoint_ran_and_a_before_fault_that_it_did_not()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.Post(Faults, Fault(500, "after", path: "/api/v1/runs/no-such-run"), tenant.AdminToken)).Expect(201);
        (await _client.Post(Faults, Fault(500, "before", path: "/api/v1/runs/no-such-run"), tenant.AdminToken)).Expect(201);
        Assert.Contains("after its endpoint ran to its end",
            (await _client.Get("/api/v1/runs/no-such-run", key)).ExpectProblem(500, "fault_injected").Body.GetProperty("detail").GetString());
        Assert.Contains("before its endpoint ran (it did not run)",
            (await _client.Get("/api/v1/runs/no-such-run", key)).ExpectProblem(500, "fault_injected").Body.GetProperty("detail").GetString());
        (await _client.Get("/api/v1/runs/no-such-run", key)).ExpectProblem(404, "not_found");
    }
}

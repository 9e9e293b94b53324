using System.Collections.Concurrent;
using System.Diagnostics;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class AuditChainAndControlsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task The_audit_chain_verifies_and_detects_a_row_the_superuser_changed()
    {
        var tenant = await _client.SignupAsync();
        for (var i = 0; i < 3; i++) (await _client.Patch("/api/v1/orgs/profile", new { name = $"Name {i}" }, tenant.AdminToken)).Expect(200);
        var intact = (await _client.Get("/api/v1/audit-logs/verify", tenant.AdminToken)).Expect(200).Body;
        Assert.True(intact.GetProperty("intact").GetBoolean());
        Assert.Equal(5, intact.GetProperty("rows").GetInt64());

        // Someone with database superuser rights rewrites history.
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl,
            "UPDATE audit_logs SET after = jsonb_set(after, '{name}', '\"Innocent\"') WHERE org_id = $1 AND chain_index = 4", tenant.OrgId);
        var broken = (await _client.Get("/api/v1/audit-logs/verify", tenant.AdminToken)).Expect(200).Body;
        Assert.False(broken.GetProperty("intact").GetBoolean());
        Assert.Equal(4, broken.GetProperty("broken_at").GetInt64());

        // Other organizations' chains are theirs alone and stay intact.
        var other = await _client.SignupAsync();
        Assert.True((await _client.Get("/api/v1/audit-logs/verify", other.AdminToken)).Expect(200).Body.GetProperty("intact").GetBoolean());
    }

    [Fact]
    public async Task Deleting_a_row_is_detected_too()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Patch("/api/v1/orgs/profile", new { name = "x" }, tenant.AdminToken)).Expect(200);
        (await _client.Patch("/api/v1/orgs/profile", new { name = "y" }, tenant.AdminToken)).Expect(200);
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "DELETE FROM audit_logs WHERE org_id = $1 AND chain_index = 2", tenant.OrgId);
        var broken = (await _client.Get("/api/v1/audit-logs/verify", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(2, broken.GetProperty("broken_at").GetInt64());
    }

    [Fact]
    public async Task The_audit_log_filters_pages_exports_and_stays_in_its_organization()
    {
        var tenant = await _client.SignupAsync();
        var member = await _client.AddMemberAsync(tenant, "member");
        (await _client.Patch($"/api/v1/org-members/{member.MemberId}", new { role = "viewer" }, tenant.AdminToken)).Expect(200);
        var all = (await _client.Get("/api/v1/audit-logs?limit=2", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(2, all.GetProperty("items").GetArrayLength());
        var next = all.GetProperty("next_cursor").GetString();
        Assert.NotNull(next);
        var members = (await _client.Get("/api/v1/audit-logs?action=member.*", tenant.AdminToken)).Expect(200).Body.GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Equal(["member.updated", "member.joined", "member.invited", "member.joined"], members);
        var byActor = (await _client.Get($"/api/v1/audit-logs?actor={member.UserId}", tenant.AdminToken)).Expect(200).Body.GetProperty("items");
        Assert.Equal("member.joined", byActor[0].GetProperty("action").GetString());

        using var csv = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit-logs?format=csv") { Headers = { Authorization = new("Bearer", tenant.AdminToken) } });
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith("chain_index,created_at,actor_type", text);
        Assert.Contains("member.updated", text);

        (await _client.Get("/api/v1/audit-logs", member.Token)).ExpectProblem(403, "forbidden");
        var other = await _client.SignupAsync();
        Assert.DoesNotContain(tenant.OrgId.ToString(), (await _client.Get("/api/v1/audit-logs", other.AdminToken)).Expect(200).Body.ToString());
    }

    [Fact]
    public async Task The_kill_switch_stops_ingest_within_a_second_under_concurrent_load_and_resume_all_restores_only_its_own()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var kept = (await _client.Post("/api/v1/agents", new { name = "kept-paused" }, tenant.AdminToken)).Expect(201).Id();
        (await _client.Post($"/api/v1/controls/pause-agent/{kept}", new { reason = "investigating" }, tenant.AdminToken)).Expect(200);

        // Concurrent senders for two agents; every reply is recorded with when it was sent.
        var replies = new ConcurrentBag<(TimeSpan SentAt, int Accepted, int Paused)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                // Four senders at about 20 requests/s each stay under the key's own limit (100/s).
                await Task.Delay(50);
                var sentAt = clock.Elapsed;
                var reply = await _client.IngestAsync(key, Event($"k{s}-{i}", "log", 0, $"kill-{s}", agent: s % 2 == 0 ? "alpha" : "beta"));
                if (reply.Code is not (202 or 207)) throw new InvalidOperationException($"unexpected reply {reply}");
                var accepted = reply.Body.GetProperty("accepted").GetInt32();
                var paused = reply.Code == 207 ? reply.Body.GetProperty("results").EnumerateArray().Count(r => r.TryGetProperty("code", out var c) && c.GetString() == "agent_paused") : 0;
                replies.Add((sentAt, accepted, paused));
            }
        })).ToArray();
        await Task.Delay(500);
        var killedAt = clock.Elapsed;
        var kill = (await _client.Post("/api/v1/controls/kill-switch", new { reason = "runaway spend" }, tenant.AdminToken)).Expect(200).Body;
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        Assert.True(kill.GetProperty("status").GetProperty("killed").GetBoolean());
        Assert.Equal(2, kill.GetProperty("agents_changed").GetArrayLength()); // alpha and beta, not the one already paused
        var afterOneSecond = replies.Where(r => r.SentAt > killedAt + TimeSpan.FromSeconds(1)).ToList();
        Assert.NotEmpty(afterOneSecond);
        Assert.All(afterOneSecond, r => Assert.Equal((0, 1), (r.Accepted, r.Paused)));
        Assert.Contains(replies, r => r.SentAt < killedAt && r.Accepted == 1);

        // While the switch is on, agents cannot be resumed one by one, and new names start paused.
        (await _client.Post($"/api/v1/controls/resume-agent/{kept}", null, tenant.AdminToken)).ExpectProblem(409, "org_killed");
        (await _client.Patch($"/api/v1/agents/{kept}", new { status = "active" }, tenant.AdminToken)).ExpectProblem(409, "org_killed");
        var registered = (await _client.Post("/api/v1/agents", new { name = "registered-while-killed" }, tenant.AdminToken)).Expect(201);
        Assert.Equal("paused", registered.Str("status"));
        Assert.Equal("agent_paused", (await _client.IngestAsync(key, Event("new-1", "log", 0, "new", agent: "gamma"))).Expect(207)
            .Body.GetProperty("results")[0].GetProperty("code").GetString());

        var resumed = (await _client.Post("/api/v1/controls/resume-all", new { reason = "fixed" }, tenant.AdminToken)).Expect(200).Body;
        Assert.False(resumed.GetProperty("status").GetProperty("killed").GetBoolean());
        Assert.Equal(4, resumed.GetProperty("agents_changed").GetArrayLength()); // alpha, beta, gamma, registered-while-killed
        Assert.Equal(1, resumed.GetProperty("status").GetProperty("paused_agents").GetInt64()); // kept-paused stays paused
        (await _client.IngestAsync(key, Event("after-1", "log", 0, "after", agent: "alpha"))).Expect(202);
        var actions = (await _client.Get("/api/v1/audit-logs?action=control.*", tenant.AdminToken)).Expect(200).Body.GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Equal(["control.resume_all", "control.kill_switch", "control.agent_paused"], actions);
    }

    [Fact]
    public async Task Controls_need_the_right_role_and_stay_in_their_organization()
    {
        var (tenant, _) = await _client.SdkTenantAsync();
        var member = await _client.AddMemberAsync(tenant, "member");
        var agent = (await _client.Post("/api/v1/agents", new { name = "guarded" }, tenant.AdminToken)).Expect(201).Id();
        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "no" }, member.Token)).ExpectProblem(403, "forbidden");
        (await _client.Patch($"/api/v1/agents/{agent}", new { status = "paused" }, member.Token)).ExpectProblem(403, "forbidden");
        (await _client.Post("/api/v1/controls/kill-switch", new { }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        var other = await _client.SignupAsync();
        (await _client.Post($"/api/v1/controls/pause-agent/{agent}", null, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "theirs" }, other.AdminToken)).Expect(200);
        Assert.False((await _client.Get("/api/v1/controls/status", tenant.AdminToken)).Expect(200).Body.GetProperty("killed").GetBoolean());
    }
}

using System.Diagnostics;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.PolicyCheckTests;

namespace AgentOps.IntegrationTests;

/// <summary>The approval queue over HTTP: who may decide, the long-poll, expiry, emergency rejections, isolation.</summary>
[Collection(ApiCollection.Name)]
public class ApprovalsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static readonly object Discount = new { type = "apply_discount", discount_percent = 30 };

    private async Task<Guid> RequestApprovalAsync(string bearer, string runId, string agent = "sales-bot")
    {
        var reply = (await CheckAsync(_client, bearer, runId, agent, Discount)).Expect(200).Body;
        Assert.Equal("require_approval", reply.GetProperty("decision").GetString());
        return reply.GetProperty("approval").GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task The_full_lifecycle_from_check_to_approved_with_a_waiter_woken_at_once()
    {
        var (tenant, _) = await TenantWithPoliciesAsync(_client);
        var viewer = await _client.AddMemberAsync(tenant, "viewer");
        var secondAdmin = await _client.AddMemberAsync(tenant, "admin");
        // The admin asks (a person may check too): the requester is this admin.
        var id = await RequestApprovalAsync(tenant.AdminToken, "run-life");

        var pending = (await _client.Get("/api/v1/approvals/pending", viewer.Token)).Expect(200).Body.GetProperty("items");
        Assert.Equal([id], pending.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        Assert.Equal(["admin"], pending[0].GetProperty("approval_required_from").EnumerateArray().Select(r => r.GetString()));
        Assert.Single((await _client.Get("/api/v1/approvals/pending?run_id=run-life&agent=sales-bot", viewer.Token)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Empty((await _client.Get("/api/v1/approvals/pending?run_id=other", viewer.Token)).Expect(200).Body.GetProperty("items").EnumerateArray());
        var count = (await _client.Get("/api/v1/approvals/pending/count", viewer.Token)).Expect(200).Body;
        Assert.Equal((1, false), (count.GetProperty("pending").GetInt32(), count.GetProperty("capped").GetBoolean()));

        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, viewer.Token)).ExpectProblem(403, "approval_role_required");
        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, tenant.AdminToken)).ExpectProblem(403, "approval_self_forbidden");

        var clock = Stopwatch.StartNew();
        var waiting = _client.Get($"/api/v1/approvals/{id}/wait?timeout_s=30", viewer.Token);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        var decidedAt = clock.Elapsed;
        var approved = (await _client.Post($"/api/v1/approvals/{id}/approve", new { comment = "ok for this customer" }, secondAdmin.Token)).Expect(200).Body;
        Assert.Equal(("approved", secondAdmin.UserId), (approved.GetProperty("status").GetString(), approved.GetProperty("decided_by").GetGuid()));
        var woken = (await waiting).Expect(200).Body;
        Assert.Equal("approved", woken.GetProperty("status").GetString());
        Assert.True(clock.Elapsed - decidedAt < TimeSpan.FromMilliseconds(900), $"the waiter woke {clock.Elapsed - decidedAt} after the decision");

        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, secondAdmin.Token)).ExpectProblem(409, "approval_decided");
        (await _client.Post($"/api/v1/approvals/{id}/reject", new { comment = "too late" }, secondAdmin.Token)).ExpectProblem(409, "approval_decided");
        Assert.Empty((await _client.Get("/api/v1/approvals/pending", viewer.Token)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await _client.Get("/api/v1/approvals/pending/count", viewer.Token)).Expect(200).Body.GetProperty("pending").GetInt32());
        Assert.Single((await _client.Get("/api/v1/approvals?status=approved", viewer.Token)).Expect(200).Body.GetProperty("items").EnumerateArray());
        // A decided request answers a wait at once.
        Assert.Equal("approved", (await _client.Get($"/api/v1/approvals/{id}/wait?timeout_s=5", viewer.Token)).Expect(200).Str("status"));

        var audit = (await _client.Get($"/api/v1/audit-logs?entity_id={id}", tenant.AdminToken)).Expect(200).Body.GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("action").GetString());
        Assert.Equal(["approval.approved", "approval.requested"], audit);
        var run = await _client.WaitForRunAsync(tenant.AdminToken, "run-life", r => Events(r, "approval.decision").Count == 1);
        Assert.Equal("approved", Events(run, "approval.decision")[0].GetProperty("status").GetString());
    }

    private static List<JsonElement> Events(JsonElement run, string type) =>
        [.. run.GetProperty("timeline").EnumerateArray().Select(n => n.GetProperty("event")).Where(e => e.GetProperty("type").GetString() == type)];

    [Fact]
    public async Task Rejection_needs_a_reason_and_a_wait_times_out_pending()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client, approvers: ["team_lead", "member"]);
        var lead = await _client.AddMemberAsync(tenant, "team_lead", "sales");
        var id = await RequestApprovalAsync(key, "run-reject");

        var clock = Stopwatch.StartNew();
        var timedOut = (await _client.Get($"/api/v1/approvals/{id}/wait?timeout_s=1", key)).Expect(200).Body;
        Assert.Equal("pending", timedOut.GetProperty("status").GetString());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));

        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, tenant.AdminToken)).ExpectProblem(403, "approval_role_required"); // admin is not named
        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, key)).ExpectProblem(403, "forbidden"); // keys never decide
        var missing = (await _client.Post($"/api/v1/approvals/{id}/reject", new { }, lead.Token)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.comment"], missing.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var tooLong = (await _client.Post($"/api/v1/approvals/{id}/reject", new { comment = new string('c', 2001) }, lead.Token)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.comment"], tooLong.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        var rejected = (await _client.Post($"/api/v1/approvals/{id}/reject", new { comment = "not for this customer" }, lead.Token)).Expect(200).Body;
        Assert.Equal(("rejected", "not for this customer"), (rejected.GetProperty("status").GetString(), rejected.GetProperty("comment").GetString()));

        (await _client.Get("/api/v1/approvals/00000000-0000-0000-0000-000000000000/wait?timeout_s=61", key)).ExpectProblem(422, "validation_failed");
        (await _client.Get($"/api/v1/approvals/{id}/wait?timeout_s=0", key)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/approvals?status=maybe", key)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Concurrent_approve_and_reject_have_exactly_one_winner()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var other = await _client.AddMemberAsync(tenant, "admin");
        for (var round = 0; round < 5; round++)
        {
            var id = await RequestApprovalAsync(key, $"run-race-{round}");
            var replies = await Task.WhenAll(
                _client.Post($"/api/v1/approvals/{id}/approve", new { }, tenant.AdminToken),
                _client.Post($"/api/v1/approvals/{id}/reject", new { comment = "no" }, other.Token));
            Assert.Equal([200, 409], replies.Select(r => r.Code).Order());
            Assert.Equal("approval_decided", replies.Single(r => r.Code == 409).ProblemCode);
            Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
                "SELECT count(*) FROM audit_logs WHERE entity_id = $1 AND action IN ('approval.approved', 'approval.rejected')", id.ToString()));
        }
    }

    [Fact]
    public async Task Expired_requests_reject_lazily_and_through_the_sweeper()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client, timeoutMinutes: 1);
        var other = await _client.AddMemberAsync(tenant, "admin");
        var lazy = await RequestApprovalAsync(key, "run-expire");
        var swept = await RequestApprovalAsync(key, "run-expire");
        var waiting = _client.Get($"/api/v1/approvals/{swept}/wait?timeout_s=20", key);
        // A minute is long for a test: move the expiry into the past as the schema owner.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = ANY($1)", new[] { lazy, swept });

        // Read before any sweep: already expired, and gone from the queue.
        var read = (await _client.Get($"/api/v1/approvals/{lazy}", key)).Expect(200).Body;
        Assert.Equal(("expired", "expired"), (read.GetProperty("status").GetString(), read.GetProperty("decision_reason").GetString()));
        Assert.Empty((await _client.Get("/api/v1/approvals/pending", key)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await _client.Get("/api/v1/approvals/pending/count", key)).Expect(200).Body.GetProperty("pending").GetInt32());
        // Expired by this decision attempt, or already written down by the sweeper (it runs every 5 s): refused either way.
        var first = (await _client.Post($"/api/v1/approvals/{lazy}/approve", new { }, other.Token)).Expect(409);
        Assert.Contains(first.ProblemCode, new[] { "approval_expired", "approval_decided" });
        (await _client.Post($"/api/v1/approvals/{lazy}/approve", new { }, other.Token)).ExpectProblem(409, "approval_decided");

        // The waiter on the other sees it expire (polled or woken by the sweeper) and the sweeper writes it down.
        Assert.Equal("expired", (await waiting).Expect(200).Str("status"));
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT status FROM approvals WHERE id = $1", swept) == "expired") break;
        Assert.Equal("expired", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT status FROM approvals WHERE id = $1", swept));
        Assert.Equal(2L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.expired' AND actor_type = 'system'", tenant.OrgId));
        var run = await _client.WaitForRunAsync(key, "run-expire", r => Events(r, "approval.decision").Count == 2);
        Assert.All(Events(run, "approval.decision"), e => Assert.Equal("expired", e.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Pausing_and_the_kill_switch_reject_pending_requests_and_wake_their_waiters()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var onPaused = await RequestApprovalAsync(key, "run-stop", "to-pause");
        var onOther = await RequestApprovalAsync(key, "run-stop", "keeps-going");
        var agent = (await _client.Get("/api/v1/agents", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "to-pause").GetProperty("id").GetGuid();

        var waiting = _client.Get($"/api/v1/approvals/{onPaused}/wait?timeout_s=20", key);
        await Task.Delay(200);
        (await _client.Post($"/api/v1/controls/pause-agent/{agent}", new { }, tenant.AdminToken)).Expect(200);
        var woken = (await waiting.WaitAsync(TimeSpan.FromSeconds(2))).Expect(200).Body;
        Assert.Equal(("rejected", "agent_paused"), (woken.GetProperty("status").GetString(), woken.GetProperty("decision_reason").GetString()));
        Assert.Equal("pending", (await _client.Get($"/api/v1/approvals/{onOther}", key)).Expect(200).Str("status"));

        var kill = (await _client.Post("/api/v1/controls/kill-switch", new { reason = "incident" }, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal([onOther], kill.GetProperty("approvals_rejected").EnumerateArray().Select(a => a.GetGuid()));
        var other = (await _client.Get($"/api/v1/approvals/{onOther}", key)).Expect(200).Body;
        Assert.Equal(("rejected", "org_killed"), (other.GetProperty("status").GetString(), other.GetProperty("decision_reason").GetString()));
        Assert.Equal("org_killed", (await CheckAsync(_client, key, "run-stop", "keeps-going", Discount)).Expect(200).Str("reason"));

        var run = await _client.WaitForRunAsync(key, "run-stop", r => Events(r, "approval.decision").Count == 2);
        Assert.Equal(["agent_paused", "org_killed"], Events(run, "approval.decision").Select(e => e.GetProperty("metadata").GetProperty("reason").GetString()).Order());
    }

    [Fact]
    public async Task Pausing_through_the_agents_api_rejects_pending_requests_too()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var pending = await RequestApprovalAsync(key, "run-patch", "patched");
        var agent = (await _client.Get("/api/v1/agents?limit=200", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "patched").GetProperty("id").GetGuid();
        (await _client.Patch($"/api/v1/agents/{agent}", new { status = "paused" }, tenant.AdminToken)).Expect(200);
        var rejected = (await _client.Get($"/api/v1/approvals/{pending}", key)).Expect(200).Body;
        Assert.Equal(("rejected", "agent_paused"), (rejected.GetProperty("status").GetString(), rejected.GetProperty("decision_reason").GetString()));
    }

    [Fact]
    public async Task Archiving_an_agent_rejects_its_pending_requests_like_a_pause()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var pending = await RequestApprovalAsync(key, "run-archive", "archived-with-a-request");
        var agent = (await _client.Get("/api/v1/agents?limit=200", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "archived-with-a-request").GetProperty("id").GetGuid();
        var waiting = _client.Get($"/api/v1/approvals/{pending}/wait?timeout_s=20", key);
        await Task.Delay(200);
        (await _client.Delete($"/api/v1/agents/{agent}", tenant.AdminToken)).Expect(204);
        var woken = (await waiting.WaitAsync(TimeSpan.FromSeconds(2))).Expect(200).Body;
        Assert.Equal(("rejected", "agent_paused"), (woken.GetProperty("status").GetString(), woken.GetProperty("decision_reason").GetString()));
        var run = await _client.WaitForRunAsync(key, "run-archive", r => Events(r, "approval.decision").Count == 1);
        Assert.Equal("rejected", Events(run, "approval.decision").Single().GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_organizations_requests_are_not_found_on_every_route()
    {
        var (owner, key) = await TenantWithPoliciesAsync(_client);
        var id = await RequestApprovalAsync(key, "run-private");
        var stranger = await _client.SignupAsync();
        var strangerAdmin = await _client.AddMemberAsync(stranger, "admin");
        (await _client.Get($"/api/v1/approvals/{id}", stranger.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Get($"/api/v1/approvals/{id}/wait?timeout_s=1", stranger.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/approvals/{id}/approve", new { }, strangerAdmin.Token)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/approvals/{id}/reject", new { comment = "mine now" }, strangerAdmin.Token)).ExpectProblem(404, "not_found");
        Assert.Empty((await _client.Get("/api/v1/approvals", stranger.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Empty((await _client.Get("/api/v1/approvals/pending", stranger.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await _client.Get("/api/v1/approvals/pending/count", stranger.AdminToken)).Expect(200).Body.GetProperty("pending").GetInt32());
        Assert.Equal(1, (await _client.Get("/api/v1/approvals/pending/count", owner.AdminToken)).Expect(200).Body.GetProperty("pending").GetInt32());
        Assert.Equal("pending", (await _client.Get($"/api/v1/approvals/{id}", owner.AdminToken)).Expect(200).Str("status"));
    }
}

using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// A policy check with a step (docs/control-plane.md "The policy check"): one approval request per organization, run
/// and step, whoever asks, however often and however concurrently.
/// </summary>
[Collection(ApiCollection.Name)]
public class PolicyCheckStepTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();
    private static readonly object Discount = new { type = "apply_discount", discount_percent = 25 };

    private Task<Reply> CheckAsync(string bearer, string runId, string? step, object? action = null) =>
        _client.Post("/api/v1/policy/check", step is null
            ? new { run_id = runId, agent = "billing-bot", action = action ?? Discount }
            : (object)new { run_id = runId, agent = "billing-bot", action = action ?? Discount, step }, bearer);

    private static JsonElement Approval(Reply reply)
    {
        Assert.Equal("require_approval", reply.Expect(200).Body.GetProperty("decision").GetString());
        return reply.Body.GetProperty("approval");
    }

    private static Task<long> CountAsync(string sql, params object[] args) => TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, sql, args);

    private static Task<long> ApprovalRowsAsync(Guid orgId, string runId) =>
        CountAsync("SELECT count(*) FROM approvals WHERE org_id = $1 AND run_id = $2", orgId, runId);

    private static Task<long> RequestedAuditRowsAsync(Guid orgId) =>
        CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.requested'", orgId);

    private static Task<long> RequestedNoticesAsync(Guid orgId) =>
        CountAsync("SELECT count(*) FROM notifications WHERE org_id = $1 AND kind = 'approval.requested'", orgId);

    [Fact]
    public async Task A_repeated_check_of_a_step_returns_the_same_request_and_audits_it_once()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var first = Approval(await CheckAsync(key, "run-s1", "refund-step"));
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Equal("refund-step", first.GetProperty("step").GetString());
        var id = first.GetProperty("id").GetGuid();

        for (var i = 0; i < 3; i++)
        {
            var again = Approval(await CheckAsync(key, "run-s1", "refund-step"));
            Assert.Equal(id, again.GetProperty("id").GetGuid());
            Assert.Equal("pending", again.GetProperty("status").GetString());
            Assert.Equal($"/api/v1/approvals/{id}/wait", again.GetProperty("wait_url").GetString());
            Assert.Equal(first.GetProperty("expires_at").GetDateTimeOffset(), again.GetProperty("expires_at").GetDateTimeOffset());
        }
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-s1"));
        Assert.Equal(1L, await RequestedAuditRowsAsync(tenant.OrgId));
        Assert.Equal(1L, await RequestedNoticesAsync(tenant.OrgId));

        // The step is part of the request as the approval routes show it.
        var view = (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("refund-step", view.GetProperty("step").GetString());
        var listed = (await _client.Get("/api/v1/approvals?run_id=run-s1", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray().Single();
        Assert.Equal("refund-step", listed.GetProperty("step").GetString());

        // Each check is still a decision on the run, with its step and the one approval it answered with.
        static List<JsonElement> Decisions(JsonElement run) => [.. run.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("event"))
            .Where(e => e.GetProperty("type").GetString() == "policy.decision")];
        var detail = await _client.WaitForRunAsync(key, "run-s1", r => Decisions(r).Count == 4);
        Assert.All(Decisions(detail), d => Assert.Equal(("refund-step", id),
            (d.GetProperty("metadata").GetProperty("step").GetString(), d.GetProperty("metadata").GetProperty("approval_id").GetGuid())));
    }

    [Fact]
    public async Task Concurrent_identical_checks_create_exactly_one_request()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CheckAsync(key, "run-race", "charge")));
        var ids = replies.Select(r => Approval(r).GetProperty("id").GetGuid()).Distinct().ToList();
        Assert.Single(ids);
        Assert.All(replies, r => Assert.Equal("pending", r.Body.GetProperty("approval").GetProperty("status").GetString()));
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-race"));
        Assert.Equal(1L, await RequestedAuditRowsAsync(tenant.OrgId));
        Assert.Equal(1L, await RequestedNoticesAsync(tenant.OrgId));
    }

    [Fact]
    public async Task After_a_decision_a_repeated_check_answers_with_the_decided_request()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var id = Approval(await CheckAsync(key, "run-d", "approve-me")).GetProperty("id").GetGuid();
        var rejectedId = Approval(await CheckAsync(key, "run-d", "reject-me")).GetProperty("id").GetGuid();
        (await _client.Post($"/api/v1/approvals/{id}/approve", new { comment = "fine" }, tenant.AdminToken)).Expect(200);
        (await _client.Post($"/api/v1/approvals/{rejectedId}/reject", new { comment = "no" }, tenant.AdminToken)).Expect(200);

        var approved = Approval(await CheckAsync(key, "run-d", "approve-me"));
        Assert.Equal((id, "approved"), (approved.GetProperty("id").GetGuid(), approved.GetProperty("status").GetString()));
        var rejected = Approval(await CheckAsync(key, "run-d", "reject-me"));
        Assert.Equal((rejectedId, "rejected"), (rejected.GetProperty("id").GetGuid(), rejected.GetProperty("status").GetString()));
        Assert.Equal(2L, await ApprovalRowsAsync(tenant.OrgId, "run-d"));
        Assert.Equal(2L, await RequestedAuditRowsAsync(tenant.OrgId));
    }

    [Fact]
    public async Task An_expired_request_is_answered_as_expired()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client, timeoutMinutes: 1);
        var id = Approval(await CheckAsync(key, "run-x", "late")).GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1", id);
        var again = Approval(await CheckAsync(key, "run-x", "late"));
        Assert.Equal((id, "expired"), (again.GetProperty("id").GetGuid(), again.GetProperty("status").GetString()));
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-x"));
    }

    [Fact]
    public async Task Different_steps_runs_and_checks_without_a_step_get_requests_of_their_own()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var a = Approval(await CheckAsync(key, "run-m", "step-a")).GetProperty("id").GetGuid();
        var b = Approval(await CheckAsync(key, "run-m", "step-b")).GetProperty("id").GetGuid();
        var otherRun = Approval(await CheckAsync(key, "run-n", "step-a")).GetProperty("id").GetGuid();
        var noStep1 = Approval(await CheckAsync(key, "run-m", null));
        var noStep2 = Approval(await CheckAsync(key, "run-m", null));
        Assert.Equal(JsonValueKind.Null, noStep1.GetProperty("step").ValueKind);
        Guid[] ids = [a, b, otherRun, noStep1.GetProperty("id").GetGuid(), noStep2.GetProperty("id").GetGuid()];
        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(4L, await ApprovalRowsAsync(tenant.OrgId, "run-m"));
        Assert.Equal(5L, await RequestedAuditRowsAsync(tenant.OrgId));

        // The same step's text is trimmed like every text: " step-a " is step-a.
        Assert.Equal(a, Approval(await CheckAsync(key, "run-m", " step-a ")).GetProperty("id").GetGuid());
        // An allow for a step creates nothing.
        Assert.Equal("allow", (await CheckAsync(key, "run-m", "step-c", new { type = "send_email" })).Expect(200).Body.GetProperty("decision").GetString());
        Assert.Equal(4L, await ApprovalRowsAsync(tenant.OrgId, "run-m"));
    }

    [Fact]
    public async Task Another_organizations_identical_run_and_step_get_their_own_request()
    {
        var (a, keyA) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var (b, keyB) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var inA = Approval(await CheckAsync(keyA, "shared-run", "shared-step")).GetProperty("id").GetGuid();
        (await _client.Post($"/api/v1/approvals/{inA}/approve", new { comment = "ok" }, a.AdminToken)).Expect(200);

        var inB = Approval(await CheckAsync(keyB, "shared-run", "shared-step"));
        Assert.NotEqual(inA, inB.GetProperty("id").GetGuid());
        Assert.Equal("pending", inB.GetProperty("status").GetString());
        (await _client.Get($"/api/v1/approvals/{inA}", b.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(1L, await ApprovalRowsAsync(b.OrgId, "shared-run"));
        Assert.Equal(1L, await RequestedAuditRowsAsync(b.OrgId));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"   \"")]
    [InlineData("7")]
    public async Task A_bad_step_is_refused(string step)
    {
        var (_, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var reply = await _client.Post("/api/v1/policy/check", $$"""{"run_id":"r","agent":"billing-bot","action":{"type":"apply_discount","discount_percent":25},"step":{{step}}}""", key);
        if (step == "7") reply.ExpectProblem(400, "type_mismatch");
        else Assert.True(reply.ExpectProblem(422, "validation_failed").Body.GetProperty("errors").TryGetProperty("$.step", out _));
        var tooLong = await CheckAsync(key, "r", new string('s', 201));
        Assert.True(tooLong.ExpectProblem(422, "validation_failed").Body.GetProperty("errors").TryGetProperty("$.step", out _));
        var nul = await _client.Post("/api/v1/policy/check", """{"run_id":"r","agent":"billing-bot","action":{"type":"x"},"step":"a\u0000b"}""", key);
        nul.ExpectProblem(400, "invalid_text");
    }
}

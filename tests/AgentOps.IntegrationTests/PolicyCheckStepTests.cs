using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// A policy check with a step (docs/control-plane.md "The policy check"): one approval request per organization, run
/// and step, for one question (agent, policy, action and context), however often and however concurrently asked; a
/// request nobody decided (expired, rejected by a pause or the kill switch) is superseded by the next check.
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
    public async Task An_expired_request_is_superseded_by_a_new_one()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client, timeoutMinutes: 1);
        var id = Approval(await CheckAsync(key, "run-x", "late")).GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1", id);

        var again = Approval(await CheckAsync(key, "run-x", "late"));
        var fresh = again.GetProperty("id").GetGuid();
        Assert.NotEqual(id, fresh);
        Assert.Equal("pending", again.GetProperty("status").GetString());
        Assert.Equal(2L, await ApprovalRowsAsync(tenant.OrgId, "run-x"));
        Assert.Equal(2L, await RequestedAuditRowsAsync(tenant.OrgId));
        Assert.Equal(2L, await RequestedNoticesAsync(tenant.OrgId));
        // The old one was made a fact first (expired, audited), then superseded (audited, naming its successor).
        var old = (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(("expired", "expired"), (old.GetProperty("status").GetString(), old.GetProperty("decision_reason").GetString()));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM approvals WHERE id = $1 AND status = 'expired' AND superseded_at IS NOT NULL", id));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.expired' AND entity_id = $2", tenant.OrgId, id.ToString()));
        Assert.Equal(1L, await CountAsync("""
            SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.superseded' AND entity_id = $2
              AND before->>'superseded_by' IS NULL AND after->>'superseded_by' = $3 AND after->>'status' = 'expired' AND after->>'step' = 'late'
            """, tenant.OrgId, id.ToString(), fresh.ToString()));

        // The new request is the step's now: a repeated check returns it, and nothing more is created.
        Assert.Equal(fresh, Approval(await CheckAsync(key, "run-x", "late")).GetProperty("id").GetGuid());
        Assert.Equal(2L, await ApprovalRowsAsync(tenant.OrgId, "run-x"));
    }

    [Fact]
    public async Task Concurrent_rechecks_of_an_expired_step_supersede_it_once()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client, timeoutMinutes: 1);
        var id = Approval(await CheckAsync(key, "run-xc", "late")).GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1", id);
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CheckAsync(key, "run-xc", "late")));
        var ids = replies.Select(r => Approval(r).GetProperty("id").GetGuid()).Distinct().ToList();
        Assert.NotEqual(id, Assert.Single(ids));
        Assert.Equal(2L, await ApprovalRowsAsync(tenant.OrgId, "run-xc"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.superseded'", tenant.OrgId));
        Assert.Equal(2L, await RequestedAuditRowsAsync(tenant.OrgId));
    }

    [Fact]
    public async Task A_request_rejected_by_a_pause_is_superseded_once_the_agent_resumes()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var id = Approval(await CheckAsync(key, "run-p", "refund")).GetProperty("id").GetGuid();
        var agent = (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("agent_id").GetGuid();
        (await _client.Post($"/api/v1/controls/pause-agent/{agent}", new { reason = "checking" }, tenant.AdminToken)).Expect(200);
        var rejected = (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(("rejected", "agent_paused"), (rejected.GetProperty("status").GetString(), rejected.GetProperty("decision_reason").GetString()));
        (await _client.Post($"/api/v1/controls/resume-agent/{agent}", new { reason = "fine" }, tenant.AdminToken)).Expect(200);

        // The agent's status is cached for up to a second: until the check sees it resumed, it answers agent_paused.
        var again = await RecheckUntilApprovalAsync(key, "run-p", "refund");
        var fresh = again.GetProperty("id").GetGuid();
        Assert.NotEqual(id, fresh);
        Assert.Equal("pending", again.GetProperty("status").GetString());
        Assert.Equal("rejected", (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Str("status"));
        Assert.Equal(1L, await CountAsync("""
            SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.superseded' AND entity_id = $2
              AND after->>'decision_reason' = 'agent_paused' AND after->>'superseded_by' = $3
            """, tenant.OrgId, id.ToString(), fresh.ToString()));
        Assert.Equal(fresh, Approval(await CheckAsync(key, "run-p", "refund")).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_request_rejected_by_the_kill_switch_is_superseded_after_resume_all()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var id = Approval(await CheckAsync(key, "run-k", "refund")).GetProperty("id").GetGuid();
        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "incident" }, tenant.AdminToken)).Expect(200);
        Assert.Equal("rejected", (await _client.Get($"/api/v1/approvals/{id}", tenant.AdminToken)).Expect(200).Str("status"));
        (await _client.Post("/api/v1/controls/resume-all", new { reason = "over" }, tenant.AdminToken)).Expect(200);
        var again = await RecheckUntilApprovalAsync(key, "run-k", "refund");
        Assert.NotEqual(id, again.GetProperty("id").GetGuid());
        Assert.Equal("pending", again.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_person_s_rejection_is_final_for_the_step()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var id = Approval(await CheckAsync(key, "run-h", "refund")).GetProperty("id").GetGuid();
        (await _client.Post($"/api/v1/approvals/{id}/reject", new { comment = "no" }, tenant.AdminToken)).Expect(200);
        for (var i = 0; i < 2; i++)
        {
            var again = Approval(await CheckAsync(key, "run-h", "refund"));
            Assert.Equal((id, "rejected"), (again.GetProperty("id").GetGuid(), again.GetProperty("status").GetString()));
        }
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-h"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.superseded'", tenant.OrgId));
    }

    private async Task<JsonElement> RecheckUntilApprovalAsync(string key, string runId, string step)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(100))
        {
            var reply = (await CheckAsync(key, runId, step)).Expect(200);
            if (reply.Body.GetProperty("decision").GetString() == "require_approval") return reply.Body.GetProperty("approval");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the check still answers {reply.Body.GetProperty("reason").GetString()}");
        }
    }

    private Task<Reply> RawCheckAsync(string key, string runId, string step, string agent, string action, string context) =>
        _client.Post("/api/v1/policy/check", $$"""{"run_id":"{{runId}}","agent":"{{agent}}","step":"{{step}}","action":{{action}},"context":{{context}}}""", key);

    [Fact]
    public async Task The_same_question_in_another_key_order_is_the_same_request()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var first = Approval(await RawCheckAsync(key, "run-o", "s", "billing-bot",
            """{"type":"apply_discount","discount_percent":25,"order":{"id":"o-1","lines":[{"sku":"a","qty":1},{"qty":2,"sku":"b"}]}}""",
            """{"customer":"c-9","tier":{"name":"gold","since":2019}}"""));
        var again = Approval(await RawCheckAsync(key, "run-o", "s", "billing-bot",
            """{"order":{"lines":[{"qty":1,"sku":"a"},{"sku":"b","qty":2}],"id":"o-1"},"discount_percent":25,"type":"apply_discount"}""",
            """{"tier":{"since":2019,"name":"gold"},"customer":"c-9"}"""));
        Assert.Equal(first.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid());
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-o"));
        // An array's order is part of the question.
        (await RawCheckAsync(key, "run-o", "s", "billing-bot",
            """{"type":"apply_discount","discount_percent":25,"order":{"id":"o-1","lines":[{"sku":"b","qty":2},{"sku":"a","qty":1}]}}""",
            """{"customer":"c-9","tier":{"name":"gold","since":2019}}""")).ExpectProblem(409, "step_conflict");
    }

    [Fact]
    public async Task Another_action_agent_or_context_on_an_approved_step_is_a_conflict_and_never_the_approval()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        var small = new { type = "apply_discount", discount_percent = 15 };
        var id = Approval(await CheckAsync(key, "run-c", "discount", small)).GetProperty("id").GetGuid();
        (await _client.Post($"/api/v1/approvals/{id}/approve", new { comment = "15% is fine" }, tenant.AdminToken)).Expect(200);

        var problems = new List<Reply>
        {
            // Another action on the same step: the 15 % approval must not let 90 % through.
            await CheckAsync(key, "run-c", "discount", new { type = "apply_discount", discount_percent = 90 }),
            // Another agent on the same run and step.
            await _client.Post("/api/v1/policy/check", new { run_id = "run-c", agent = "other-bot", action = small, step = "discount" }, key),
            // Another context.
            await _client.Post("/api/v1/policy/check", new { run_id = "run-c", agent = "billing-bot", action = small, step = "discount", context = new { region = "eu" } }, key),
        };
        foreach (var reply in problems)
        {
            var problem = reply.ExpectProblem(409, "step_conflict").Body;
            Assert.True(problem.GetProperty("errors").TryGetProperty("$.step", out _), problem.ToString());
            Assert.DoesNotContain(id.ToString(), problem.ToString());
            Assert.False(problem.TryGetProperty("approval", out _));
        }
        // Nothing was created, changed or audited; the step's approval still answers its own question.
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-c"));
        Assert.Equal(1L, await RequestedAuditRowsAsync(tenant.OrgId));
        var same = Approval(await CheckAsync(key, "run-c", "discount", small));
        Assert.Equal((id, "approved"), (same.GetProperty("id").GetGuid(), same.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Another_policy_on_the_same_step_is_a_conflict()
    {
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(_client);
        Approval(await CheckAsync(key, "run-pol", "discount"));
        // A policy that now decides first (lower priority number) for the same action.
        (await _client.Post("/api/v1/policies", new
        {
            name = "Every discount needs an owner", action = "require_approval", priority = 5, approval_required_from = new[] { "admin" },
            conditions = new { all = new[] { new { field = "action.type", @operator = "equals", value = "apply_discount" } } },
        }, tenant.AdminToken)).Expect(201);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(100))
        {
            var reply = await CheckAsync(key, "run-pol", "discount");
            if ((int)reply.Status == 409) { reply.ExpectProblem(409, "step_conflict"); break; }
            Assert.True(DateTime.UtcNow < deadline, "the new policy never decided the check");
        }
        Assert.Equal(1L, await ApprovalRowsAsync(tenant.OrgId, "run-pol"));
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

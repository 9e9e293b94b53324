using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>POST /api/v1/policy/check over HTTP with real policies, the emergency stops, and the decisions on the run's timeline.</summary>
[Collection(ApiCollection.Name)]
public class PolicyCheckTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    public static object Equals(string field, object value) => new { field, @operator = "equals", value };

    /// <summary>An SDK tenant with a block rule (delete in production), an approval rule (discounts over 10 %) and a cost rule (runs over $5).</summary>
    public static async Task<(Tenant Tenant, string Key)> TenantWithPoliciesAsync(HttpClient client, string[]? approvers = null, int? timeoutMinutes = null)
    {
        var (tenant, key) = await client.SdkTenantAsync();
        (await client.Post("/api/v1/policies", new
        {
            name = "No deletes in production", action = "block", priority = 1,
            conditions = new { all = new[] { Equals("action.type", "delete_records"), Equals("context.environment", "production") } },
        }, tenant.AdminToken)).Expect(201);
        (await client.Post("/api/v1/policies", new
        {
            name = "Approve large discounts", action = "require_approval", priority = 10, approval_required_from = approvers ?? ["admin"],
            timeout_minutes = timeoutMinutes ?? 60,
            conditions = new
            {
                all = new object[] { Equals("action.type", "apply_discount"), new { field = "action.discount_percent", @operator = "greater_than", value = 10 } },
            },
        }, tenant.AdminToken)).Expect(201);
        return (tenant, key);
    }

    public static Task<Reply> CheckAsync(HttpClient client, string bearer, string runId, string agent, object action, object? context = null) =>
        client.Post("/api/v1/policy/check", context is null ? new { run_id = runId, agent, action } : new { run_id = runId, agent, action, context }, bearer);

    [Fact]
    public async Task Checks_allow_block_and_require_approval_and_each_decision_lands_on_the_run()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);

        var allow = (await CheckAsync(_client, key, "run-c1", "billing-bot", new { type = "send_email", to = "a@b.example" })).Expect(200).Body;
        Assert.Equal(("allow", "no_rule_matched"), (allow.GetProperty("decision").GetString(), allow.GetProperty("reason").GetString()));
        Assert.Equal(JsonValueKind.Null, allow.GetProperty("policy").ValueKind);
        Assert.Equal(JsonValueKind.Null, allow.GetProperty("approval").ValueKind);
        Assert.Empty(allow.GetProperty("matched").EnumerateArray());

        var block = (await CheckAsync(_client, key, "run-c1", "billing-bot", new { type = "delete_records" }, new { environment = "production" })).Expect(200).Body;
        Assert.Equal(("block", "rule_matched"), (block.GetProperty("decision").GetString(), block.GetProperty("reason").GetString()));
        Assert.Equal("No deletes in production", block.GetProperty("policy").GetProperty("name").GetString());
        Assert.Equal(1, block.GetProperty("policy").GetProperty("version").GetInt32());
        Assert.Single(block.GetProperty("matched").EnumerateArray());
        (await CheckAsync(_client, key, "run-c1", "billing-bot", new { type = "delete_records" }, new { environment = "staging" })).Expect(200);

        var approval = (await CheckAsync(_client, key, "run-c1", "billing-bot", new { type = "apply_discount", discount_percent = 25 })).Expect(200).Body;
        Assert.Equal("require_approval", approval.GetProperty("decision").GetString());
        var request = approval.GetProperty("approval");
        Assert.Equal("pending", request.GetProperty("status").GetString());
        var approvalId = request.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/approvals/{approvalId}/wait", request.GetProperty("wait_url").GetString());
        Assert.InRange(request.GetProperty("expires_at").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));

        // Stored with the whole evaluation context, audited and notified in the same transaction.
        var stored = (await _client.Get($"/api/v1/approvals/{approvalId}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("billing-bot", stored.GetProperty("context").GetProperty("agent").GetProperty("name").GetString());
        Assert.Equal(25, stored.GetProperty("context").GetProperty("action").GetProperty("discount_percent").GetInt32());
        Assert.Equal("api_key", stored.GetProperty("requested_by").GetProperty("type").GetString());
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.requested' AND entity_id = $2", tenant.OrgId, approvalId.ToString()));
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM notifications WHERE org_id = $1 AND kind = 'approval.requested' AND entity_id = $2", tenant.OrgId, approvalId.ToString()));

        // Every decision is an event on the run (buffered: within a few seconds).
        var run = await _client.WaitForRunAsync(key, "run-c1", r => Decisions(r).Count == 4);
        Assert.Equal(["allow", "block", "allow", "require_approval"], Decisions(run).Select(e => e.GetProperty("status").GetString()));
        var metadata = Decisions(run)[3].GetProperty("metadata");
        Assert.Equal(approvalId, metadata.GetProperty("approval_id").GetGuid());
        Assert.Equal("apply_discount", metadata.GetProperty("action_type").GetString());
        Assert.Equal(Decisions(run)[1].GetProperty("metadata").GetProperty("policy_id").GetGuid(), block.GetProperty("policy").GetProperty("id").GetGuid());
    }

    private static List<JsonElement> Decisions(JsonElement run) =>
        [.. run.GetProperty("timeline").EnumerateArray().Select(n => n.GetProperty("event")).Where(e => e.GetProperty("type").GetString() == "policy.decision")];

    [Fact]
    public async Task A_policy_change_applies_to_the_next_check_and_run_facts_are_read_when_a_policy_needs_them()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, Ingesting.Event("e1", "llm.call", 1, "run-costly", "spender", new { model = "gpt-4o", cost_usd = 7.5 }))).Expect(202);
        await _client.WaitForRunAsync(key, "run-costly");
        Assert.Equal("allow", (await CheckAsync(_client, key, "run-costly", "spender", new { type = "search" })).Expect(200).Str("decision"));

        var policy = (await _client.Post("/api/v1/policies", new
        {
            name = "Stop expensive runs", action = "block",
            conditions = new { field = "run.cost_usd", @operator = "greater_than", value = 5 },
        }, tenant.AdminToken)).Expect(201).Id();
        Assert.Equal("block", (await CheckAsync(_client, key, "run-costly", "spender", new { type = "search" })).Expect(200).Str("decision"));
        Assert.Equal("allow", (await CheckAsync(_client, key, "run-cheap", "spender", new { type = "search" })).Expect(200).Str("decision"));

        (await _client.Patch($"/api/v1/policies/{policy}", new { active = false }, tenant.AdminToken)).Expect(200);
        Assert.Equal("allow", (await CheckAsync(_client, key, "run-costly", "spender", new { type = "search" })).Expect(200).Str("decision"));
        (await _client.Patch($"/api/v1/policies/{policy}", new { active = true }, tenant.AdminToken)).Expect(200);
        var blocked = (await CheckAsync(_client, key, "run-costly", "spender", new { type = "search" })).Expect(200).Body;
        Assert.Equal(3, blocked.GetProperty("policy").GetProperty("version").GetInt32());
        (await _client.Delete($"/api/v1/policies/{policy}", tenant.AdminToken)).Expect(204);
        Assert.Equal("allow", (await CheckAsync(_client, key, "run-costly", "spender", new { type = "search" })).Expect(200).Str("decision"));
    }

    [Fact]
    public async Task Changes_made_by_another_replica_apply_within_a_second()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var delete = new { type = "delete_records" };
        var production = new { environment = "production" };
        // Checks keep the caches warm (and refreshing ahead) while "another replica" changes the database directly;
        // 1 s of freshness plus the time the checks themselves take on a busy machine.
        Assert.Equal("block", (await CheckAsync(_client, key, "r", "bot", delete, production)).Expect(200).Str("decision"));
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE policies SET active = false, version = version + 1 WHERE org_id = $1 AND action = 'block'", tenant.OrgId);
        Assert.True(await WithinAsync(TimeSpan.FromSeconds(1.5), async () => (await CheckAsync(_client, key, "r", "bot", delete, production)).Expect(200).Str("decision") == "allow"));

        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE organizations SET killed_at = now(), killed_reason = 'elsewhere' WHERE id = $1", tenant.OrgId);
        Assert.True(await WithinAsync(TimeSpan.FromSeconds(1.5), async () => (await CheckAsync(_client, key, "r", "bot", delete, production)).Expect(200).Str("reason") == "org_killed"));
    }

    /// <summary>Polls until the condition holds; false if it did not within the time.</summary>
    private static async Task<bool> WithinAsync(TimeSpan time, Func<Task<bool>> condition)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < time; await Task.Delay(20))
            if (await condition()) return true;
        return false;
    }

    [Fact]
    public async Task Paused_agents_and_the_kill_switch_block_before_any_policy()
    {
        var (tenant, key) = await TenantWithPoliciesAsync(_client);
        var agent = (await _client.Post("/api/v1/agents", new { name = "pausable" }, tenant.AdminToken)).Expect(201).Id();
        Assert.Equal("allow", (await CheckAsync(_client, key, "r1", "pausable", new { type = "x" })).Expect(200).Str("decision"));

        (await _client.Post($"/api/v1/controls/pause-agent/{agent}", new { reason = "looping" }, tenant.AdminToken)).Expect(200);
        var paused = (await CheckAsync(_client, key, "r1", agent.ToString(), new { type = "x" })).Expect(200).Body;
        Assert.Equal(("block", "agent_paused"), (paused.GetProperty("decision").GetString(), paused.GetProperty("reason").GetString()));
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("policy").ValueKind);
        Assert.Equal("allow", (await CheckAsync(_client, key, "r1", "other-agent", new { type = "x" })).Expect(200).Str("decision"));
        (await _client.Post($"/api/v1/controls/resume-agent/{agent}", null, tenant.AdminToken)).Expect(200);
        Assert.Equal("allow", (await CheckAsync(_client, key, "r1", "pausable", new { type = "x" })).Expect(200).Str("decision"));

        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "incident" }, tenant.AdminToken)).Expect(200);
        var killed = (await CheckAsync(_client, key, "r1", "pausable", new { type = "apply_discount", discount_percent = 50 })).Expect(200).Body;
        Assert.Equal(("block", "org_killed"), (killed.GetProperty("decision").GetString(), killed.GetProperty("reason").GetString()));
        Assert.Equal(JsonValueKind.Null, killed.GetProperty("approval").ValueKind); // no request is created for a stopped organization
        // A name never seen before registers paused, and is blocked all the same.
        Assert.Equal("org_killed", (await CheckAsync(_client, key, "r1", "brand-new", new { type = "x" })).Expect(200).Str("reason"));
        (await _client.Post("/api/v1/controls/resume-all", null, tenant.AdminToken)).Expect(200);
        Assert.Equal("allow", (await CheckAsync(_client, key, "r1", "pausable", new { type = "x" })).Expect(200).Str("decision"));
    }

    [Fact]
    public async Task Every_check_issued_after_the_kill_switch_answered_is_blocked()
    {
        var (tenant, _) = await TenantWithPoliciesAsync(_client);
        var replies = new ConcurrentBag<(TimeSpan SentAt, string Decision, string Reason)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var sentAt = clock.Elapsed;
                // A person's token: API keys have a per-key request rate that four tight loops would exceed.
                var reply = (await CheckAsync(_client, tenant.AdminToken, $"load-{c}", c % 2 == 0 ? "alpha" : "beta", new { type = "lookup", n = i })).Expect(200).Body;
                replies.Add((sentAt, reply.GetProperty("decision").GetString()!, reply.GetProperty("reason").GetString()!));
            }
        })).ToList();
        // The switch is pulled once checks are answered "allow" (not after a fixed time: on a busy machine the first,
        // cold checks once took longer than that, were answered after the switch and left no "allow" to compare with).
        for (var deadline = clock.Elapsed + TimeSpan.FromSeconds(15); !replies.Any(r => r.Decision == "allow") && clock.Elapsed < deadline;)
            await Task.Delay(20);
        await Task.Delay(200);
        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "under load" }, tenant.AdminToken)).Expect(200);
        var answeredAt = clock.Elapsed;
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Contains(replies, r => r.SentAt < answeredAt && r.Decision == "allow");
        var after = replies.Where(r => r.SentAt > answeredAt).ToList();
        Assert.NotEmpty(after);
        // On the replica that pulled the switch it applies to the very next check (other replicas: within 1 s).
        Assert.All(after, r => Assert.Equal(("block", "org_killed"), (r.Decision, r.Reason)));
    }

    [Fact]
    public async Task Invalid_checks_name_the_exact_path_and_unknown_or_archived_agents_are_refused()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var bad = (await _client.Post("/api/v1/policy/check", new { run_id = new string('r', 201), action = "send" }, key)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.action", "$.agent", "$.run_id"], bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        var context = (await _client.Post("/api/v1/policy/check", new { run_id = "r", agent = "a", action = new { }, context = "x" }, key)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.context"], context.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        (await _client.Post("/api/v1/policy/check", new { run_id = "r", agent = "a", action = new { }, extra = 1 }, key)).ExpectProblem(400, "unknown_field");
        var huge = new string('x', 70 * 1024);
        (await _client.Post("/api/v1/policy/check", new { run_id = "r", agent = "a", action = new { type = huge } }, key)).ExpectProblem(413, "payload_too_large");

        // An ingest-only key may check but not register agents; an unknown id never registers.
        var (_, ingestOnly) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");
        var unknown = (await CheckAsync(_client, ingestOnly, "r", "never-seen", new { type = "x" })).ExpectProblem(422, "unknown_agent");
        Assert.True(unknown.Body.GetProperty("errors").TryGetProperty("$.agent", out _));
        (await CheckAsync(_client, key, "r", Guid.NewGuid().ToString(), new { type = "x" })).ExpectProblem(422, "unknown_agent");
        var archived = (await _client.Post("/api/v1/agents", new { name = "retired" }, tenant.AdminToken)).Expect(201).Id();
        (await _client.Delete($"/api/v1/agents/{archived}", tenant.AdminToken)).Expect(204);
        (await CheckAsync(_client, key, "r", "retired", new { type = "x" })).ExpectProblem(409, "agent_archived");
        // Keys with only read may not check.
        var (_, reader) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        (await CheckAsync(_client, reader, "r", "a", new { type = "x" })).ExpectProblem(403, "forbidden");
    }
}

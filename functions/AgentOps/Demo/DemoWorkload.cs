using AgentOps.Budgets;
using AgentOps.Ingest;

namespace AgentOps.Demo;

/// <summary>
/// What a new demo organization starts with, so the dashboard has something to show: four agents in three teams, a
/// week of runs (LLM and tool calls, some failures) processed by the real ingest path (runs, costs, rollups), two
/// budgets and a policy. Deterministic (a fixed random seed), relative to now.
/// </summary>
public static class DemoWorkload
{
    private static readonly (string Name, string Team, string Model, string Provider)[] Agents =
    [
        ("support-bot", "support", "gpt-4o", "openai"), ("triage-bot", "support", "gpt-4o-mini", "openai"),
        ("research-agent", "research", "claude-sonnet-4", "anthropic"), ("billing-agent", "billing", "gemini-2.5-flash", "google"),
    ];

    public const int Runs = 120;

    public static async Task SeedAsync(AcrossOrgs orgs, Tx tx, BatchProcessor processor, CancellationToken ct)
    {
        var random = new Random(42);
        var agentIds = new Dictionary<string, Guid>();
        foreach (var a in Agents)
        {
            var id = Guid.CreateVersion7();
            agentIds[a.Name] = id;
            await tx.ExecuteAsync("INSERT INTO agents (id, org_id, name, type, provider, team, tags, environment) VALUES ($1, $2, $3, 'assistant', $4, $5, $6, 'prod')",
                ct, id, tx.OrgId, a.Name, a.Provider, a.Team, new[] { "demo", a.Team });
        }

        var now = DateTimeOffset.UtcNow;
        var events = new List<IngestEvent>();
        for (var r = 0; r < Runs; r++)
        {
            var agent = Agents[random.Next(Agents.Length)];
            var runId = $"demo-run-{r:D4}";
            var start = now.AddMinutes(-random.Next(10, 7 * 24 * 60));
            var failed = random.NextDouble() < 0.08;
            var t = start;
            events.Add(new IngestEvent { Id = $"{runId}:start", Type = "run.start", Timestamp = t, RunId = runId, AgentId = agentIds[agent.Name], Name = $"ticket {1000 + r}",
                Input = "Customer asks about an invoice", Tags = ["demo"], Environment = "prod" });
            var calls = random.Next(1, 5);
            for (var c = 0; c < calls; c++)
            {
                var latency = random.Next(400, 4000);
                events.Add(new IngestEvent { Id = $"{runId}:llm{c}", Type = "llm.call", Timestamp = t.AddMilliseconds(50), RunId = runId, AgentId = agentIds[agent.Name],
                    ParentId = $"{runId}:start", Name = "chat", Model = agent.Model, Provider = agent.Provider, TokensIn = random.Next(300, 6000),
                    TokensOut = random.Next(50, 900), DurationMs = latency, EndedAt = t.AddMilliseconds(50 + latency) });
                t = t.AddMilliseconds(latency + 100);
                if (random.NextDouble() < 0.5)
                {
                    events.Add(new IngestEvent { Id = $"{runId}:tool{c}", Type = "tool.call", Timestamp = t, RunId = runId, AgentId = agentIds[agent.Name],
                        ParentId = $"{runId}:start", Name = "lookup", ToolName = "crm.lookup", DurationMs = 120, EndedAt = t.AddMilliseconds(120) });
                    t = t.AddMilliseconds(150);
                }
            }
            events.Add(new IngestEvent { Id = $"{runId}:end", Type = "run.end", Timestamp = t, RunId = runId, AgentId = agentIds[agent.Name],
                Status = failed ? "failed" : "succeeded", Error = failed ? "tool crm.lookup timed out" : null, Output = failed ? null : "Answered" });
        }
        var batch = new AcceptedBatch(Guid.CreateVersion7(), tx.OrgId, now, BatchCodec.Encode([.. events]));
        await processor.ProcessAsync(orgs, [batch], ct);

        // Budgets over what was just spent: the monthly one comfortable, the support team's weekly one close to its limit.
        var today = await BudgetTracker.TodayAsync(tx, ct);
        foreach (var (name, scope, team, period, max) in new[] { ("Organization, monthly", "org", (string?)null, "monthly", 50m), ("Support, weekly", "team", "support", "weekly", 2m) })
        {
            var budget = (await tx.SingleAsync($"""
                INSERT INTO budgets AS b (id, org_id, name, scope, team, period, max_micros) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {Budget.Columns}
                """, Budget.Read, ct, Guid.CreateVersion7(), tx.OrgId, name, scope, team, period, (long)(max * 1_000_000m)))!;
            await BudgetTracker.FillAsync(tx, budget, today, ct);
            await BudgetTracker.CheckAsync(tx, budget, today, ct);
        }

        var policy = Guid.CreateVersion7();
        await tx.ExecuteAsync("""
            INSERT INTO policies (id, org_id, name, description, priority, action, conditions)
            VALUES ($1, $2, 'Block deletes in production', 'No delete actions from agents in prod.', 10, 'block',
                    '{"all": [{"field": "agent.environment", "operator": "equals", "value": "prod"}, {"field": "action.type", "operator": "starts_with", "value": "delete"}]}')
            """, ct, policy, tx.OrgId);
        await tx.ExecuteAsync("INSERT INTO policy_versions (org_id, policy_id, version, snapshot) SELECT org_id, id, 1, to_jsonb(p) FROM policies p WHERE id = $1", ct, policy);
        await Audit.AuditLog.RecordAsync(tx, new Actor(ActorType.System, null, new RequestInfo(null, "agentops demo seed")), "demo.seeded", "organization", tx.OrgId,
            null, new { agents = Agents.Select(a => a.Name), runs = Runs, events = events.Count, budgets = 2, policies = 1 }, ct);
    }
}

using AgentOps.Agents;
using AgentOps.Budgets;
using AgentOps.Ingest;
using AgentOps.Policies;

namespace AgentOps.Demo;

/// <summary>
/// What a new demo organization starts with, so the dashboard has something to show: four agents in three teams, a
/// week of runs (LLM and tool calls, some failures) processed by the real ingest path (runs, costs, rollups), two
/// budgets and a policy, each written by its owner's store. Deterministic (a fixed random seed), relative to now.
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
            await AgentStore.InsertAsync(tx, id, new AgentFields(a.Name, "assistant", a.Provider, "active", ["demo", a.Team], "prod", "{}", a.Team), ct);
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
        foreach (var (name, scope, team, period, max) in new[] { ("Organization, monthly", "org", (string?)null, BudgetPeriod.Monthly, 50m), ("Support, weekly", "team", "support", BudgetPeriod.Weekly, 2m) })
        {
            var budget = await BudgetStore.InsertAsync(tx, new Budget(Guid.CreateVersion7(), name, scope, team, null, period, null, (long)(max * 1_000_000m),
                BudgetRules.DefaultThresholds, null, true, default, default), ct);
            await BudgetTracker.FillAsync(tx, budget, today, ct);
            await BudgetTracker.CheckAsync(tx, budget, today, ct);
        }

        var policy = await PolicyStore.InsertAsync(tx, Guid.CreateVersion7(), new PolicyDraft("Block deletes in production", "No delete actions from agents in prod.",
            true, 10, PolicyAction.Block,
            """{"all": [{"field": "agent.environment", "operator": "equals", "value": "prod"}, {"field": "action.type", "operator": "starts_with", "value": "delete"}]}""",
            [], null), ct);
        await PolicyStore.SnapshotAsync(tx, policy, null, ct);
        await Audit.AuditLog.RecordAsync(tx, new Actor(ActorType.System, null, new RequestInfo(null, "agentops demo seed")), "demo.seeded", "organization", tx.OrgId,
            null, new { agents = Agents.Select(a => a.Name), runs = Runs, events = events.Count, budgets = 2, policies = 1 }, ct);
    }
}

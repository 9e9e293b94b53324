namespace AgentOps.Tests.Architecture;

/// <summary>
/// Which feature owns each Postgres table: only the owner's code writes it; other features call the owner's service
/// or react to its events (issue 13). Every table the migrations or the code create has exactly one owner here
/// (docs/architecture.md has the same table); a new table needs its line.
/// </summary>
public static class TableOwners
{
    public static readonly IReadOnlyDictionary<string, string[]> ByFeature = new Dictionary<string, string[]>
    {
        ["Platform"] = ["schema_migrations"],
        ["Tenancy"] = ["organizations", "organization_members"],
        ["Auth"] = ["users", "refresh_sessions"],
        ["ApiKeys"] = ["api_keys"],
        ["Audit"] = ["audit_logs", "audit_chain_heads"],
        ["Agents"] = ["agents"],
        // The rollups (runs, agent_stats_hourly, cost_daily) are Ingest's: one fold (Ingest.Rollups) writes them, for
        // the merge, the OTLP attribution and the reindex alike. ingest_staging and ingest_new_costs are the
        // processing transaction's temporary tables.
        ["Ingest"] = ["ingest_batches", "ingest_dead_letters", "events", "runs", "agent_stats_hourly", "cost_daily", "ingest_staging", "ingest_new_costs"],
        ["Costs"] = ["model_prices", "price_lists"],
        ["Policies"] = ["policies", "policy_versions"],
        ["Budgets"] = ["budgets", "budget_spend", "budget_alerts"],
        ["Llm"] = ["llm_scope_usage"],
        ["Notifications"] = ["notifications", "notification_reads", "webhook_endpoints", "webhook_deliveries"],
        ["Approvals"] = ["approvals"],
        ["Jobs"] = ["job_schedules", "jobs", "job_shards", "job_events"],
        // The ClickHouse export (an Analytics job kind) keeps how far it got; the Postgres store's hourly rollups (the
        // marks are written by triggers on runs and events, whoever changes them).
        // The shared rate budgets of model calls: overrides, per-minute counters, open reservations.
        ["Analytics"] = ["export_watermarks", "rollup_hours", "rollup_marks", "run_hours", "run_hour_latency", "model_hours"],
        // Provider connections (Providers/Connections): endpoints, options, default models and the sealed credential.
        ["Providers"] = ["llm_rate_limits", "llm_rate_windows", "llm_rate_reservations", "provider_connections"],
        ["Guardrails"] = ["guardrail_configs"],
    };

    public static readonly IReadOnlyDictionary<string, string> OwnerOf =
        ByFeature.SelectMany(f => f.Value.Select(t => (Table: t, Feature: f.Key))).ToDictionary(x => x.Table, x => x.Feature);
}

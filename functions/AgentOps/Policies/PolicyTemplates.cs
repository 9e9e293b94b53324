using System.Text.Json;

namespace AgentOps.Policies;

/// <summary>Working starting points; each parses under the rules it will be checked against (tested).</summary>
public static class PolicyTemplates
{
    public sealed record Template(string Key, string Name, string Description, string Action, JsonElement Conditions, string[] ApprovalRequiredFrom, int? TimeoutMinutes);

    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static readonly IReadOnlyList<Template> All =
    [
        new("approve_large_discounts", "Approve discounts over 10 %", "A human approves any discount above 10 percent.", "require_approval",
            J("""{"all": [{"field": "action.type", "operator": "equals", "value": "apply_discount"}, {"field": "action.discount_percent", "operator": "greater_than", "value": 10}]}"""),
            ["admin", "team_lead"], 60),
        new("block_external_email", "Block e-mail to external domains", "Agents may only e-mail addresses of your own domain (edit the pattern).", "block",
            J("""{"all": [{"field": "action.type", "operator": "equals", "value": "send_email"}, {"not": {"field": "action.to", "operator": "regex", "value": "@example\\.com$"}}]}"""),
            [], null),
        new("approve_expensive_runs", "Approve runs above $5", "A human approves the next action of a run that has cost more than $5 (edit the amount).", "require_approval",
            J("""{"field": "run.cost_usd", "operator": "greater_than", "value": 5}"""), ["admin"], 30),
        new("block_production_deletes", "Block deletes in production", "No delete actions from agents tagged prod.", "block",
            J("""{"all": [{"field": "agent.tags", "operator": "contains", "value": "prod"}, {"field": "action.type", "operator": "starts_with", "value": "delete"}]}"""),
            [], null),
    ];
}

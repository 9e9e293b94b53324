using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

/// <summary>
/// docs/rbac.md, tried over HTTP: every role and every API key scope against every endpoint the server maps. The
/// table is written out here by hand; an endpoint missing from it fails the test.
/// </summary>
[Collection(ApiCollection.Name)]
public class RoleMatrixTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private const string People = "admin team_lead member viewer";
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["POST /api/v1/auth/logout"] = People,
        ["GET /api/v1/orgs/profile"] = People + " key:read key:write key:admin",
        ["PATCH /api/v1/orgs/profile"] = "admin key:admin",
        ["GET /api/v1/me/permissions"] = People + " key:read key:write key:admin",
        ["GET /api/v1/live"] = People + " key:read key:write key:admin",
        ["POST /api/v1/org-members"] = "admin team_lead key:admin",
        ["GET /api/v1/org-members"] = People + " key:read key:write key:admin",
        ["PATCH /api/v1/org-members/{id}"] = "admin team_lead key:admin",
        ["DELETE /api/v1/org-members/{id}"] = "admin team_lead key:admin",
        ["POST /api/v1/api-keys"] = "admin team_lead member key:admin",
        ["GET /api/v1/api-keys"] = "admin team_lead member key:admin",
        ["DELETE /api/v1/api-keys/{id}"] = "admin team_lead member key:admin",
        ["POST /api/v1/ingest"] = "admin team_lead member key:ingest",
        ["POST /api/v1/ingest/run"] = "admin team_lead member key:ingest",
        ["POST /api/v1/otlp/v1/traces"] = "admin team_lead member key:ingest",
        ["POST /api/v1/agents"] = "admin team_lead member key:write key:admin",
        ["GET /api/v1/agents"] = People + " key:read key:write key:admin",
        ["GET /api/v1/agents/{id}"] = People + " key:read key:write key:admin",
        ["PATCH /api/v1/agents/{id}"] = "admin team_lead member key:write key:admin",
        ["DELETE /api/v1/agents/{id}"] = "admin team_lead member key:write key:admin",
        ["GET /api/v1/runs"] = People + " key:read key:write key:admin",
        ["GET /api/v1/runs/{**id}"] = People + " key:read key:write key:admin",
        ["GET /api/v1/events/{**runId}"] = People + " key:read key:write key:admin",
        ["GET /api/v1/payloads/{day}/{name}"] = People + " key:read key:write key:admin",
        ["GET /api/v1/model-prices"] = People + " key:read key:write key:admin",
        ["POST /api/v1/model-prices"] = "admin key:admin",
        ["DELETE /api/v1/model-prices/{id}"] = "admin key:admin",
        ["GET /api/v1/audit-logs"] = "admin key:admin",
        ["GET /api/v1/audit-logs/verify"] = "admin key:admin",
        ["GET /api/v1/controls/status"] = People + " key:read key:write key:admin",
        ["POST /api/v1/controls/pause-agent/{id}"] = "admin team_lead key:admin",
        ["POST /api/v1/controls/resume-agent/{id}"] = "admin team_lead key:admin",
        ["POST /api/v1/controls/kill-switch"] = "admin team_lead key:admin",
        ["POST /api/v1/controls/resume-all"] = "admin team_lead key:admin",
        ["GET /api/v1/policies/templates"] = People + " key:read key:write key:admin",
        ["POST /api/v1/policies"] = "admin key:admin",
        ["GET /api/v1/policies"] = People + " key:read key:write key:admin",
        ["GET /api/v1/policies/{id}"] = People + " key:read key:write key:admin",
        ["PATCH /api/v1/policies/{id}"] = "admin key:admin",
        ["DELETE /api/v1/policies/{id}"] = "admin key:admin",
        ["POST /api/v1/policies/{id}/evaluate"] = People + " key:read key:write key:admin",
        ["POST /api/v1/budgets"] = "admin key:admin",
        ["GET /api/v1/budgets"] = People + " key:read key:write key:admin",
        ["GET /api/v1/budgets/{id}"] = People + " key:read key:write key:admin",
        ["PATCH /api/v1/budgets/{id}"] = "admin key:admin",
        ["DELETE /api/v1/budgets/{id}"] = "admin key:admin",
        ["GET /api/v1/costs/summary"] = People + " key:read key:write key:admin",
        ["GET /api/v1/costs/by-agent/{id}"] = People + " key:read key:write key:admin",
        ["GET /api/v1/costs/by-team/{name}"] = People + " key:read key:write key:admin",
        ["POST /api/v1/jobs"] = "admin key:admin",
        ["GET /api/v1/jobs"] = "admin team_lead key:read key:write key:admin",
        ["GET /api/v1/jobs/kinds"] = "admin team_lead key:read key:write key:admin",
        ["GET /api/v1/jobs/{id}"] = "admin team_lead key:read key:write key:admin",
        ["POST /api/v1/jobs/{id}/cancel"] = "admin key:admin",
        ["POST /api/v1/jobs/{id}/retry"] = "admin key:admin",
        ["POST /api/v1/jobs/schedules"] = "admin key:admin",
        ["GET /api/v1/jobs/schedules"] = "admin team_lead key:read key:write key:admin",
        ["PATCH /api/v1/jobs/schedules/{id}"] = "admin key:admin",
        ["DELETE /api/v1/jobs/schedules/{id}"] = "admin key:admin",
        ["GET /api/v1/orchestrations"] = "admin team_lead key:read key:write key:admin",
        ["GET /api/v1/orchestrations/{id}"] = "admin team_lead key:read key:write key:admin",
        ["GET /api/v1/orchestrations/{id}/history"] = "admin team_lead key:read key:write key:admin",
        ["POST /api/v1/orchestrations/{id}/terminate"] = "admin key:admin",
        ["POST /api/v1/orchestrations/{id}/suspend"] = "admin key:admin",
        ["POST /api/v1/orchestrations/{id}/resume"] = "admin key:admin",
        ["POST /api/v1/orchestrations/{id}/events"] = "admin key:admin",
        ["POST /api/v1/orchestrations/{id}/purge"] = "admin key:admin",
        ["POST /api/v1/orchestrations/purge"] = "admin key:admin",
        ["POST /api/v1/policy/check"] = "admin team_lead member key:ingest",
        ["GET /api/v1/guardrails/config"] = People + " key:read key:write key:admin",
        ["PUT /api/v1/guardrails/config"] = "admin key:admin",
        ["DELETE /api/v1/guardrails/config"] = "admin key:admin",
        ["POST /api/v1/guardrails/check"] = "admin team_lead member key:ingest",
        ["POST /api/v1/llm/complete"] = "admin team_lead member key:write key:admin",
        ["POST /api/v1/llm/complete/stream"] = "admin team_lead member key:write key:admin",
        ["GET /api/v1/approvals/pending"] = People + " key:read key:write key:admin",
        ["GET /api/v1/approvals/pending/count"] = People + " key:read key:write key:admin",
        ["GET /api/v1/approvals"] = People + " key:read key:write key:admin",
        ["GET /api/v1/approvals/{id}"] = People + " key:read key:write key:admin",
        ["GET /api/v1/approvals/{id}/wait"] = People + " key:read key:write key:admin",
        ["POST /api/v1/approvals/{id}/approve"] = People,
        ["POST /api/v1/approvals/{id}/reject"] = People,
        ["GET /api/v1/notifications"] = People + " key:read key:write key:admin",
        ["GET /api/v1/notifications/unread-count"] = People,
        ["POST /api/v1/notifications/{id}/read"] = People,
        ["POST /api/v1/notifications/read-all"] = People,
        ["POST /api/v1/webhooks"] = "admin key:admin",
        ["GET /api/v1/webhooks"] = "admin key:admin",
        ["GET /api/v1/webhooks/{id}"] = "admin key:admin",
        ["PATCH /api/v1/webhooks/{id}"] = "admin key:admin",
        ["DELETE /api/v1/webhooks/{id}"] = "admin key:admin",
        ["POST /api/v1/webhooks/{id}/rotate-secret"] = "admin key:admin",
        ["POST /api/v1/webhooks/{id}/test"] = "admin key:admin",
        ["GET /api/v1/webhooks/{id}/deliveries"] = "admin key:admin",
        ["POST /api/v1/webhooks/deliveries/{id}/redeliver"] = "admin key:admin",
        ["GET /api/v1/analytics/summary"] = People + " key:read key:write key:admin",
        ["GET /api/v1/analytics/timeseries"] = People + " key:read key:write key:admin",
        ["GET /api/v1/analytics/latency"] = People + " key:read key:write key:admin",
        ["GET /api/v1/analytics/top-agents"] = People + " key:read key:write key:admin",
        ["GET /api/v1/llm/rate-limits"] = "admin team_lead member key:read key:write key:admin",
        ["PUT /api/v1/llm/rate-limits"] = "admin key:admin",
        ["DELETE /api/v1/llm/rate-limits"] = "admin key:admin",
        ["POST /api/v1/providers/connections"] = "admin key:admin",
        ["GET /api/v1/providers/connections"] = "admin team_lead member key:read key:write key:admin",
        ["GET /api/v1/providers/connections/{id}"] = "admin team_lead member key:read key:write key:admin",
        ["PATCH /api/v1/providers/connections/{id}"] = "admin key:admin",
        ["POST /api/v1/providers/connections/{id}/rotate"] = "admin key:admin",
        ["DELETE /api/v1/providers/connections/{id}"] = "admin key:admin",
        // Only with AGENTOPS_FAULT_INJECTION=true, as the tests' server runs (ApiFixture).
        ["POST /api/v1/test/faults"] = "admin key:admin",
        ["GET /api/v1/test/faults"] = "admin key:admin",
        ["DELETE /api/v1/test/faults"] = "admin key:admin",
    };

    private static readonly HashSet<string> Open =
    [
        "POST /api/v1/auth/signup", "POST /api/v1/auth/login", "POST /api/v1/auth/refresh-token", "POST /api/v1/auth/accept-invite",
        "GET /api/health", "GET /api/health/ready", "GET /api/openapi.json",
    ];

    private List<(string Route, bool Anonymous)> Endpoints() =>
        fx.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m =>
                ($"{m} /{e.RoutePattern.RawText!.Trim('/')}".Replace("{id:guid}", "{id}", StringComparison.Ordinal).Replace("{documentName}", "openapi", StringComparison.Ordinal),
                 e.Metadata.GetMetadata<Anonymous>() is not null)))
            .ToList();

    [Fact]
    public void Every_endpoint_is_in_the_table_and_declares_its_access()
    {
        foreach (var (route, anonymous) in Endpoints())
            Assert.True(anonymous ? Open.Contains(route) : Allowed.ContainsKey(route), $"{route} (anonymous: {anonymous}) is not in the role matrix");
        Assert.Equal(Allowed.Count + Open.Count, Endpoints().Select(e => e.Route).Distinct().Count());
    }

    [Fact]
    public async Task Every_role_and_scope_gets_exactly_what_the_table_says()
    {
        var tenant = await _client.SignupAsync();
        var actors = new List<(string Name, string Bearer)>
        {
            ("admin", tenant.AdminToken),
            ("team_lead", (await _client.AddMemberAsync(tenant, "team_lead", "core")).Token),
            ("member", (await _client.AddMemberAsync(tenant, "member", "core")).Token),
            ("viewer", (await _client.AddMemberAsync(tenant, "viewer")).Token),
        };
        foreach (var scope in new[] { "ingest", "read", "write", "admin" })
            actors.Add(($"key:{scope}", (await _client.CreateKeyAsync(tenant.AdminToken, scope)).Key));

        // Logout ends the session it is called with, so it goes last.
        var routes = Allowed.Keys.OrderBy(r => r.EndsWith("/logout", StringComparison.Ordinal)).ToList();
        var failures = new List<string>();
        foreach (var route in routes)
        {
            var allowed = Allowed[route].Split(' ').ToHashSet();
            var (method, path) = (route.Split(' ')[0], route.Split(' ')[1].Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{**id}", "no/such/run", StringComparison.Ordinal).Replace("{**runId}", "no-such-run", StringComparison.Ordinal).Replace("{day}", "2026-01-01", StringComparison.Ordinal).Replace("{name}", "none.txt", StringComparison.Ordinal));
            foreach (var (name, bearer) in actors)
            {
                // Empty bodies: an allowed caller gets past access control and then fails validation (422) or finds nothing (404).
                var body = method is "POST" or "PATCH" or "PUT" && !path.EndsWith("/logout", StringComparison.Ordinal) ? new { } : null;
                // A live stream answers at once but stays open: asked to end after a second.
                var reply = await _client.Send(new HttpMethod(method), path + (route == "GET /api/v1/live" ? "?max_seconds=1" : ""), body, bearer);
                var passed = reply.Code is not (401 or 403);
                if (passed != allowed.Contains(name) || !passed && reply.ProblemCode != "forbidden")
                    failures.Add($"{name} {route}: {reply}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

using System.Globalization;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>Unique per request: names, e-mail addresses and run ids built from it never collide with another request's.</summary>
public sealed record RequestMarker(string Text, string TraceId);

/// <summary>What an accepted request stores once the ingest workers have processed it: its run and its events.</summary>
public sealed record DeferredWrite(string RunId, IReadOnlyList<string> EventIds);

/// <summary>
/// How to name a real resource for the path parameters under <see cref="Prefix"/> (its parameters in order), whether it
/// belongs to the organization (so another organization's credentials must never reach it), and which list route
/// enumerates every such resource when reads are checked after the corpus.
/// </summary>
public sealed record PathSeed(string Prefix, Func<SeededTenant, string[]> Values, bool TenantOwned = true, string? ListRoute = null);

/// <summary>
/// The little the OpenAPI document cannot say: a valid body per write route, a real value per path parameter, and
/// the routes whose accepted requests are written later by the ingest workers. A route the document lists and these
/// tables cannot serve fails the suite with a message that names the table to extend.
/// </summary>
public static class HostileTables
{
    private const string OtlpSpanId = "1111111111111111";

    /// <summary>A valid body per write route; the marker keeps names unique so that every valid request can succeed.</summary>
    public static readonly Dictionary<string, Func<SeededTenant, RequestMarker, object>> ExampleBodies = new(StringComparer.Ordinal)
    {
        ["POST /api/v1/auth/signup"] = (_, m) => new { org_name = m.Text + " org", email = m.Text + "@test.agentops.dev", password = Tenants.Password, name = "Hostile" },
        ["POST /api/v1/auth/login"] = (t, _) => new { email = t.Tenant.AdminEmail, password = t.Tenant.AdminPassword, org_id = t.Tenant.OrgId },
        ["POST /api/v1/auth/refresh-token"] = (t, _) => new { refresh_token = t.RefreshToken },
        ["POST /api/v1/auth/accept-invite"] = (t, _) => new { token = t.InviteToken, password = Tenants.Password, name = "Invitee" },
        ["PATCH /api/v1/orgs/profile"] = (_, m) => new { name = m.Text + " org", timezone = "UTC", ingest_events_per_second = 1_000_000, ingest_burst = 10_000_000 },
        ["POST /api/v1/org-members"] = (_, m) => new { email = m.Text + "@test.agentops.dev", role = "member", team = SeededTenant.Team },
        ["PATCH /api/v1/org-members/{id}"] = (_, _) => new { role = "viewer", team = SeededTenant.Team },
        ["POST /api/v1/api-keys"] = (_, m) => new { name = m.Text, scopes = new[] { "read" }, expires_at = DateTimeOffset.UtcNow.AddDays(30) },
        ["POST /api/v1/agents"] = (_, m) => new
        {
            name = m.Text + "-agent", type = "assistant", provider = "openai", status = "active", tags = new[] { "hostile" }, environment = "production",
            config = new { model = "gpt-4o" }, team = SeededTenant.Team,
        },
        ["PATCH /api/v1/agents/{id}"] = (t, _) => new
        {
            name = t.AgentName, type = "assistant", provider = "openai", status = "active", tags = new[] { "hostile" }, environment = "staging",
            config = new { model = "gpt-4o" }, team = SeededTenant.Team,
        },
        ["POST /api/v1/ingest"] = (t, m) => new
        {
            batch = new[]
            {
                new
                {
                    id = m.Text + "-e", type = "llm.call", timestamp = Ingesting.At(1), run_id = m.Text + "-run", agent = t.AgentName, parent_id = m.Text + "-parent",
                    name = "answer", status = "ok", ended_at = Ingesting.At(2), latency_ms = 1000, model = "gpt-4o", provider = "openai",
                    tokens_in = 100, tokens_out = 20, tokens_cached = 10, cost_usd = 0.01, input = "question", output = "answer",
                    metadata = new { k = "v" },
                },
            },
        },
        ["POST /api/v1/ingest/run"] = (t, m) => new
        {
            run = new
            {
                id = m.Text + "-run", agent = t.AgentName, name = "hostile run", started_at = Ingesting.At(0), ended_at = Ingesting.At(3), status = "completed",
                input = "brief", output = "draft", tags = new[] { "hostile" }, metadata = new { k = "v" }, environment = "production",
            },
            events = new[] { new { id = m.Text + "-e", type = "tool.call", timestamp = Ingesting.At(1), tool_name = "search", arguments = new { q = "x" }, result = "ok" } },
        },
        ["POST /api/v1/otlp/v1/traces"] = (t, m) => new
        {
            resourceSpans = new[]
            {
                new
                {
                    resource = new { attributes = new[] { new { key = "service.name", value = new { stringValue = t.AgentName } } } },
                    scopeSpans = new[]
                    {
                        new
                        {
                            scope = new { name = "hostile" },
                            spans = new[]
                            {
                                new
                                {
                                    traceId = m.TraceId, spanId = OtlpSpanId, name = "chat", kind = 3,
                                    startTimeUnixNano = Nanos(Ingesting.T0), endTimeUnixNano = Nanos(Ingesting.T0.AddSeconds(1)),
                                    attributes = new object[]
                                    {
                                        new { key = "gen_ai.request.model", value = new { stringValue = "gpt-4o" } },
                                        new { key = "gen_ai.usage.input_tokens", value = new { intValue = "10" } },
                                    },
                                    status = new { code = 1 },
                                },
                            },
                        },
                    },
                },
            },
        },
        ["POST /api/v1/policy/check"] = (t, m) => new
        {
            run_id = m.Text + "-run", agent = t.AgentName, action = new { type = "search" }, context = new { environment = "production" }, step = "step-" + m.Text,
        },
        // No version: every valid request can succeed (a stale one is 409 and changes nothing).
        ["PUT /api/v1/guardrails/config"] = (_, m) => new
        {
            config = new
            {
                redaction = new
                {
                    detectors = new[] { "api_keys", "emails", "cards" },
                    custom = new[] { new { name = "HOSTILE_ID", pattern = "HX-[0-9]{6}" } },
                    actions = new Dictionary<string, string> { ["API_KEY"] = "block", ["HOSTILE_ID"] = "flag" },
                },
                injection = new { action = "block", block_score = 0.8, flag_score = 0.0001 },
                restore_originals = false,
                paths = new { allow = new[] { "src", m.Text }, deny = new[] { "src/secrets" } },
            },
        },
        ["POST /api/v1/llm/complete"] = (t, m) => new { connection = t.SimulatedConnection, model = "sim-1", messages = new[] { new { role = "user", content = "Summarize ticket " + m.Text } } },
        ["POST /api/v1/llm/complete/stream"] = (t, m) => new { connection = t.SimulatedConnection, model = "sim-1", messages = new[] { new { role = "user", content = "Summarize ticket " + m.Text } } },
        ["POST /api/v1/guardrails/check"] = (_, m) => new { text = $"ticket {m.Text} for ops@example.com", path = "src/" + m.Text + ".cs" },
        ["POST /api/v1/model-prices"] = (_, m) => new
        {
            provider = "openai", model = m.Text + "-model", aliases = new[] { m.Text + "-alias" }, input_per_mtok_usd = 1.5, output_per_mtok_usd = 2.5,
            cached_input_per_mtok_usd = 0.5, effective_from = "2026-01-01T00:00:00Z", effective_to = "2027-01-01T00:00:00Z", source = "hostile suite",
        },
        ["POST /api/v1/controls/pause-agent/{id}"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/controls/resume-agent/{id}"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/controls/kill-switch"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/controls/resume-all"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/policies"] = (_, m) => Policy(m.Text),
        ["PATCH /api/v1/policies/{id}"] = (_, m) => Policy(m.Text),
        ["POST /api/v1/policies/{id}/evaluate"] = (_, _) => new { context = new { action = new { type = "apply_discount", discount_percent = 30 }, context = new { region = "eu" } } },
        ["POST /api/v1/budgets"] = (_, m) => new
        {
            name = m.Text, scope = "team", team = SeededTenant.Team, period = "monthly", max_amount_usd = 100, thresholds = new[] { 50, 80, 100 },
            auto_pause_at_percent = 150, active = true,
        },
        ["PATCH /api/v1/budgets/{id}"] = (_, m) => new { name = m.Text, max_amount_usd = 200, thresholds = new[] { 50, 100 }, auto_pause_at_percent = 150, active = true },
        ["POST /api/v1/approvals/{id}/approve"] = (_, _) => new { comment = "hostile suite" },
        ["POST /api/v1/approvals/{id}/reject"] = (_, _) => new { comment = "hostile suite" },
        ["POST /api/v1/webhooks"] = (_, m) => new { name = m.Text, url = $"https://hooks.example.com/{m.Text}", kinds = new[] { "budget.threshold" }, active = true },
        ["PATCH /api/v1/webhooks/{id}"] = (_, m) => new { name = m.Text, url = $"https://hooks.example.com/{m.Text}", kinds = new[] { "budget.threshold" }, active = true },
        ["POST /api/v1/providers/connections"] = (_, m) => new
        {
            name = "h-" + m.Text, kind = "openai", base_url = "https://api.openai.com/v1/", secret = "sk-hostile-0123456789abcdef",
            options = new { timeout_seconds = 30 }, models = new[] { new { name = "gpt-4o", capabilities = new[] { "text" } } },
            default_models = new Dictionary<string, string> { ["chat"] = "gpt-4o" }, active = true,
        },
        ["PATCH /api/v1/providers/connections/{id}"] = (_, m) => new
        {
            name = "h-" + m.Text, base_url = "https://api.openai.com/v1/", options = new { timeout_seconds = 60 },
            models = new[] { new { name = "gpt-4o", capabilities = new[] { "text", "tools" } } }, default_models = new Dictionary<string, string> { ["judge"] = "gpt-4o" },
            active = true,
        },
        ["POST /api/v1/providers/connections/{id}/rotate"] = (_, _) => new { secret = "sk-hostile-rotated-0123456789abcdef" },
        ["POST /api/v1/jobs"] = (_, _) => new
        {
            kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 1000, parallelism = 2, priority = 0,
            scheduled_at = DateTimeOffset.UtcNow.AddDays(200), dry_run = true, insert_mode = "sync", max_attempts = 3,
        },
        ["POST /api/v1/jobs/schedules"] = (_, m) => new
        {
            name = m.Text, cron = SeededTenant.Cron, kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 1000, parallelism = 2,
            priority = 0, insert_mode = "sync", max_attempts = 3, active = true,
        },
        ["PATCH /api/v1/jobs/schedules/{id}"] = (_, m) => new { cron = SeededTenant.Cron, active = true, name = m.Text },
        ["POST /api/v1/orchestrations/{id}/terminate"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/orchestrations/{id}/suspend"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/orchestrations/{id}/resume"] = (_, _) => new { reason = "hostile suite" },
        ["POST /api/v1/orchestrations/{id}/events"] = (_, m) => new { name = "note", payload = new { text = m.Text } },
        // A path no request of the suite uses, so an armed fault strikes nothing (faults are per organization, in memory, not audited).
        ["POST /api/v1/test/faults"] = (_, m) => new { path = "/api/v1/hostile/" + m.Text, status = 503, when = "after", times = 2, retry_after_s = 1 },
        ["PUT /api/v1/llm/rate-limits"] = (_, m) => new { provider = "openai", model = m.Text + "-model", rpm = 100, tpm = 100_000 },
        // Before the seeds were created: matches nothing, so the corpus purges nothing a read needs.
        ["POST /api/v1/orchestrations/purge"] = (_, _) => new { statuses = new[] { "completed", "failed", "terminated" }, created_after = "2020-01-01T00:00:00Z",
            created_before = "2020-01-02T00:00:00Z", dry_run = true },
    };

    /// <summary>A policy that never matches (so that it decides nothing elsewhere) but has every field set.</summary>
    private static object Policy(string name) => new
    {
        name, description = "hostile suite", active = true, priority = 5, action = "require_approval",
        conditions = new { all = new object[] { new { field = "action.type", @operator = "equals", value = "never-" + name } } },
        approval_required_from = new[] { "admin" }, timeout_minutes = 60,
    };

    /// <summary>A real value for every path parameter; the longest prefix of a route wins.</summary>
    public static readonly PathSeed[] PathSeeds =
    [
        new("/api/v1/org-members/{id}", t => [t.InvitedMemberId.ToString()], ListRoute: "/api/v1/org-members"),
        new("/api/v1/api-keys/{id}", t => [t.SpareKeyId.ToString()], ListRoute: "/api/v1/api-keys"),
        new("/api/v1/agents/{id}", t => [t.AgentId.ToString()], ListRoute: "/api/v1/agents"),
        new("/api/v1/runs/{id}", t => [t.RunId], ListRoute: "/api/v1/runs"),
        new("/api/v1/events/{runId}", t => [t.RunId], ListRoute: "/api/v1/runs"),
        new("/api/v1/payloads/{day}/{name}", t => [t.PayloadDay, t.PayloadName]),
        new("/api/v1/model-prices/{id}", t => [t.PriceId.ToString()]),
        new("/api/v1/controls/pause-agent/{id}", t => [t.AgentId.ToString()]),
        new("/api/v1/controls/resume-agent/{id}", t => [t.AgentId.ToString()]),
        new("/api/v1/policies/{id}", t => [t.PolicyId.ToString()], ListRoute: "/api/v1/policies"),
        new("/api/v1/budgets/{id}", t => [t.BudgetId.ToString()], ListRoute: "/api/v1/budgets"),
        new("/api/v1/costs/by-agent/{id}", t => [t.AgentId.ToString()], ListRoute: "/api/v1/agents"),
        // A team is a name, not a resource: any organization may ask about a team called so.
        new("/api/v1/costs/by-team/{name}", _ => [SeededTenant.Team], TenantOwned: false),
        new("/api/v1/approvals/{id}", t => [t.PendingApprovalId.ToString()], ListRoute: "/api/v1/approvals"),
        // Decided, so that a wait answers at once (a pending one holds the request for its timeout).
        new("/api/v1/approvals/{id}/wait", t => [t.DecidedApprovalId.ToString()]),
        new("/api/v1/notifications/{id}", t => [t.NotificationId.ToString()]),
        new("/api/v1/webhooks/{id}", t => [t.WebhookId.ToString()], ListRoute: "/api/v1/webhooks"),
        new("/api/v1/webhooks/deliveries/{id}", t => [t.DeliveryId.ToString()]),
        new("/api/v1/jobs/{id}", t => [t.JobId.ToString()], ListRoute: "/api/v1/jobs"),
        new("/api/v1/providers/connections/{id}", t => [t.ProviderConnectionId.ToString()], ListRoute: "/api/v1/providers/connections"),
        new("/api/v1/jobs/schedules/{id}", t => [t.ScheduleId.ToString()]),
        new("/api/v1/orchestrations/{id}", t => [t.OrchestrationId.ToString()]),
        new("/api/v1/orchestrations/{id}/purge", t => [t.PurgeableOrchestrationId.ToString()]),
    ];

    /// <summary>
    /// Routes whose accepted requests the ingest workers store later, and what each stores. The corpus cannot see
    /// those writes when the answer comes; it checks them after the workers have drained the queue.
    /// </summary>
    public static readonly Dictionary<string, Func<RequestMarker, DeferredWrite>> Deferred = new(StringComparer.Ordinal)
    {
        ["POST /api/v1/ingest"] = m => new(m.Text + "-run", [m.Text + "-e"]),
        ["POST /api/v1/ingest/run"] = m => new(m.Text + "-run", [m.Text + "-e", m.Text + "-run:start", m.Text + "-run:end"]),
        ["POST /api/v1/otlp/v1/traces"] = m => new(m.TraceId, [$"{m.TraceId}-{OtlpSpanId}", $"{m.TraceId}-{OtlpSpanId}:start", $"{m.TraceId}-{OtlpSpanId}:end"]),
        // The decision lands on the run as an event (buffered, then through the ingest queue).
        ["POST /api/v1/policy/check"] = m => new(m.Text + "-run", []),
    };

    /// <summary>The list of the runs that deferred writes create; the read check reads every acknowledged run by id, even past where the list breaks.</summary>
    public const string DeferredRunsList = "/api/v1/runs";

    /// <summary>Routes that end the session they are called with get a session of their own.</summary>
    public static readonly Dictionary<string, Func<SeededTenant, string>> BaseBearers = new(StringComparer.Ordinal)
    {
        ["POST /api/v1/auth/logout"] = t => t.LogoutToken,
    };

    /// <summary>
    /// Query strings that make a write route's request valid (it names what it changes in the query): every request of
    /// the corpus carries it, except those that vary the query.
    /// </summary>
    public static readonly Dictionary<string, Func<SeededTenant, string>> BaseQueries = new(StringComparer.Ordinal)
    {
        ["DELETE /api/v1/llm/rate-limits"] = t => $"provider={SeededTenant.RateLimitProvider}&model={Uri.EscapeDataString(t.RateLimitModel)}",
    };

    /// <summary>Query strings the read check needs beyond the defaults.</summary>
    public static readonly Dictionary<string, string> ReadQueries = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/approvals/{id}/wait"] = "timeout_s=1",
    };

    /// <summary>4xx answers that change state on purpose (docs/api.md): reuse detection revokes the session family and is audited; a late decision expires the request.</summary>
    public static readonly HashSet<(int Status, string Code)> WritesByDesign = [(401, "refresh_token_reused"), (409, "approval_expired")];

    public static PathSeed? SeedFor(ApiOperation op, string parameter) =>
        PathSeeds.Where(s => s.Prefix.Contains("{" + parameter + "}", StringComparison.Ordinal) && op.Path.StartsWith(s.Prefix, StringComparison.Ordinal))
            .MaxBy(s => s.Prefix.Length);

    /// <summary>The value of one parameter of a seed's prefix for a tenant.</summary>
    public static string SeedValue(PathSeed seed, string parameter, SeededTenant tenant)
    {
        var names = seed.Prefix.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')).ToList();
        return seed.Values(tenant)[names.IndexOf(parameter)];
    }

    /// <summary>What the tables lack for an operation, as instructions; empty when the corpus can seed every part of it.</summary>
    public static IEnumerable<string> Gaps(ApiOperation op)
    {
        if (op.DeclaresBody && !ExampleBodies.ContainsKey(op.Route))
            yield return $"{op.Route}: add a valid example body to HostileTables.ExampleBodies";
        foreach (var p in op.PathParameters.Where(p => SeedFor(op, p) is null))
            yield return $"{op.Route}: add a PathSeed for {{{p}}} to HostileTables.PathSeeds (create the resource in SeededTenant.CreateAsync)";
    }

    /// <summary>Entries that name routes the document no longer has: a table that only grows hides mistakes.</summary>
    public static IEnumerable<string> StaleEntries(IReadOnlyList<ApiOperation> ops)
    {
        var routes = ops.Select(o => o.Route).ToHashSet(StringComparer.Ordinal);
        foreach (var route in ExampleBodies.Keys.Concat(Deferred.Keys).Concat(BaseBearers.Keys).Concat(ReadQueries.Keys).Concat(BaseQueries.Keys).Where(r => !routes.Contains(r)))
            yield return $"{route}: listed in HostileTables but not in the OpenAPI document";
        foreach (var seed in PathSeeds.Where(s => !ops.Any(o => o.Path.StartsWith(s.Prefix, StringComparison.Ordinal))))
            yield return $"PathSeed {seed.Prefix}: no route of the OpenAPI document starts with it";
    }

    private static string Nanos(DateTimeOffset t) => ((t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100).ToString(CultureInfo.InvariantCulture);
}

using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>
/// An organization with one real resource of every kind a path parameter can name, created through the API, plus the
/// credentials the corpus needs: the admin, an under-privileged read-only and ingest key, and spare sessions for the
/// routes that end a session (logout, refresh).
/// </summary>
public sealed class SeededTenant
{
    public const string Team = "core";

    public required string Marker { get; init; }
    public required Tenant Tenant { get; init; }
    public string AdminToken => Tenant.AdminToken;
    public string AgentName => Marker + "-agent";

    public string ReadKey { get; private set; } = "";
    public string IngestKey { get; private set; } = "";
    public Guid SpareKeyId { get; private set; }
    public Guid AgentId { get; private set; }
    public Guid InvitedMemberId { get; private set; }
    public string InviteToken { get; private set; } = "";
    public string LogoutToken { get; private set; } = "";
    public string RefreshToken { get; private set; } = "";
    public Guid PolicyId { get; private set; }
    public Guid PendingApprovalId { get; private set; }
    public Guid DecidedApprovalId { get; private set; }
    public Guid NotificationId { get; private set; }
    public Guid BudgetId { get; private set; }
    public Guid PriceId { get; private set; }
    public Guid WebhookId { get; private set; }
    public Guid ProviderConnectionId { get; private set; }
    public Guid DeliveryId { get; private set; }
    public Guid JobId { get; private set; }
    public Guid ScheduleId { get; private set; }
    /// <summary>Jobs that ran before the corpus: their orchestrations (ended) are what the monitor's routes show; the second one is there to be purged.</summary>
    public Guid OrchestrationId { get; private set; }
    public Guid PurgeableOrchestrationId { get; private set; }
    public string RunId => Marker + "-seed-run";
    /// <summary>A rate limit override of the seed (the key the removal route names in its query).</summary>
    public const string RateLimitProvider = "openai";
    public string RateLimitModel => Marker + "-seed-model";

    /// <summary>A simulated connection (no network, instant answers) for the model-call routes.</summary>
    public string SimulatedConnection => "sim-" + Marker;
    public string PayloadDay { get; private set; } = "";
    public string PayloadName { get; private set; } = "";

    /// <summary>Creates the organization and its resources. Every step goes through the public API.</summary>
    public static async Task<SeededTenant> CreateAsync(HttpClient client, string marker)
    {
        var tenant = await client.SignupAsync(marker + " org");
        var t = new SeededTenant { Marker = marker, Tenant = tenant };
        var admin = tenant.AdminToken;
        // Ingest must never answer 429 to the corpus: the rate is not what is under test here.
        (await client.Patch("/api/v1/orgs/profile", new { ingest_events_per_second = 1_000_000, ingest_burst = 10_000_000 }, admin)).Expect(200);
        t.ReadKey = (await client.CreateKeyAsync(admin, "read")).Key;
        t.IngestKey = (await client.CreateKeyAsync(admin, "ingest", "write")).Key;
        t.SpareKeyId = (await client.CreateKeyAsync(admin, "read")).Id;
        t.AgentId = (await client.Post("/api/v1/agents", new { name = t.AgentName, team = Team, tags = new[] { "seed" }, environment = "production", config = new { k = "v" } }, admin))
            .Expect(201).Id();
        t.InvitedMemberId = (await client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(marker + "-member"), role = "member", team = Team }, admin))
            .Expect(201).Body.GetProperty("member").GetProperty("id").GetGuid();
        t.InviteToken = (await client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(marker + "-invitee"), role = "viewer" }, admin)).Expect(201).Str("invite_token");
        var login = new { email = tenant.AdminEmail, password = tenant.AdminPassword };
        t.LogoutToken = (await client.Post("/api/v1/auth/login", login)).Expect(200).Str("access_token");
        t.RefreshToken = (await client.Post("/api/v1/auth/login", login)).Expect(200).Str("refresh_token");

        t.PolicyId = (await client.Post("/api/v1/policies", new
        {
            name = "Approve large discounts", action = "require_approval", priority = 10, approval_required_from = new[] { "admin" }, timeout_minutes = 60,
            conditions = new { all = new object[] { new { field = "action.type", @operator = "equals", value = "apply_discount" } } },
        }, admin)).Expect(201).Id();
        // Requested by a key, so that the admin may decide (nobody decides their own request).
        var discount = new { type = "apply_discount", discount_percent = 30 };
        t.PendingApprovalId = await RequestApprovalAsync(client, t, discount);
        t.DecidedApprovalId = await RequestApprovalAsync(client, t, discount);
        (await client.Post($"/api/v1/approvals/{t.DecidedApprovalId}/approve", new { comment = "seed" }, admin)).Expect(200);
        t.NotificationId = (await client.Get("/api/v1/notifications", admin)).Expect(200).Body.GetProperty("items")[0].GetProperty("id").GetGuid();

        // The largest maximum: no cost the corpus ingests reaches a threshold, whose alert would be a write nobody asked for.
        t.BudgetId = (await client.Post("/api/v1/budgets", new { name = marker + " budget", scope = "team", team = Team, period = "monthly", max_amount_usd = 1_000_000_000 }, admin))
            .Expect(201).Id();
        t.PriceId = (await client.Post("/api/v1/model-prices", new { provider = "openai", model = marker + "-model", input_per_mtok_usd = 1, output_per_mtok_usd = 2 }, admin))
            .Expect(201).Id();
        t.WebhookId = (await client.Post("/api/v1/webhooks", new { name = marker, url = $"https://hooks.example.com/{marker}" }, admin))
            .Expect(201).Body.GetProperty("webhook").GetProperty("id").GetGuid();
        t.ProviderConnectionId = (await client.Post("/api/v1/providers/connections", new { name = "seed-" + marker, kind = "openai", secret = "sk-seed-0123456789abcdef" }, admin))
            .Expect(201).Id();
        (await client.Post("/api/v1/providers/connections", new { name = t.SimulatedConnection, kind = "simulated", options = new { seed = 1, words = 8 } }, admin))
            .Expect(201);
        t.DeliveryId = (await client.Post($"/api/v1/webhooks/{t.WebhookId}/test", null, admin)).Expect(202).Id();
        // Far in the future, so that no worker runs it (and writes nothing) while the corpus is checking for writes.
        t.JobId = (await client.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true, scheduled_at = DateTimeOffset.UtcNow.AddDays(200) }, admin))
            .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        (await client.Send(HttpMethod.Put, "/api/v1/llm/rate-limits", new { provider = RateLimitProvider, model = t.RateLimitModel, rpm = 100, tpm = 100_000 }, admin))
            .Expect(200);
        t.ScheduleId = (await client.Post("/api/v1/jobs/schedules", new { name = marker, cron = Cron, kind = "reindex" }, admin)).Expect(201).Id();
        t.OrchestrationId = await RunJobAsync(client, admin);
        t.PurgeableOrchestrationId = await RunJobAsync(client, admin);

        // A run whose input is large enough for the blob store: it gives /runs/{id}, /events/{run_id} and /payloads/{day}/{name}.
        (await client.IngestAsync(t.IngestKey, Ingesting.Event(marker + "-seed-start", "run.start", 0, t.RunId, t.AgentName, new { input = new string('p', 20_000) }))).Expect(202);
        var run = await client.WaitForRunAsync(admin, t.RunId);
        var reference = run.GetProperty("timeline")[0].GetProperty("event").GetProperty("input_ref").GetString()!.Split('/');
        (t.PayloadDay, t.PayloadName) = (reference[0], reference[1]);
        return t;
    }

    /// <summary>A dry-run reindex, run to its end (so that it writes nothing while the corpus checks for writes).</summary>
    private static async Task<Guid> RunJobAsync(HttpClient client, string admin)
    {
        var id = (await client.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true }, admin)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (await client.Get($"/api/v1/orchestrations/{id}", admin) is { Status: System.Net.HttpStatusCode.OK } reply
                && reply.Body.GetProperty("status").GetString() == "completed")
                return id;
        throw new InvalidOperationException($"The seed job {id} did not finish in 60 s.");
    }

    /// <summary>Never due while tests run (03:00 on January 1st).</summary>
    public const string Cron = "0 3 1 1 *";

    private static async Task<Guid> RequestApprovalAsync(HttpClient client, SeededTenant t, object action)
    {
        var reply = (await client.Post("/api/v1/policy/check", new { run_id = t.Marker + "-approval-run", agent = t.AgentName, action }, t.IngestKey)).Expect(200).Body;
        Assert.True(reply.GetProperty("decision").GetString() == "require_approval", $"the seed policy did not ask for approval: {reply}");
        return reply.GetProperty("approval").GetProperty("id").GetGuid();
    }
}

using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Notifications;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.SelfHost.Notifications;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.IntegrationTests;

/// <summary>Outgoing webhooks end to end: the API, the delivery worker, real HTTP to a receiver on Kestrel.</summary>
[Collection(ApiCollection.Name)]
public class WebhooksTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<(Guid Id, string Secret, JsonElement View)> CreateAsync(Tenant tenant, string url, string[]? kinds = null, bool active = true, string name = "ops")
    {
        var r = (await _client.Post("/api/v1/webhooks", new { name, url, kinds = kinds ?? [], active }, tenant.AdminToken)).Expect(201);
        var view = r.Body.GetProperty("webhook");
        return (view.GetProperty("id").GetGuid(), r.Str("secret"), view);
    }

    private static string Status(JsonElement delivery) => delivery.GetProperty("status").GetString()!;

    [Fact]
    public async Task A_delivery_is_signed_so_a_receiver_can_verify_it_and_is_logged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await _client.SignupAsync();
        var (id, secret, view) = await CreateAsync(tenant, receiver.Url);
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal("…" + secret[^4..], view.GetProperty("secret_hint").GetString());

        // The secret is shown once: never in a read, a list or the audit trail.
        var read = (await _client.Get($"/api/v1/webhooks/{id}", tenant.AdminToken)).Expect(200);
        var list = (await _client.Get("/api/v1/webhooks", tenant.AdminToken)).Expect(200);
        var audit = (await _client.Get("/api/v1/audit-logs?action=webhook.*", tenant.AdminToken)).Expect(200);
        foreach (var reply in new[] { read, list, audit }) Assert.DoesNotContain(secret[6..], reply.Body.GetRawText());
        Assert.Equal("webhook.created", audit.Body.GetProperty("items")[0].GetProperty("action").GetString());

        var notificationId = await fx.PublishAsync(tenant.OrgId, "budget.threshold", "warning", "Budget at 80 %");
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.True(WebhookReceiver.Verifies(request, secret), $"signature {request.Signature} does not verify");
        Assert.False(WebhookReceiver.Verifies(request with { Body = request.Body + " " }, secret));
        Assert.Equal(("budget.threshold", "application/json", "AgentOps-Webhooks/1"), (request.Event, request.ContentType, request.UserAgent));
        var payload = request.Json;
        Assert.Equal(notificationId, payload.GetProperty("id").GetGuid());
        Assert.Equal(tenant.OrgId, payload.GetProperty("org_id").GetGuid());
        Assert.Equal(("budget.threshold", "warning", "Budget at 80 %"), (payload.GetProperty("kind").GetString(), payload.GetProperty("severity").GetString(), payload.GetProperty("title").GetString()));
        Assert.Equal(5_000_000, payload.GetProperty("data").GetProperty("amount_micros").GetInt64());

        var delivery = Assert.Single(await _client.WaitForDeliveriesAsync(tenant.AdminToken, id, d => d.Count == 1 && Status(d[0]) == "succeeded"));
        Assert.Equal(request.DeliveryId, delivery.GetProperty("id").GetString());
        Assert.Equal((1, 200), (delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("last_status_code").GetInt32()));
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("last_error").ValueKind);
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("next_attempt_at").ValueKind);
        Assert.True(delivery.GetProperty("last_duration_ms").GetInt32() >= 0);
        Assert.Equal(notificationId, delivery.GetProperty("notification_id").GetGuid());
        Assert.True(JsonElement.DeepEquals(payload, delivery.GetProperty("payload")), "the log keeps the body that was sent");
        Assert.DoesNotContain(fx.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_until_it_answers_2xx()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var tenant = await _client.SignupAsync();
        var (id, secret, _) = await CreateAsync(tenant, receiver.Url);
        await fx.PublishAsync(tenant.OrgId, "approval.requested");

        var delivery = Assert.Single(await _client.WaitForDeliveriesAsync(tenant.AdminToken, id, d => d.Count == 1 && Status(d[0]) == "succeeded"));
        Assert.Equal((3, 200), (delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("last_status_code").GetInt32()));
        var requests = await receiver.WaitForAsync(3);
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.DeliveryId).Distinct());
        Assert.All(requests, r => Assert.True(WebhookReceiver.Verifies(r, secret)));
        Assert.Single(requests.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task A_delivery_fails_after_the_last_attempt_with_the_error_logged_and_can_be_redelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.ThenAnswer = 500;
        var tenant = await _client.SignupAsync();
        var (id, _, _) = await CreateAsync(tenant, receiver.Url);
        await fx.PublishAsync(tenant.OrgId, "budget.threshold");

        var failed = Assert.Single(await _client.WaitForDeliveriesAsync(tenant.AdminToken, id, d => d.Count == 1 && Status(d[0]) == "failed"));
        Assert.Equal(ApiFixture.FastRetries.MaxAttempts, failed.GetProperty("attempts").GetInt32());
        Assert.Equal(500, failed.GetProperty("last_status_code").GetInt32());
        Assert.Equal("The receiver answered 500: boom: the receiver is down", failed.GetProperty("last_error").GetString());
        Assert.Equal(ApiFixture.FastRetries.MaxAttempts, receiver.Received.Count);

        var deliveryId = failed.GetProperty("id").GetGuid();
        receiver.ThenAnswer = 200;
        var requeued = (await _client.Post($"/api/v1/webhooks/deliveries/{deliveryId}/redeliver", null, tenant.AdminToken)).Expect(202);
        Assert.Equal(("pending", 0), (requeued.Str("status"), requeued.Body.GetProperty("attempts").GetInt32()));
        var succeeded = Assert.Single(await _client.WaitForDeliveriesAsync(tenant.AdminToken, id, d => Status(d[0]) == "succeeded"));
        Assert.Equal(1, succeeded.GetProperty("attempts").GetInt32());
        Assert.Equal(deliveryId.ToString(), receiver.Received.Last().DeliveryId);
        (await _client.Post($"/api/v1/webhooks/deliveries/{deliveryId}/redeliver", null, tenant.AdminToken)).ExpectProblem(409, "delivery_not_failed");
        var audit = (await _client.Get("/api/v1/audit-logs?action=webhook.delivery_requeued", tenant.AdminToken)).Expect(200).Body.GetProperty("items");
        Assert.Equal(deliveryId.ToString(), Assert.Single(audit.EnumerateArray()).GetProperty("entity_id").GetString());
    }

    [Fact]
    public async Task Endpoints_get_only_the_kinds_they_subscribe_to_inactive_ones_nothing_and_a_test_goes_to_one_endpoint()
    {
        await using var budgets = await WebhookReceiver.StartAsync();
        await using var everything = await WebhookReceiver.StartAsync();
        await using var inactive = await WebhookReceiver.StartAsync();
        var tenant = await _client.SignupAsync();
        var (budgetsId, _, _) = await CreateAsync(tenant, budgets.Url, ["budget.threshold"], name: "budgets");
        var (everythingId, everythingSecret, _) = await CreateAsync(tenant, everything.Url, name: "everything");
        var (inactiveId, _, _) = await CreateAsync(tenant, inactive.Url, active: false, name: "inactive");

        await fx.PublishAsync(tenant.OrgId, "budget.threshold");
        await fx.PublishAsync(tenant.OrgId, "approval.requested");
        Assert.Equal(["budget.threshold"], (await budgets.WaitForAsync(1)).Select(r => r.Event));
        Assert.Equal(["approval.requested", "budget.threshold"], (await everything.WaitForAsync(2)).Select(r => r.Event).Order());
        await _client.WaitForDeliveriesAsync(tenant.AdminToken, everythingId, d => d.Count == 2 && d.All(x => Status(x) == "succeeded"));
        Assert.Single((await _client.Get($"/api/v1/webhooks/{budgetsId}/deliveries", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Empty((await _client.Get($"/api/v1/webhooks/{inactiveId}/deliveries", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        (await _client.Post($"/api/v1/webhooks/{inactiveId}/test", null, tenant.AdminToken)).ExpectProblem(409, "webhook_inactive");

        // A test ignores the subscription and reaches that endpoint only.
        var test = (await _client.Post($"/api/v1/webhooks/{budgetsId}/test", null, tenant.AdminToken)).Expect(202);
        Assert.Equal(("webhook.test", "pending"), (test.Str("kind"), test.Str("status")));
        var ping = (await budgets.WaitForAsync(2)).Last();
        Assert.Equal("webhook.test", ping.Event);
        Assert.Equal(budgetsId.ToString(), ping.Json.GetProperty("data").GetProperty("webhook_id").GetString());
        await Task.Delay(500);
        Assert.Equal(2, everything.Received.Count);
        Assert.Empty(inactive.Received);
        Assert.All(everything.Received, r => Assert.True(WebhookReceiver.Verifies(r, everythingSecret)));

        // The log is newest first and pages with a cursor; it filters by status.
        var first = (await _client.Get($"/api/v1/webhooks/{everythingId}/deliveries?limit=1", tenant.AdminToken)).Expect(200).Body;
        var second = (await _client.Get($"/api/v1/webhooks/{everythingId}/deliveries?limit=1&cursor={first.GetProperty("next_cursor").GetString()}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("approval.requested", first.GetProperty("items")[0].GetProperty("kind").GetString());
        Assert.Equal("budget.threshold", second.GetProperty("items")[0].GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        Assert.Empty((await _client.Get($"/api/v1/webhooks/{everythingId}/deliveries?status=failed", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        (await _client.Get($"/api/v1/webhooks/{everythingId}/deliveries?status=lost", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Rotating_the_secret_signs_later_deliveries_with_the_new_one_only()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await _client.SignupAsync();
        var (id, oldSecret, _) = await CreateAsync(tenant, receiver.Url);
        (await _client.Post($"/api/v1/webhooks/{id}/test", null, tenant.AdminToken)).Expect(202);
        Assert.True(WebhookReceiver.Verifies((await receiver.WaitForAsync(1))[0], oldSecret));

        var rotated = (await _client.Post($"/api/v1/webhooks/{id}/rotate-secret", null, tenant.AdminToken)).Expect(200);
        var newSecret = rotated.Str("secret");
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal("…" + newSecret[^4..], rotated.Body.GetProperty("webhook").GetProperty("secret_hint").GetString());
        (await _client.Post($"/api/v1/webhooks/{id}/test", null, tenant.AdminToken)).Expect(202);
        var after = (await receiver.WaitForAsync(2))[1];
        Assert.True(WebhookReceiver.Verifies(after, newSecret));
        Assert.False(WebhookReceiver.Verifies(after, oldSecret));

        var audit = (await _client.Get("/api/v1/audit-logs?action=webhook.*", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(["webhook.test_sent", "webhook.secret_rotated", "webhook.test_sent", "webhook.created"],
            audit.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()));
        Assert.DoesNotContain(oldSecret[6..], audit.GetRawText());
        Assert.DoesNotContain(newSecret[6..], audit.GetRawText());
    }

    [Fact]
    public async Task With_private_targets_off_a_loopback_receiver_is_refused_and_the_log_says_why()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await _client.SignupAsync();
        var (id, _, _) = await CreateAsync(tenant, receiver.Url);

        // This host allows private targets (the other tests need them): pause its worker and deliver with the default.
        var worker = fx.Factory.Services.GetServices<IHostedService>().OfType<WebhookDeliveryWorker>().Single();
        await worker.StopAsync(CancellationToken.None);
        try
        {
            var options = fx.Factory.Services.GetRequiredService<WebhookOptions>() with { AllowPrivateTargets = false };
            using var sender = new WebhookSender(options, TimeProvider.System);
            var strict = new WebhookDispatcher(fx.Factory.Services.GetRequiredService<Db>(), sender, ApiFixture.FastRetries, TimeProvider.System,
                NullLogger<WebhookDispatcher>.Instance);
            await fx.PublishAsync(tenant.OrgId, "budget.threshold");
            while (await strict.DeliverDueAsync(CancellationToken.None) > 0) { }

            var delivery = Assert.Single((await _client.Get($"/api/v1/webhooks/{id}/deliveries", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
            Assert.Equal(("failed", 1), (Status(delivery), delivery.GetProperty("attempts").GetInt32()));
            Assert.Equal(JsonValueKind.Null, delivery.GetProperty("last_status_code").ValueKind);
            Assert.Equal("Refused to connect: 127.0.0.1 is a loopback address (127.0.0.1); webhooks may only reach public addresses (AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS is off).",
                delivery.GetProperty("last_error").GetString());
            Assert.Empty(receiver.Received);

            // The API refuses such URLs up front under the same setting.
            var v = new AgentOps.Platform.Validation();
            Assert.Null(WebhookTargets.Check(v, "$.url", receiver.Url, options.AllowPrivateTargets));
        }
        finally
        {
            await worker.StartAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Invalid_webhooks_name_the_exact_path_of_each_error_and_an_organization_has_at_most_20()
    {
        var tenant = await _client.SignupAsync();
        var bad = (await _client.Post("/api/v1/webhooks", new { name = " ", url = "https://user:pw@hooks.example.com/x", kinds = new[] { "budget.threshold", "Budget Threshold" } },
            tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.kinds[1]", "$.name", "$.url"], bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        var relative = (await _client.Post("/api/v1/webhooks", new { name = "x", url = "/hook" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.Equal("must be an absolute https:// URL.", relative.Body.GetProperty("errors").GetProperty("$.url")[0].GetString());
        var tooLong = (await _client.Post("/api/v1/webhooks", new { name = "x", url = "https://hooks.example.com/" + new string('a', 2000) }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.True(tooLong.Body.GetProperty("errors").TryGetProperty("$.url", out _));
        (await _client.Post("/api/v1/webhooks", new { name = "x", url = "https://hooks.example.com/", secret = "mine" }, tenant.AdminToken)).ExpectProblem(400, "unknown_field");

        var (id, _, _) = await CreateAsync(tenant, "https://hooks.example.com/1");
        var patch = (await _client.Patch($"/api/v1/webhooks/{id}", new { active = (bool?)null, kinds = (string[]?)null }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.active", "$.kinds"], patch.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        var changed = (await _client.Patch($"/api/v1/webhooks/{id}", new { kinds = new[] { "budget.threshold", "budget.threshold" }, active = false }, tenant.AdminToken)).Expect(200);
        Assert.Equal(["budget.threshold"], changed.Body.GetProperty("kinds").EnumerateArray().Select(k => k.GetString()));
        Assert.False(changed.Body.GetProperty("active").GetBoolean());
        (await _client.Patch($"/api/v1/webhooks/{id}", new { active = false }, tenant.AdminToken)).Expect(200);
        var updates = (await _client.Get("/api/v1/audit-logs?action=webhook.updated", tenant.AdminToken)).Expect(200).Body.GetProperty("items");
        Assert.Single(updates.EnumerateArray()); // the PATCH that changed nothing wrote nothing

        for (var i = 2; i <= WebhookService.MaxEndpointsPerOrg; i++) await CreateAsync(tenant, $"https://hooks.example.com/{i}");
        (await _client.Post("/api/v1/webhooks", new { name = "one too many", url = "https://hooks.example.com/21" }, tenant.AdminToken)).ExpectProblem(409, "webhook_limit_reached");
        (await _client.Delete($"/api/v1/webhooks/{id}", tenant.AdminToken)).Expect(204);
        await CreateAsync(tenant, "https://hooks.example.com/21");
        Assert.Equal("webhook.deleted", (await _client.Get("/api/v1/audit-logs?action=webhook.deleted", tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task Webhooks_and_their_deliveries_stay_in_their_organization()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        var (id, _, _) = await CreateAsync(a, receiver.Url);
        receiver.ThenAnswer = 410;
        await fx.PublishAsync(a.OrgId, "budget.threshold");
        var deliveryId = (await _client.WaitForDeliveriesAsync(a.AdminToken, id, d => d.Count == 1 && Status(d[0]) == "failed"))[0].GetProperty("id").GetGuid();

        (await _client.Get($"/api/v1/webhooks/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Patch($"/api/v1/webhooks/{id}", new { name = "mine now" }, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/webhooks/{id}/rotate-secret", null, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/webhooks/{id}/test", null, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Get($"/api/v1/webhooks/{id}/deliveries", b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/webhooks/deliveries/{deliveryId}/redeliver", null, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"/api/v1/webhooks/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Empty((await _client.Get("/api/v1/webhooks", b.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        await fx.PublishAsync(b.OrgId, "budget.threshold");
        Assert.Empty((await _client.Get($"/api/v1/webhooks/{id}/deliveries?status=pending", a.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());

        // Only admins (and admin keys) manage webhooks.
        var lead = await _client.AddMemberAsync(a, "team_lead", "core");
        (await _client.Get("/api/v1/webhooks", lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Get($"/api/v1/webhooks/{id}", a.AdminToken)).Expect(200);
    }
}

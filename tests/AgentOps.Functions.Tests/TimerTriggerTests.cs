using AgentOps.Functions.Analytics;
using AgentOps.Functions.Approvals;
using AgentOps.Functions.Jobs;
using AgentOps.Functions.Notifications;
using AgentOps.Functions.Tests.Infrastructure;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions.Tests;

/// <summary>
/// The timer triggers call into the application: the approval expiry writes down what expired, the webhook timer
/// sends what is due. The Azure host runs neither the self-host's sweeper nor its delivery worker, so what happens
/// here is the trigger's doing.
/// </summary>
[Collection(AzureHostCollection.Name)]
public sealed class TimerTriggerTests(AzureHostFixture fx)
{
    private readonly HttpClient _client = fx.Host.Client();
    private T Function<T>() => ActivatorUtilities.CreateInstance<T>(fx.Host.Services);

    [Fact]
    public async Task The_approval_expiry_timer_expires_due_requests_with_their_audit_row()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.Post("/api/v1/policies", new
        {
            name = "Approve discounts", action = "require_approval", priority = 10, approval_required_from = new[] { "admin" }, timeout_minutes = 60,
            conditions = new { all = new object[] { new { field = "action.type", @operator = "equals", value = "apply_discount" } } },
        }, tenant.AdminToken)).Expect(201);
        var check = (await _client.Post("/api/v1/policy/check", new { run_id = "run-expiry", agent = "sales-bot", action = new { type = "apply_discount" } }, key)).Expect(200);
        Assert.Equal("require_approval", check.Str("decision"));
        var id = check.Body.GetProperty("approval").GetProperty("id").GetGuid();
        // An hour is long for a test: move the expiry into the past as the schema owner.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1", id);
        Assert.Equal("pending", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT status FROM approvals WHERE id = $1", id));

        await Function<ApprovalExpiryFunction>().Run(new TimerInfo(), CancellationToken.None);

        Assert.Equal("expired", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT status FROM approvals WHERE id = $1", id));
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'approval.expired' AND actor_type = 'system'", tenant.OrgId));
    }

    [Fact]
    public async Task The_rollup_timer_rolls_up_the_hours_that_are_due()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, DateTimeOffset.UtcNow.AddHours(-10), 60);
        const string Rolled = "SELECT count(*) FROM rollup_hours WHERE org_id = $1";
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, Rolled, org));

        await Function<RollupFunction>().Run(new TimerInfo(), CancellationToken.None);

        // Runs every 317 s from 10 h ago: the hours that ended at least 3 h ago are rolled up, the later ones are not.
        Assert.InRange(await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, Rolled, org), 5, 7);
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM rollup_hours WHERE org_id = $1 AND hour > now() - interval '4 hours'", org));
        Assert.True(await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT sum(runs)::bigint FROM run_hours WHERE org_id = $1", org) > 0);
    }

    [Fact]
    public async Task The_job_timer_starts_one_orchestration_per_due_job_with_the_job_id_as_its_instance_id()
    {
        var tenant = await _client.SignupAsync();
        var id = (await _client.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        // What the [DurableClient] binding hands the timer: a client over an in-memory task hub with no worker, so the
        // instance stays pending and the second tick must leave it alone.
        var durable = new Orchestrations.Engine.TaskHubClient(
            new Microsoft.DurableTask.Testing.Sidecar.InMemoryOrchestrationService(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance),
            Microsoft.DurableTask.Converters.JsonDataConverter.Default);

        await Function<JobOrchestration>().Dispatch(new TimerInfo(), durable, CancellationToken.None);
        var instance = await durable.GetInstanceAsync(id.ToString());
        Assert.Equal(("JobOrchestrator", Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Pending), (instance?.Name, instance?.RuntimeStatus));
        Assert.Equal("running", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT status FROM jobs WHERE id = $1", id));
        var created = instance!.CreatedAt;
        await Function<JobOrchestration>().Dispatch(new TimerInfo(), durable, CancellationToken.None);
        Assert.Equal(created, (await durable.GetInstanceAsync(id.ToString()))!.CreatedAt);
    }

    [Fact]
    public async Task The_webhook_timer_sends_the_due_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await _client.SignupAsync();
        var created = (await _client.Post("/api/v1/webhooks", new { name = "ops", url = receiver.Url, kinds = Array.Empty<string>(), active = true }, tenant.AdminToken)).Expect(201);
        var (id, secret) = (created.Body.GetProperty("webhook").GetProperty("id").GetGuid(), created.Str("secret"));
        (await _client.Post($"/api/v1/webhooks/{id}/test", null, tenant.AdminToken)).Expect(202);
        await Task.Delay(300);
        Assert.Empty(receiver.Received); // nothing sends it but the timer

        await Function<WebhookDeliveriesFunction>().Run(new TimerInfo(), CancellationToken.None);

        var request = Assert.Single(await receiver.WaitForAsync(1, seconds: 5));
        Assert.Equal("webhook.test", request.Event);
        Assert.True(WebhookReceiver.Verifies(request, secret));
        var log = (await _client.Get($"/api/v1/webhooks/{id}/deliveries", tenant.AdminToken)).Expect(200).Body.GetProperty("items");
        Assert.Equal("succeeded", Assert.Single(log.EnumerateArray()).GetProperty("status").GetString());
    }
}

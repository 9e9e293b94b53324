using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>The in-app channel: newest first, filters, and read state that belongs to each person.</summary>
[Collection(ApiCollection.Name)]
public class NotificationsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<int> UnreadAsync(string bearer) =>
        (await _client.Get("/api/v1/notifications/unread-count", bearer)).Expect(200).Body.GetProperty("unread").GetInt32();

    private async Task<List<JsonElement>> ListAsync(string bearer, string query = "") =>
        [.. (await _client.Get("/api/v1/notifications" + query, bearer)).Expect(200).Body.GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Two_people_of_one_organization_have_independent_read_state()
    {
        var tenant = await _client.SignupAsync();
        var viewer = await _client.AddMemberAsync(tenant, "viewer");
        var first = await fx.PublishAsync(tenant.OrgId, "budget.threshold", "warning", "first");
        var second = await fx.PublishAsync(tenant.OrgId, "approval.requested", "info", "second");
        var third = await fx.PublishAsync(tenant.OrgId, "budget.threshold", "critical", "third");

        var all = await ListAsync(tenant.AdminToken);
        Assert.Equal([third, second, first], all.Select(n => n.GetProperty("id").GetGuid()));
        Assert.All(all, n => Assert.False(n.GetProperty("read").GetBoolean()));
        Assert.Equal(5_000_000, all[0].GetProperty("data").GetProperty("amount_micros").GetInt64());
        Assert.Equal((3, 3), (await UnreadAsync(tenant.AdminToken), await UnreadAsync(viewer.Token)));

        (await _client.Post($"/api/v1/notifications/{second}/read", null, tenant.AdminToken)).Expect(204);
        (await _client.Post($"/api/v1/notifications/{second}/read", null, tenant.AdminToken)).Expect(204); // idempotent
        Assert.Equal((2, 3), (await UnreadAsync(tenant.AdminToken), await UnreadAsync(viewer.Token)));
        Assert.Equal([third, first], (await ListAsync(tenant.AdminToken, "?unread=true")).Select(n => n.GetProperty("id").GetGuid()));
        var read = Assert.Single(await ListAsync(tenant.AdminToken, "?unread=false"));
        Assert.True(read.GetProperty("read").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, read.GetProperty("read_at").ValueKind);
        Assert.All(await ListAsync(viewer.Token), n => Assert.False(n.GetProperty("read").GetBoolean()));

        var marked = (await _client.Post("/api/v1/notifications/read-all", null, viewer.Token)).Expect(200);
        Assert.Equal(3, marked.Body.GetProperty("marked").GetInt32());
        Assert.Equal((2, 0), (await UnreadAsync(tenant.AdminToken), await UnreadAsync(viewer.Token)));
        var later = await fx.PublishAsync(tenant.OrgId, "budget.threshold");
        Assert.Equal(later, Assert.Single(await ListAsync(viewer.Token, "?unread=true")).GetProperty("id").GetGuid());

        // Read marks are personal UI state: nothing is audited.
        var audit = (await _client.Get("/api/v1/audit-logs?entity_type=notification", tenant.AdminToken)).Expect(200);
        Assert.Empty(audit.Body.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Lists_filter_by_kind_and_severity_and_page_newest_first()
    {
        var tenant = await _client.SignupAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add(await fx.PublishAsync(tenant.OrgId, i % 2 == 0 ? "budget.threshold" : "approval.requested", i < 2 ? "critical" : "info"));
        Assert.Equal([ids[4], ids[2], ids[0]], (await ListAsync(tenant.AdminToken, "?kind=budget.threshold")).Select(n => n.GetProperty("id").GetGuid()));
        Assert.Equal([ids[1], ids[0]], (await ListAsync(tenant.AdminToken, "?severity=critical")).Select(n => n.GetProperty("id").GetGuid()));
        Assert.Equal([ids[0]], (await ListAsync(tenant.AdminToken, "?severity=critical&kind=budget.threshold")).Select(n => n.GetProperty("id").GetGuid()));
        (await _client.Get("/api/v1/notifications?severity=urgent", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/notifications?unread=maybe", tenant.AdminToken)).ExpectProblem(400, "invalid_parameter");

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = (await _client.Get($"/api/v1/notifications?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}", tenant.AdminToken)).Expect(200).Body;
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task Api_keys_read_notifications_but_have_no_read_state_and_organizations_see_only_their_own()
    {
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        var id = await fx.PublishAsync(a.OrgId, "budget.threshold");
        var (_, key) = await _client.CreateKeyAsync(a.AdminToken, "read");

        var asKey = Assert.Single(await ListAsync(key));
        Assert.Equal(JsonValueKind.Null, asKey.GetProperty("read").ValueKind);
        (await _client.Get("/api/v1/notifications?unread=true", key)).ExpectProblem(403, "user_required");
        (await _client.Post($"/api/v1/notifications/{id}/read", null, key)).ExpectProblem(403, "forbidden");
        (await _client.Get("/api/v1/notifications/unread-count", key)).ExpectProblem(403, "forbidden");

        Assert.Empty(await ListAsync(b.AdminToken));
        Assert.Equal(0, await UnreadAsync(b.AdminToken));
        (await _client.Post($"/api/v1/notifications/{id}/read", null, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/notifications/{Guid.NewGuid()}/read", null, a.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(0, (await _client.Post("/api/v1/notifications/read-all", null, b.AdminToken)).Expect(200).Body.GetProperty("marked").GetInt32());
        Assert.Equal(1, await UnreadAsync(a.AdminToken));
    }
}

using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// Lists that once answered bare arrays and ignored ?limit= follow the pagination rule (docs/api.md): ?limit=1..200
/// (default 50), ?cursor=, {"items": [...], "next_cursor": ...}, ids ascending, 400 for a limit that is not a number
/// and 422 outside the range.
/// </summary>
[Collection(ApiCollection.Name)]
public class ListPagingTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    public static TheoryData<string> Lists => ["/api/v1/model-prices", "/api/v1/jobs/schedules"];

    private async Task<Tenant> TenantWithSchedulesAsync(int count)
    {
        var tenant = await _client.SignupAsync();
        for (var i = 0; i < count; i++)
            (await _client.Post("/api/v1/jobs/schedules", new { name = $"s{i}", cron = "0 3 * * *", kind = "reindex" }, tenant.AdminToken)).Expect(201);
        return tenant;
    }

    [Theory, MemberData(nameof(Lists))]
    public async Task Pages_follow_the_cursor_to_the_whole_list_once(string path)
    {
        var tenant = await TenantWithSchedulesAsync(3);
        var whole = (await _client.Get($"{path}?limit=200", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("next_cursor").ValueKind);
        var all = whole.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
        Assert.True(all.Count >= 3, $"{all.Count} items");
        Assert.Equal(all.Order(), all); // id order

        var paged = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = (await _client.Get($"{path}?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}", tenant.AdminToken)).Expect(200).Body;
            var items = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
            Assert.InRange(items.Count, 1, 2);
            paged.AddRange(items);
            cursor = page.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        Assert.Equal(all, paged);

        var first = (await _client.Get(path, tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength();
        Assert.Equal(Math.Min(50, all.Count), first); // the default limit
    }

    [Theory, MemberData(nameof(Lists))]
    public async Task Bad_limits_and_cursors_are_refused(string path)
    {
        var tenant = await _client.SignupAsync();
        Assert.True((await _client.Get($"{path}?limit=abc", tenant.AdminToken)).ExpectProblem(400, "invalid_parameter").Body.GetProperty("errors").TryGetProperty("limit", out _));
        foreach (var limit in new[] { "0", "201", "-1" })
            Assert.True((await _client.Get($"{path}?limit={limit}", tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors").TryGetProperty("limit", out _));
        Assert.True((await _client.Get($"{path}?cursor=not-a-cursor", tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors").TryGetProperty("cursor", out _));
    }

    [Fact]
    public async Task Another_organizations_prices_and_schedules_are_never_listed()
    {
        var a = await TenantWithSchedulesAsync(2);
        (await _client.Post("/api/v1/model-prices", new { provider = "openai", model = "a-only", input_per_mtok_usd = 1, output_per_mtok_usd = 1 }, a.AdminToken)).Expect(201);
        var b = await _client.SignupAsync();
        Assert.Equal(0, (await _client.Get("/api/v1/jobs/schedules", b.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        Assert.All((await _client.Get("/api/v1/model-prices?limit=200", b.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray(),
            p => Assert.True(p.GetProperty("public").GetBoolean()));
    }
}

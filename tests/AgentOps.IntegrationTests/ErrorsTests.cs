using System.Text;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>Every error is an RFC 9457 problem with a stable code, and none leaks internals.</summary>
[Collection(ApiCollection.Name)]
public class ErrorsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<Reply> PostRaw(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new(contentType);
        var response = await _client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Theory]
    [InlineData("""{"org_name":"x","email":"a@b.co","password":"long enough pass","plan":"pro"}""", "unknown_field")]
    [InlineData("""{"org_name":""", "malformed_json")]
    [InlineData("""{"org_name":42}""", "type_mismatch")]
    [InlineData("", "body_required")]
    public async Task Unreadable_bodies_are_400_with_a_code(string body, string code)
    {
        var r = (await PostRaw("/api/v1/auth/signup", body)).ExpectProblem(400, code);
        Assert.DoesNotContain("System.", r.Body.ToString());
        Assert.DoesNotContain("AgentOps.", r.Body.ToString());
        Assert.True(r.Body.TryGetProperty("trace_id", out _));
    }

    [Fact]
    public async Task Unknown_fields_name_their_path() =>
        Assert.True((await PostRaw("/api/v1/auth/login", """{"email":"a@b.co","pasword":"x"}""")).ExpectProblem(400, "unknown_field")
            .Body.GetProperty("errors").TryGetProperty("$.pasword", out _));

    [Fact]
    public async Task Other_media_types_are_415() =>
        (await PostRaw("/api/v1/auth/login", "email=a", "application/x-www-form-urlencoded")).ExpectProblem(415, "unsupported_media_type");

    [Fact]
    public async Task Bodies_over_the_limit_are_413_before_they_are_read()
    {
        var big = "{\"org_name\":\"" + new string('x', 1024 * 1024 + 1) + "\"}";
        (await PostRaw("/api/v1/auth/signup", big)).ExpectProblem(413, "payload_too_large");
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_too()
    {
        (await _client.Get("/api/v1/nothing-here")).ExpectProblem(404, "route_not_found");
        (await _client.Send(HttpMethod.Put, "/api/v1/orgs/profile", new { })).ExpectProblem(405, "method_not_allowed");
        var tenant = await _client.SignupAsync();
        (await _client.Patch("/api/v1/org-members/not-a-guid", new { role = "member" }, tenant.AdminToken)).ExpectProblem(404, "route_not_found");
    }
}

using System.Net.Http.Headers;
using System.Text;
using AgentOps.Functions.Tests.Infrastructure;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions.Tests;

/// <summary>
/// The catch-all HTTP function (HttpApiFunction) dispatches into the application's own pipeline: every route the
/// application declares is reached with the permission it declares, and limits and errors come out as the self-host
/// gives them (problem details with a stable code, no stack traces).
/// </summary>
[Collection(AzureHostCollection.Name)]
public sealed class HttpDispatchTests(AzureHostFixture fx)
{
    private readonly HttpClient _client = fx.Host.Client();

    [Fact]
    public async Task Every_application_route_is_reached_through_the_function_with_its_declared_permission()
    {
        var endpoints = fx.Host.Services.GetRequiredService<AgentOpsRequestPipeline>().Endpoints.Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count >= 80, $"only {endpoints.Count} endpoints: is MapAgentOps behind the pipeline?");
        var tenant = await _client.SignupAsync();
        var viewer = await _client.AddMemberAsync(tenant, "viewer");
        var viewerToken = viewer.Token;
        var asViewer = new Caller(tenant.OrgId, ActorType.User, viewer.UserId, Role.Viewer, null, Scopes.None, null, new RequestInfo(null, null));

        var failures = new List<string>();
        var requests = 0;
        foreach (var endpoint in endpoints)
        {
            var path = PathOf(endpoint.RoutePattern);
            // The live stream answers at once but stays open: asked to end after a second.
            if (path == "/api/v1/live") path += "?max_seconds=1";
            var anonymous = endpoint.Metadata.GetMetadata<Anonymous>() is not null;
            var permission = endpoint.Metadata.GetMetadata<RequiresPermission>()?.Permission;
            if (!anonymous && permission is null) failures.Add($"{endpoint.DisplayName}: declares neither a permission nor Anonymous");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                // No credentials: refused before the endpoint runs, as on the self-host (Access.Middleware).
                var (status, code, matched) = await SendAsync(method, path, bearer: null);
                requests++;
                if (matched != endpoint.DisplayName) failures.Add($"{method} {path}: reached {matched ?? "no endpoint"}, not {endpoint.DisplayName}");
                if (!anonymous && (status, code) != (401, "missing_credentials")) failures.Add($"{method} {path} without credentials: {status} {code}, not 401 missing_credentials");
                if (anonymous && status is 401 or 403 or >= 500) failures.Add($"{method} {path} (anonymous): {status} {code}");
                if (permission is not { } required) continue;

                // A viewer: 403 exactly where the role matrix says no; elsewhere the endpoint itself answers.
                (status, code, _) = await SendAsync(method, path, viewerToken);
                requests++;
                if (code == "session_revoked")
                {
                    // An earlier request ended the viewer's session (logout is a viewer's right too): sign in again.
                    viewerToken = (await _client.Post("/api/v1/auth/login", new { email = viewer.Email, password = viewer.Password })).Expect(200).Str("access_token");
                    (status, code, _) = await SendAsync(method, path, viewerToken);
                }
                var allowed = Rbac.Allows(asViewer, required);
                if (!allowed && status != 403) failures.Add($"{method} {path} as a viewer ({required}): {status} {code}, not 403");
                if (allowed && status is 401 or 403 or >= 500) failures.Add($"{method} {path} as a viewer ({required}, allowed): {status} {code}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem_with_or_without_a_content_length()
    {
        var tenant = await _client.SignupAsync();
        var limit = fx.Host.Services.GetRequiredService<AgentOps.Platform.AgentOpsOptions>().MaxRequestBytes;
        var body = "{\"name\":\"" + new string('a', (int)limit + 1) + "\"}";

        using var declared = Request(HttpMethod.Post, "/api/v1/agents", tenant.AdminToken, new StringContent(body, Encoding.UTF8, "application/json"));
        await ExpectProblemAsync(await _client.SendAsync(declared), 413, "payload_too_large");

        // Chunked: no Content-Length to refuse up front, so the server's body-size feature stops the read.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var streamed = Request(HttpMethod.Post, "/api/v1/agents", tenant.AdminToken, chunked);
        streamed.Headers.TransferEncodingChunked = true;
        await ExpectProblemAsync(await _client.SendAsync(streamed), 413, "payload_too_large");

        // Ingest declares its own, larger limit (BodyLimit metadata): the same size passes the size check there.
        var (_, key) = await _client.SdkTenantAsync();
        var events = Enumerable.Range(0, 1 + (int)(limit / 4000)).Select(i => Ingesting.Event($"evt-{i}", "log", i, extra: new { input = new string('x', 4000) })).ToArray();
        (await _client.IngestAsync(key, events)).Expect(202);
    }

    [Fact]
    public async Task A_gzip_ingest_batch_passes_the_function_as_it_passes_the_self_host()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { batch = new[] { Ingesting.Event("gz-1", "log", 0, "gz-fn-run"), Ingesting.Event("gz-2", "log", 1, "gz-fn-run") } });
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest)) gzip.Write(json);
        var content = new ByteArrayContent(output.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using var request = Request(HttpMethod.Post, "/api/v1/ingest", key, content);
        var response = await _client.SendAsync(request);
        Assert.Equal(202, (int)response.StatusCode);
        Assert.Contains("\"accepted\":2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Errors_are_the_application_problems_without_stack_traces()
    {
        var tenant = await _client.SignupAsync();
        await ExpectProblemAsync(await _client.GetAsync("/api/v1/no-such-route"), 404, "route_not_found");
        using (var wrongMethod = Request(HttpMethod.Put, "/api/v1/agents", tenant.AdminToken))
            await ExpectProblemAsync(await _client.SendAsync(wrongMethod), 405, "method_not_allowed");
        using (var notJson = Request(HttpMethod.Post, "/api/v1/agents", tenant.AdminToken, new StringContent("{\"name\": ", Encoding.UTF8, "application/json")))
            await ExpectProblemAsync(await _client.SendAsync(notJson), 400, null);
        using (var text = Request(HttpMethod.Post, "/api/v1/agents", tenant.AdminToken, new StringContent("name=x", Encoding.UTF8, "text/plain")))
            await ExpectProblemAsync(await _client.SendAsync(text), 415, null);
        using (var forged = Request(HttpMethod.Get, "/api/v1/agents", "not.a.token"))
            await ExpectProblemAsync(await _client.SendAsync(forged), 401, null);
        var health = await _client.GetAsync("/api/health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    [Fact]
    public async Task A_database_that_does_not_answer_is_a_503_problem_that_names_no_secret()
    {
        const string password = "unreachable-db-password-7f3a";
        await using var host = await AzureHost.StartAsync(s => s["AGENTOPS_DATABASE_URL"] = $"postgresql://agentops_app:{password}@127.0.0.1:9/agentops");
        using var client = host.Client();
        var reply = await client.Post("/api/v1/auth/signup", new { org_name = "Down", email = Tenants.NewEmail(), password = Tenants.Password, name = "Ada" });
        var text = reply.Body.ToString();
        Assert.True(reply.Code == 503 && reply.ProblemCode == "database_unavailable", reply.ToString());
        Assert.DoesNotContain(password, text);
        Assert.DoesNotContain("   at ", text);
        var logs = string.Join("\n", host.Logs.Lines);
        Assert.DoesNotContain(password, logs);
        Assert.DoesNotContain("   at ", logs);
    }

    private async Task<(int Status, string? Code, string? Matched)> SendAsync(string method, string path, string? bearer)
    {
        var id = Guid.NewGuid().ToString("N");
        using var request = Request(new HttpMethod(method), path, bearer);
        request.Headers.Add(AzureHost.RequestIdHeader, id);
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode >= 400) AssertProblemShape(response, text);
        var code = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("code").GetString()
            : null;
        return ((int)response.StatusCode, code, fx.Host.Matched.TryGetValue(id, out var matched) ? matched : null);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? bearer, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return request;
    }

    private static async Task<HttpResponseMessage> ExpectProblemAsync(HttpResponseMessage response, int status, string? code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode} {text}");
        AssertProblemShape(response, text);
        if (code is not null) Assert.Equal(code, System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
        return response;
    }

    /// <summary>RFC 9457 with a code, and nothing of the server's insides.</summary>
    private static void AssertProblemShape(HttpResponseMessage response, string text)
    {
        if (response.RequestMessage?.Method == HttpMethod.Head) return; // no body to look at
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(text).RootElement;
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()), text);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
    }

    /// <summary>A concrete path for a route pattern: a new UUID for a guid parameter, 1 for a number, "x" otherwise.</summary>
    private static string PathOf(RoutePattern pattern) => "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart parameter => parameter.ParameterPolicies.Select(p => p.Content).FirstOrDefault(c => c is "guid" or "int" or "long") switch
        {
            "guid" => Guid.NewGuid().ToString(),
            "int" or "long" => "1",
            _ => "x",
        },
        _ => throw new InvalidOperationException($"Unexpected route part in {pattern.RawText}"),
    }))));
}

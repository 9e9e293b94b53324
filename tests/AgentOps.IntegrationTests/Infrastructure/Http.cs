using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AgentOps.IntegrationTests.Infrastructure;

public sealed record Reply(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Raw)
{
    public int Code => (int)Status;
    public string? ProblemCode => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var c) ? c.GetString() : null;
    public string Str(string name) => Body.GetProperty(name).GetString()!;
    public Guid Id(string name = "id") => Body.GetProperty(name).GetGuid();
    public override string ToString() => $"{Code} {Body}";
}

public static class Http
{
    /// <summary>Request bodies are written exactly as given (anonymous objects with snake_case member names).</summary>
    private static readonly JsonSerializerOptions Raw = new();

    public static async Task<Reply> Send(this HttpClient client, HttpMethod method, string path, object? body = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body, Raw), Encoding.UTF8, "application/json");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // Not JSON (an event stream, a CSV export): the body stays readable through Raw.
        var isJson = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? text.Length > 0;
        var json = text.Length == 0 || !isJson ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Reply(response.StatusCode, json, response);
    }

    public static Task<Reply> Get(this HttpClient c, string path, string? bearer = null) => c.Send(HttpMethod.Get, path, null, bearer);
    public static Task<Reply> Post(this HttpClient c, string path, object? body, string? bearer = null) => c.Send(HttpMethod.Post, path, body, bearer);
    public static Task<Reply> Patch(this HttpClient c, string path, object? body, string? bearer = null) => c.Send(HttpMethod.Patch, path, body, bearer);
    public static Task<Reply> Delete(this HttpClient c, string path, string? bearer = null) => c.Send(HttpMethod.Delete, path, null, bearer);

    public static Reply Expect(this Reply reply, int status)
    {
        Assert.True(reply.Code == status, $"expected {status}, got {reply}");
        return reply;
    }

    public static Reply ExpectProblem(this Reply reply, int status, string code)
    {
        reply.Expect(status);
        Assert.Equal("application/problem+json", reply.Raw.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, reply.ProblemCode);
        return reply;
    }
}

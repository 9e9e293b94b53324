using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// How the self-host serves the built dashboard and compresses reads: hashed assets cached for a year, index.html
/// revalidated, the build's precompressed Brotli/gzip copies; elsewhere Brotli/gzip on GETs, never on the sign-in family or on writes
/// (Platform/Http/Compression).
/// </summary>
[Collection(ApiCollection.Name)]
public partial class DashboardServingTests
{
    [GeneratedRegex("""(?:src|href)="\./(assets/[^"]+\.(?:js|css))""")]
    private static partial Regex AssetReference();

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? encoding, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (encoding is not null) request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await client.SendAsync(request);
    }

    private static async Task<byte[]> DecodedAsync(HttpResponseMessage response)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        await using Stream decoded = response.Content.Headers.ContentEncoding.SingleOrDefault() switch
        {
            "br" => new BrotliStream(body, CompressionMode.Decompress),
            "gzip" => new GZipStream(body, CompressionMode.Decompress),
            null => body,
            var other => throw new InvalidOperationException($"unexpected encoding {other}"),
        };
        using var copy = new MemoryStream();
        await decoded.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Hashed_assets_are_cached_for_a_year_index_is_revalidated_and_both_come_compressed()
    {
        var dist = DashboardTests.DashboardDirectory();
        await using var server = ServerProcess.Start(TestDatabase.AppUrl, new() { ["AGENTOPS_DASHBOARD_DIR"] = dist });
        using var client = await server.WaitReadyAsync();

        using var index = await GetAsync(client, "/", "br");
        Assert.Equal(200, (int)index.StatusCode);
        Assert.Equal("no-cache", index.Headers.CacheControl?.ToString());
        Assert.Equal("br", index.Content.Headers.ContentEncoding.Single());
        var html = System.Text.Encoding.UTF8.GetString(await DecodedAsync(index));
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(assets, a => a.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.EndsWith(".css", StringComparison.Ordinal));

        foreach (var asset in assets)
        {
            var onDisk = await File.ReadAllBytesAsync(Path.Combine(dist, asset));
            foreach (var encoding in new[] { "br", "gzip" })
            {
                using var response = await GetAsync(client, "/" + asset, encoding);
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
                Assert.Equal(encoding, response.Content.Headers.ContentEncoding.Single());
                Assert.Equal(asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css", response.Content.Headers.ContentType?.MediaType);
                // The build's own copy at its highest level, not an on-the-fly one.
                Assert.Equal(new FileInfo(Path.Combine(dist, asset + (encoding == "br" ? ".br" : ".gz"))).Length, response.Content.Headers.ContentLength);
                Assert.Equal(onDisk, await DecodedAsync(response));
            }
            // A copy asked for by its own name is not served (it would arrive without its encoding).
            using var direct = await GetAsync(client, "/" + asset + ".br", null);
            Assert.Equal(404, (int)direct.StatusCode);
            // A client that asks for nothing gets the plain bytes.
            using var plain = await GetAsync(client, "/" + asset, null);
            Assert.Empty(plain.Content.Headers.ContentEncoding);
            Assert.Equal(onDisk, await plain.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Api_reads_are_compressed_but_sign_in_answers_and_writes_never_are()
    {
        await using var server = ServerProcess.Start(TestDatabase.AppUrl);
        using var client = await server.WaitReadyAsync();
        var tenant = await client.SignupAsync();

        using var read = await GetAsync(client, "/api/v1/orgs/profile", "gzip", tenant.AdminToken);
        Assert.Equal(200, (int)read.StatusCode);
        Assert.Equal("gzip", read.Content.Headers.ContentEncoding.Single());
        Assert.Contains(tenant.OrgId.ToString(), System.Text.Encoding.UTF8.GetString(await DecodedAsync(read)), StringComparison.Ordinal);

        // A problem answer to a read is compressed too.
        using var missing = await GetAsync(client, $"/api/v1/runs/{Guid.NewGuid()}", "br", tenant.AdminToken);
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("br", missing.Content.Headers.ContentEncoding.Single());

        // The sign-in family holds tokens: never compressed, whatever the client asks for (BREACH).
        using var login = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = JsonContent.Create(new { email = tenant.AdminEmail, password = tenant.AdminPassword }),
        };
        login.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var loggedIn = await client.SendAsync(login);
        Assert.Equal(200, (int)loggedIn.StatusCode);
        Assert.Empty(loggedIn.Content.Headers.ContentEncoding);

        // A write's answer (here a new API key's secret) is never compressed.
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys") { Content = JsonContent.Create(new { name = "compressed?", scopes = new[] { "read" } }) };
        create.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.AdminToken);
        using var created = await client.SendAsync(create);
        Assert.Equal(201, (int)created.StatusCode);
        Assert.Empty(created.Content.Headers.ContentEncoding);
    }
}

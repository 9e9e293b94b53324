using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace AgentOps.IntegrationTests;

/// <summary>The dashboard in a real browser (Debian's Chromium, driven by Playwright) against a real server process.</summary>
[Collection(ApiCollection.Name)]
public class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static string DashboardDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "web-static", "index.html"))) return Path.Combine(dir.FullName, "web-static");
        throw new InvalidOperationException("web-static/index.html not found above the test folder.");
    }

    [Fact]
    public async Task A_new_user_signs_up_creates_a_key_sees_it_once_and_the_key_works()
    {
        Assert.True(File.Exists(Chromium), $"Dashboard tests need Chromium at {Chromium}: run them with `./agentops test`, which installs it.");
        await using var server = ServerProcess.Start(TestDatabase.AppUrl, new() { ["AGENTOPS_DASHBOARD_DIR"] = DashboardDirectory() });
        using var api = await server.WaitReadyAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString() });
        var problems = new List<string>();
        // Script errors and warnings count; the browser's own note about a 4xx the test provokes does not.
        page.Console += (_, m) => { if (m.Type is "error" or "warning" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);

        try
        {
            await page.GotoAsync("/#/signup");
            await page.GetByLabel("Organization name").FillAsync("Browser Org");
            await page.GetByLabel("Work email").FillAsync(Tenants.NewEmail("browser"));
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
            // The server's validation error lands next to the field it names.
            await Assertions.Expect(page.GetByText("at least 12 characters").First).ToBeVisibleAsync();
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Tenants.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Browser Org").First).ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).First.ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("browser-made");
            await dialog.Locator("input[name=scopes][value=read]").CheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
            var secret = await page.GetByRole(AriaRole.Textbox, new() { Name = "Secret key" }).InputValueAsync();
            Assert.Matches(new Regex(@"^aok_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$"), secret);
            await page.GetByRole(AriaRole.Button, new() { Name = "I have stored the key" }).ClickAsync();

            (await api.Get("/api/v1/orgs/profile", secret)).Expect(200);
            await Assertions.Expect(page.Locator("#main").GetByText("browser-made")).ToBeVisibleAsync();
            Assert.DoesNotContain(secret[13..], await page.ContentAsync());
            Assert.Empty(problems);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-failure.png"), FullPage = true });
            throw;
        }
    }
}

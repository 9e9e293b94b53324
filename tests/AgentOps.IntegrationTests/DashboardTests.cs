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

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Chromium,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });

    /// <summary>A page on the server that collects script errors and warnings in <paramref name="problems"/>.</summary>
    private static async Task<IPage> OpenPageAsync(IBrowser browser, ServerProcess server, List<string> problems)
    {
        var page = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        // Script errors and warnings count; the browser's own note about a 4xx the test provokes does not.
        page.Console += (_, m) => { if (m.Type is "error" or "warning" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);
        return page;
    }

    /// <summary>Screenshots for a person to look at, when AGENTOPS_TEST_SCREENSHOTS names a folder.</summary>
    private static async Task SnapshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("AGENTOPS_TEST_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    [Fact]
    public async Task A_new_user_signs_up_creates_a_key_sees_it_once_and_the_key_works()
    {
        Assert.True(File.Exists(Chromium), $"Dashboard tests need Chromium at {Chromium}: run them with `./agentops test`, which installs it.");
        await using var server = ServerProcess.Start(TestDatabase.AppUrl, new() { ["AGENTOPS_DASHBOARD_DIR"] = DashboardDirectory() });
        using var api = await server.WaitReadyAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var problems = new List<string>();
        var page = await OpenPageAsync(browser, server, problems);

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

    /// <summary>An llm.call now (its cost lands on today, the month so far being the pages' default range).</summary>
    private static object Call(string id, string agent, decimal usd, string model = "gpt-4o") => new Dictionary<string, object?>
    {
        ["id"] = id, ["type"] = "llm.call", ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"), ["run_id"] = $"run-{agent}", ["agent"] = agent,
        ["model"] = model, ["tokens_in"] = 100, ["tokens_out"] = 10, ["cost_usd"] = usd,
    };

    [Fact]
    public async Task Costs_show_totals_and_a_daily_chart_and_a_budget_made_in_the_form_shows_its_spend()
    {
        Assert.True(File.Exists(Chromium), $"Dashboard tests need Chromium at {Chromium}: run them with `./agentops test`, which installs it.");
        await using var server = ServerProcess.Start(TestDatabase.AppUrl, new() { ["AGENTOPS_DASHBOARD_DIR"] = DashboardDirectory() });
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        (await api.Post("/api/v1/agents", new { name = "alpha", team = "search" }, tenant.AdminToken)).Expect(201);
        (await api.Post("/api/v1/agents", new { name = "beta", team = "billing" }, tenant.AdminToken)).Expect(201);
        (await api.IngestAsync(key, Call("c1", "alpha", 1.25m), Call("c2", "alpha", 0.5m, "claude-sonnet-4"), Call("c3", "beta", 2m))).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(50))
        {
            var total = (await api.Get("/api/v1/costs/summary", tenant.AdminToken)).Expect(200).Body.GetProperty("report").GetProperty("total");
            if (total.GetProperty("calls").GetInt64() == 3) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The costs were not rolled up: {total}");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var problems = new List<string>();
        var page = await OpenPageAsync(browser, server, problems);
        try
        {
            await page.GotoAsync("/#/login");
            await page.GetByLabel("Email").FillAsync(tenant.AdminEmail);
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync(tenant.AdminPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });

            // The month so far: the total, one bar (every cost is today's), the breakdowns.
            await nav.GetByRole(AriaRole.Link, new() { Name = "Costs", Exact = true }).ClickAsync();
            var stats = page.Locator(".cost-stats");
            await Assertions.Expect(stats.GetByText("$3.75", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(stats.GetByText("No price known for the model", new() { Exact = false })).ToBeVisibleAsync();
            var chart = page.GetByRole(AriaRole.Img, new() { Name = "Daily cost" });
            await Assertions.Expect(chart).ToHaveAttributeAsync("aria-label", new Regex(@"\$3\.75 in total"));
            await Assertions.Expect(chart.Locator("rect.chart-bar")).ToHaveCountAsync(1);
            await Assertions.Expect(chart.Locator("g.chart-day:has(rect.chart-bar) > title")).ToContainTextAsync("$3.75");
            var byAgent = page.GetByRole(AriaRole.Table, new() { Name = "Cost by agent" });
            await Assertions.Expect(byAgent.GetByRole(AriaRole.Row)).ToHaveCountAsync(3);
            await Assertions.Expect(byAgent.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("beta");
            await SnapshotAsync(page, "costs");
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
            Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
            var csv = await File.ReadAllLinesAsync((await download.PathAsync())!);
            Assert.Equal(4, csv.Length); // the header, alpha × 2 models, beta

            // A reversed range is the API's 422, shown next to the field; a preset puts it right.
            var from = page.GetByLabel("From", new() { Exact = true });
            var to = await page.GetByLabel("To", new() { Exact = true }).InputValueAsync();
            await from.FillAsync(DateOnly.Parse(to).AddDays(1).ToString("yyyy-MM-dd"));
            await Assertions.Expect(page.GetByText("From must not be after to.")).ToBeVisibleAsync();
            await Assertions.Expect(from).ToHaveAttributeAsync("aria-invalid", "true");
            await page.GetByRole(AriaRole.Button, new() { Name = "Last 7 days" }).ClickAsync();
            await Assertions.Expect(stats.GetByText("$3.75", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(from).Not.ToHaveAttributeAsync("aria-invalid", "true");

            // One agent: its total and its two models.
            await byAgent.GetByRole(AriaRole.Link, new() { Name = "alpha" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Agent costs: alpha" })).ToBeVisibleAsync();
            await Assertions.Expect(stats.GetByText("$1.75", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by model" }).GetByText("claude-sonnet-4")).ToBeVisibleAsync();

            // A team budget made through the form: the API's field error lands on its field, then the budget shows
            // the team's spend so far (filled from the rollup when it is created).
            await nav.GetByRole(AriaRole.Link, new() { Name = "Budgets", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Create budget" }).First.ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("Search monthly");
            await dialog.GetByLabel("Applies to").SelectOptionAsync("team");
            await dialog.GetByLabel("Team", new() { Exact = true }).FillAsync("search");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create budget" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Maximum (USD) is required.")).ToBeVisibleAsync();
            await dialog.GetByLabel("Maximum (USD)").FillAsync("10");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create budget" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Search monthly" });
            await Assertions.Expect(row.Locator(".meter-amount")).ToHaveTextAsync("$1.75 of $10.00");
            await Assertions.Expect(row.GetByText("On track · 17.5%")).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".meter-fill.ok")).ToBeAttachedAsync();
            await Assertions.Expect(row.Locator(".meter-mark")).ToHaveCountAsync(3);

            await row.GetByRole(AriaRole.Button, new() { Name = "Search monthly", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Img, new() { Name = "Daily spend this period" }).Locator("rect.chart-bar")).ToHaveCountAsync(1);
            await SnapshotAsync(page, "budget-detail");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();

            // Edited: a threshold past the maximum and an auto-pause put the maximum and the pause point on the bar.
            await row.GetByRole(AriaRole.Button, new() { Name = "Edit Search monthly" }).ClickAsync();
            await dialog.GetByLabel("Alert thresholds (%)").FillAsync("50, 80, 150");
            await dialog.GetByLabel("Pause agents at (%)").FillAsync("200");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(row.GetByText("Alerts at 50 %, 80 %, 150 % · pauses agents at 200 %")).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".meter-mark")).ToHaveCountAsync(5);
            await SnapshotAsync(page, "budgets");

            // Everyone reads budgets; only admins change them (a viewer, on a phone-sized screen).
            var viewer = await api.AddMemberAsync(tenant, "viewer");
            var phone = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 390, Height = 844 } });
            phone.PageError += (_, e) => problems.Add(e);
            await phone.GotoAsync("/#/login");
            await phone.GetByLabel("Email").FillAsync(viewer.Email);
            await phone.GetByLabel("Password", new() { Exact = true }).FillAsync(viewer.Password);
            await phone.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await phone.GetByRole(AriaRole.Link, new() { Name = "Budgets", Exact = true }).ClickAsync();
            await Assertions.Expect(phone.GetByText("Only admins can create, change or delete budgets.")).ToBeVisibleAsync();
            await Assertions.Expect(phone.Locator(".meter-amount")).ToHaveTextAsync("$1.75 of $10.00");
            await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Create budget" })).ToHaveCountAsync(0);
            await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Edit Search monthly" })).ToHaveCountAsync(0);
            await SnapshotAsync(phone, "budgets-phone");
            await phone.GetByRole(AriaRole.Link, new() { Name = "Costs", Exact = true }).ClickAsync();
            await Assertions.Expect(phone.Locator(".cost-stats").GetByText("$3.75", new() { Exact = true })).ToBeVisibleAsync();
            await SnapshotAsync(phone, "costs-phone");

            await row.GetByRole(AriaRole.Button, new() { Name = "Delete Search monthly" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete budget" }).ClickAsync();
            await Assertions.Expect(page.GetByText("No budgets yet")).ToBeVisibleAsync();
            Assert.Empty(problems);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-failure.png"), FullPage = true });
            throw;
        }
    }
}

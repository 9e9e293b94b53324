using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace AgentOps.IntegrationTests;

/// <summary>The dashboard in a real browser (Debian's Chromium, driven by Playwright) against a real server process.</summary>
[Collection(ApiCollection.Name)]
public class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>The built dashboard (web-static/dist), as `./agentops up` serves it; `./agentops test` builds it first.</summary>
    internal static string DashboardDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "web-static", "package.json")))
            {
                var dist = Path.Combine(dir.FullName, "web-static", "dist");
                if (!File.Exists(Path.Combine(dist, "index.html")))
                    throw new InvalidOperationException($"{dist} is not built: run the tests with ./agentops test, or build it (cd web-static && npm ci && npm run build).");
                return dist;
            }
        throw new InvalidOperationException("web-static/ not found above the test folder.");
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Chromium,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });

    /// <summary>The server with the built dashboard (Chromium must be there: `./agentops test` installs it).</summary>
    private static ServerProcess StartServer(Dictionary<string, string?>? more = null)
    {
        Assert.True(File.Exists(Chromium), $"Dashboard tests need Chromium at {Chromium}: run them with `./agentops test`, which installs it.");
        var settings = new Dictionary<string, string?> { ["AGENTOPS_DASHBOARD_DIR"] = DashboardDirectory() };
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return ServerProcess.Start(TestDatabase.AppUrl, settings);
    }

    /// <summary>
    /// Runs a browser test: Chromium with a page on the server. A script error or warning on any page it opens through
    /// <see cref="OpenPageAsync"/> fails it; a failure keeps a screenshot of the page beside the test binaries.
    /// </summary>
    private static async Task InBrowserAsync(ServerProcess server, Func<IBrowser, IPage, List<string>, Task> test)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var problems = new List<string>();
        var page = await OpenPageAsync(browser, server, problems);
        try
        {
            await test(browser, page, problems);
            Assert.Empty(problems);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-failure.png"), FullPage = true });
            throw;
        }
    }

    /// <summary>A page on the server that collects script errors and warnings in <paramref name="problems"/>.</summary>
    private static async Task<IPage> OpenPageAsync(IBrowser browser, ServerProcess server, List<string> problems)
    {
        var page = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        // Script errors and warnings count; the browser's own note about a 4xx the test provokes does not.
        page.Console += (_, m) => { if (m.Type is "error" or "warning" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);
        return page;
    }

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/#/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Signed in once the app has read the person's permissions and gone to its first page (the shell shows);
        // navigating before that would be overtaken by it.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    /// <summary>Screenshots for a person to look at, when AGENTOPS_TEST_SCREENSHOTS names a folder.</summary>
    private static async Task SnapshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("AGENTOPS_TEST_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    /// <summary>The innermost elements that stick out past the screen's right edge, outside any scrolling box: an overflow's culprits.</summary>
    private const string WidestOverflow = """
        () => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
          .filter((e) => {
            // A scrolling box clips what is inside it, except what is absolutely placed against an ancestor outside it.
            const placed = getComputedStyle(e).position === 'absolute';
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
              const style = getComputedStyle(a);
              if (style.overflowX !== 'visible' && (!placed || style.position !== 'static')) return false;
            }
            return true;
          })
          .slice(-3).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (right edge ${Math.round(e.getBoundingClientRect().right)} px)`).join(', ') + ` (page ${document.documentElement.scrollWidth} px wide)`
        """;

    /// <summary>Every page in the navigation, by its route and the heading it opens with.</summary>
    private static readonly (string Route, string Heading)[] Pages =
    [
        ("/overview", "Overview"), ("/agents", "Agents"), ("/runs", "Runs"), ("/costs", "Costs"), ("/policies", "Policies"),
        ("/controls", "Emergency controls"), ("/approvals", "Approvals"), ("/budgets", "Budgets"), ("/audit", "Audit log"), ("/jobs", "Jobs"),
        ("/orchestrations", "Orchestrations"), ("/org", "Organization"), ("/members", "Members"), ("/api-keys", "API keys"),
        ("/prices", "Model prices"), ("/webhooks", "Webhooks"), ("/notifications", "Notifications"),
    ];

    [Fact]
    public async Task Every_page_opens_with_its_heading_on_a_desktop_and_a_phone_fits_the_phone_and_raises_no_script_error()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        (await api.IngestAsync(key, Ingesting.Event("p-s", "run.start", 0, "page-run", "support-bot"),
            Ingesting.Event("p-e", "run.end", 2, "page-run", "support-bot", new { status = "success" }))).Expect(202);
        await api.WaitForRunAsync(key, "page-run", r => r.GetProperty("run").GetProperty("status").GetString() == "succeeded");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            var phone = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 390, Height = 844 } });
            phone.PageError += (_, e) => problems.Add(e);
            phone.Console += (_, m) => { if (m.Type is "error" or "warning" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
            foreach (var (p, suffix) in new[] { (page, ""), (phone, "-phone") })
            {
                await p.GotoAsync("/#/signup");
                await Assertions.Expect(p.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
                await SnapshotAsync(p, $"page-signup{suffix}");
                await SignInAsync(p, tenant.AdminEmail, tenant.AdminPassword);
                foreach (var (route, heading) in Pages)
                {
                    await p.GotoAsync($"/#{route}");
                    await Assertions.Expect(p.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true, Level = 1 })).ToBeVisibleAsync();
                    // Loaded: no "Loading…" left, and nothing that could not be read.
                    await Assertions.Expect(p.Locator("#main .panel-state[role=status]")).ToHaveCountAsync(0);
                    await Assertions.Expect(p.Locator("#main .panel-state.error")).ToHaveCountAsync(0);
                    await SnapshotAsync(p, $"page-{route.Trim('/')}{suffix}");
                    if (p == phone)
                        Assert.True(await p.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
                            $"{route} overflows a 390 px screen: {await p.EvaluateAsync<string>(WidestOverflow)}");
                }
                // A link to something that is not there says so, with a way back.
                await p.GotoAsync("/#/runs/no-such-run");
                await Assertions.Expect(p.GetByRole(AriaRole.Heading, new() { Name = "Run not found", Level = 1 })).ToBeVisibleAsync();
                await p.GotoAsync("/#/no-such-page");
                await Assertions.Expect(p.GetByRole(AriaRole.Heading, new() { Name = "Overview", Exact = true, Level = 1 })).ToBeVisibleAsync();
            }
        });
    }

    [Fact]
    public async Task A_new_user_signs_up_creates_a_key_sees_it_once_and_the_key_works()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();

        await InBrowserAsync(server, async (_, page, _) =>
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
        });
    }

    [Fact]
    public async Task An_admin_invites_a_member_who_joins_from_the_link_then_changes_their_role_renews_and_withdraws_an_invitation_and_sets_the_time_zone()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var tenant = await api.SignupAsync("Members Org");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
            await nav.GetByRole(AriaRole.Link, new() { Name = "Members" }).ClickAsync();
            await Assertions.Expect(page.GetByText("1 member · 0 open invitations")).ToBeVisibleAsync();
            // The only admin can be neither removed nor demoted.
            var adminRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = tenant.AdminEmail });
            await Assertions.Expect(adminRow.GetByText("Last admin")).ToBeVisibleAsync();
            await Assertions.Expect(adminRow.GetByRole(AriaRole.Button, new() { Name = $"Remove {tenant.AdminEmail}" })).ToHaveCountAsync(0);

            // An invitation: its link and token are shown once, and closing without copying them warns first.
            var email = Tenants.NewEmail("invitee");
            await page.GetByRole(AriaRole.Button, new() { Name = "Invite member" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Email").FillAsync(email);
            await Assertions.Expect(dialog.GetByLabel("Role")).ToHaveValueAsync("member");
            await Assertions.Expect(dialog.GetByText("Uses the platform and creates API keys (ingest, read, write).")).ToBeVisibleAsync();
            await dialog.GetByLabel("Team").FillAsync("support");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
            var token = await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Invitation token" }).InputValueAsync();
            Assert.Matches(new Regex("^aoi_[A-Za-z0-9_-]{43}$"), token);
            var link = await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Invitation link" }).InputValueAsync();
            Assert.Equal($"{server.Url.ToString().TrimEnd('/')}/#/accept-invite?token={token}", link);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("You have not copied the link or token.")).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = email });
            await Assertions.Expect(row.GetByText("Invited", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("1 member · 1 open invitation")).ToBeVisibleAsync();
            Assert.DoesNotContain(token[4..], await page.ContentAsync());

            // The invitee opens the link in a browser of their own: the token fills the form and leaves the address bar.
            var invitee = await OpenPageAsync(browser, server, problems);
            await invitee.GotoAsync(link);
            await Assertions.Expect(invitee.GetByLabel("Invitation token")).ToHaveValueAsync(token);
            await Assertions.Expect(invitee).ToHaveURLAsync(new Regex("#/accept-invite$"));
            await invitee.GetByLabel("Your name").FillAsync("Ivy Invitee");
            await invitee.GetByLabel("Password", new() { Exact = true }).FillAsync(Tenants.Password);
            await invitee.GetByRole(AriaRole.Button, new() { Name = "Join organization" }).ClickAsync();
            await Assertions.Expect(invitee.GetByText("You joined Members Org as Member.")).ToBeVisibleAsync();
            await Assertions.Expect(invitee.Locator(".user-email")).ToHaveTextAsync(email);
            await Assertions.Expect(invitee.Locator(".user-role")).ToHaveTextAsync("Member");

            // The admin sees them joined, makes them a viewer, and renews then withdraws another invitation.
            var other = Tenants.NewEmail("other");
            (await api.Post("/api/v1/org-members", new { email = other, role = "viewer" }, tenant.AdminToken)).Expect(201);
            await page.ReloadAsync();
            await Assertions.Expect(row).ToContainTextAsync("Ivy Invitee");
            await Assertions.Expect(row.GetByText("Active", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(row).ToContainTextAsync("support");
            await Assertions.Expect(page.GetByText("2 members · 1 open invitation")).ToBeVisibleAsync();
            await row.GetByRole(AriaRole.Button, new() { Name = $"Edit {email}" }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Heading, new() { Name = "Edit member" })).ToBeVisibleAsync();
            await dialog.GetByLabel("Role").SelectOptionAsync("viewer");
            await Assertions.Expect(dialog.GetByText("Read-only access.")).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByText($"Updated {email}.")).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".badge.role-viewer")).ToHaveTextAsync("Viewer");

            var pending = page.GetByRole(AriaRole.Row).Filter(new() { HasText = other });
            await pending.GetByRole(AriaRole.Button, new() { Name = $"Renew invitation for {other}" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create new link" }).ClickAsync();
            var renewed = await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Invitation token" }).InputValueAsync();
            Assert.StartsWith("aoi_", renewed);
            Assert.NotEqual(token, renewed);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await pending.GetByRole(AriaRole.Button, new() { Name = $"Withdraw invitation for {other}" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Withdraw invitation" }).ClickAsync();
            await Assertions.Expect(page.GetByText($"Invitation for {other} withdrawn.")).ToBeVisibleAsync();
            await Assertions.Expect(pending).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByText("2 members · 0 open invitations")).ToBeVisibleAsync();
            await SnapshotAsync(page, "members");

            // The invitee's tab learns of the new role on the members page, and offers a viewer no API keys.
            await invitee.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Members" }).ClickAsync();
            await Assertions.Expect(invitee.GetByText("Your role changed from Member to Viewer.")).ToBeVisibleAsync();
            await Assertions.Expect(invitee.Locator(".user-role")).ToHaveTextAsync("Viewer");
            await Assertions.Expect(invitee.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToBeHiddenAsync();
            await Assertions.Expect(invitee.GetByRole(AriaRole.Button, new() { Name = "Invite member" })).ToHaveCountAsync(0);

            // The organization's time zone: a wrong one is refused at its field, a right one saved and shown to everyone.
            await nav.GetByRole(AriaRole.Link, new() { Name = "Organization" }).ClickAsync();
            var timeZone = page.GetByLabel("Time zone");
            await Assertions.Expect(timeZone).ToHaveValueAsync("UTC");
            var save = page.GetByRole(AriaRole.Button, new() { Name = "Save changes" });
            await Assertions.Expect(save).ToBeDisabledAsync();
            await timeZone.FillAsync("Mars/Olympus_Mons");
            await save.ClickAsync();
            await Assertions.Expect(timeZone).ToHaveAttributeAsync("aria-invalid", "true");
            await Assertions.Expect(page.GetByText("must be an IANA time zone")).ToBeVisibleAsync();
            await timeZone.FillAsync("Europe/Paris");
            await save.ClickAsync();
            await Assertions.Expect(page.GetByText("Organization profile saved.")).ToBeVisibleAsync();
            await Assertions.Expect(save).ToBeDisabledAsync();
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByLabel("Time zone")).ToHaveValueAsync("Europe/Paris");
            await SnapshotAsync(page, "organization");
            await invitee.GotoAsync("/#/org");
            await Assertions.Expect(invitee.GetByText("Only admins can change the organization profile.")).ToBeVisibleAsync();
            await Assertions.Expect(invitee.GetByText("Europe/Paris")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task The_overview_shows_figures_charts_and_what_needs_attention_and_a_drag_across_a_chart_lists_those_runs()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        // In the last hour: two runs of alpha that succeed (one priced call, one call to a model without a price) and
        // one run of beta that fails.
        (await api.IngestAsync(key,
            Ingesting.Event("ok1-s", "run.start", 0, "ok-1", "alpha"),
            Ingesting.Event("ok1-c", "llm.call", 1, "ok-1", "alpha", new { model = "gpt-4o", tokens_in = 1000, tokens_out = 100, cost_usd = 1.25m }),
            Ingesting.Event("ok1-e", "run.end", 2, "ok-1", "alpha", new { status = "success" }),
            Ingesting.Event("ok2-s", "run.start", 10, "ok-2", "alpha"),
            Ingesting.Event("ok2-c", "llm.call", 11, "ok-2", "alpha", new { model = "no-such-model-7", tokens_in = 50, tokens_out = 5 }),
            Ingesting.Event("ok2-e", "run.end", 14, "ok-2", "alpha", new { status = "success" }),
            Ingesting.Event("bad-s", "run.start", 20, "bad-1", "beta"),
            Ingesting.Event("bad-e", "run.end", 25, "bad-1", "beta", new { status = "error", error = "tool exploded" }))).Expect(202);
        foreach (var run in new[] { "ok-1", "ok-2" }) await api.WaitForRunAsync(key, run, r => r.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await api.WaitForRunAsync(key, "bad-1", r => r.GetProperty("run").GetProperty("status").GetString() == "failed");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            // Signing in lands on the overview.
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Exact = true })).ToBeVisibleAsync();
            var figures = page.GetByRole(AriaRole.Region, new() { Name = "Key figures" });
            async Task Figure(string label, string value) =>
                await Assertions.Expect(figures.Locator(".kpi").Filter(new() { Has = page.Locator("dt", new() { HasTextString = label }) }).Locator(".kpi-value")).ToHaveTextAsync(value);
            await Figure("Runs", "3");
            await Figure("Error rate", "33.3%");
            await Figure("Cost", "$1.25");
            await Figure("Unpriced calls", "1");
            // Nothing ran in the hour before: every delta reads "new" rather than a percentage of zero.
            await Assertions.Expect(figures.Locator(".kpi").First.Locator(".kpi-delta")).ToContainTextAsync("new");

            var attention = page.GetByRole(AriaRole.Region, new() { Name = "Needs attention" });
            await Assertions.Expect(attention.GetByRole(AriaRole.Link, new() { Name = "Kill switch Off" })).ToBeVisibleAsync();
            await Assertions.Expect(attention.GetByRole(AriaRole.Link).Filter(new() { HasText = "Pending approvals" })).ToContainTextAsync("0");
            await Assertions.Expect(attention.GetByRole(AriaRole.Link).Filter(new() { HasText = "Budgets at risk" })).ToContainTextAsync("all within limits");

            // Two charts drawn (canvas), each with its numbers as a table for screen readers.
            await Assertions.Expect(page.Locator(".chart-canvas canvas")).ToHaveCountAsync(3);
            await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Runs and errors (chart; the data follows as a table)" })).ToBeVisibleAsync();
            // Latency per bucket: the three ended runs took 2 s, 4 s and 5 s.
            var latencyTable = page.GetByRole(AriaRole.Table, new() { Name = "Latency (p50, p95, p99)" });
            await Assertions.Expect(latencyTable).ToBeAttachedAsync();
            await Assertions.Expect(latencyTable).ToContainTextAsync("5.0 s");
            await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost by model (USD)" })).ToBeAttachedAsync();
            // Its table holds every run (the three may fall into one hourly bucket or straddle two).
            var runsInTable = await page.GetByRole(AriaRole.Table, new() { Name = "Runs and errors" })
                .EvaluateAsync<int>("t => [...t.querySelectorAll('tbody tr')].reduce((n, r) => n + Number(r.cells[1].textContent), 0)");
            Assert.Equal(3, runsInTable);

            var top = page.GetByRole(AriaRole.Region, new() { Name = "Top agents by cost" });
            await Assertions.Expect(top.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("alpha");
            var failed = page.GetByRole(AriaRole.Region, new() { Name = "Latest failed runs" });
            await Assertions.Expect(failed.GetByText("tool exploded")).ToBeVisibleAsync();
            await SnapshotAsync(page, "overview");

            // The window is in the URL and shared: 7 days holds the same runs.
            await page.GetByRole(AriaRole.Group, new() { Name = "Time window" }).GetByRole(AriaRole.Button, new() { Name = "7 d" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/overview\?range=7d$"));
            await Figure("Runs", "3");

            // Dragging across the runs chart opens the runs list for that window.
            await page.GetByRole(AriaRole.Group, new() { Name = "Time window" }).GetByRole(AriaRole.Button, new() { Name = "24 h" }).ClickAsync();
            var over = page.Locator(".chart-card").First.Locator(".u-over");
            var box = (await over.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(box.X + 4, box.Y + box.Height / 2);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width - 4, box.Y + box.Height / 2, new() { Steps = 8 });
            await page.Mouse.UpAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/runs\?from=[^&]+&to=[^&]+$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "bad-1" }).First).ToBeVisibleAsync();

            // Keyboard: g then o goes to the overview, ? lists the shortcuts, g then r to the runs, / focuses their search.
            await page.Keyboard.PressAsync("g");
            await page.Keyboard.PressAsync("o");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/overview$"));
            await page.Keyboard.PressAsync("?");
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" })).ToBeVisibleAsync();
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
            await page.Keyboard.PressAsync("g");
            await page.Keyboard.PressAsync("r");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/runs$"));
            // The URL changes at once, the page on the hashchange that follows: "/" waits for the page it is meant for.
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("/");
            await Assertions.Expect(page.GetByRole(AriaRole.Searchbox).First).ToBeFocusedAsync();

            // Dark mode: picked from the top bar, kept across a reload, charts drawn again in its colours.
            await page.GetByLabel("Theme").SelectOptionAsync("dark");
            await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
            await page.Keyboard.PressAsync("g");
            await page.Keyboard.PressAsync("o");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/overview$"));
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
            await Assertions.Expect(page.Locator(".chart-canvas canvas")).ToHaveCountAsync(3);
            Assert.Equal("rgb(15, 19, 25)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
            await SnapshotAsync(page, "overview-dark");
            await page.GetByLabel("Theme").SelectOptionAsync("system");
            await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");

            // On a phone the overview stacks and still fits the screen's width.
            var phone = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 390, Height = 844 } });
            phone.PageError += (_, e) => problems.Add(e);
            await SignInAsync(phone, tenant.AdminEmail, tenant.AdminPassword);
            await Assertions.Expect(phone.Locator(".chart-canvas canvas")).ToHaveCountAsync(3);
            Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the overview overflows a 390 px screen");
            await SnapshotAsync(phone, "overview-phone");
        });
    }

    [Fact]
    public async Task Runs_appear_live_on_the_overview_and_the_runs_list_and_an_idle_page_only_holds_its_stream()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            var calls = new System.Collections.Concurrent.ConcurrentQueue<string>();
            page.Request += (_, r) => { if (r.Url.Contains("/api/v1/", StringComparison.Ordinal)) calls.Enqueue(r.Url); };
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            var figures = page.GetByRole(AriaRole.Region, new() { Name = "Key figures" });
            var runs = figures.Locator(".kpi").Filter(new() { Has = page.Locator("dt", new() { HasTextString = "Runs" }) }).Locator(".kpi-value");
            await Assertions.Expect(runs).ToHaveTextAsync("0");
            await Assertions.Expect(page.GetByText("live.", new() { Exact = false })).ToBeVisibleAsync(new() { Timeout = 15_000 });

            // Idle with the stream up: no request at all for 20 s (the stream itself stays open).
            await Task.Delay(2000);
            calls.Clear();
            await Task.Delay(20_000);
            var idle = calls.Where(u => !u.Contains("/api/v1/live", StringComparison.Ordinal)).ToList();
            Assert.True(idle.Count == 0, "an idle overview made requests: " + string.Join(", ", idle));

            // A run reported over HTTP shows up without a reload: on the overview, then in the runs list.
            (await api.IngestAsync(key, Ingesting.Event("live-s", "run.start", 0, "live-run-1", "alpha"), Ingesting.Event("live-e", "run.end", 1, "live-run-1", "alpha", new { status = "success" }))).Expect(202);
            await Assertions.Expect(runs).ToHaveTextAsync("1", new() { Timeout = 20_000 });
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Runs", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "live-run-1" })).ToBeVisibleAsync();
            (await api.IngestAsync(key, Ingesting.Event("live-s2", "run.start", 2, "live-run-2", "alpha"))).Expect(202);
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "live-run-2" })).ToBeVisibleAsync(new() { Timeout = 10_000 });
        });
    }

    [Fact]
    public async Task An_agents_page_shows_its_trends_budgets_and_runs_and_pauses_it_and_resume_waits_for_the_kill_switch()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        var agentId = (await api.Post("/api/v1/agents", new { name = "alpha", team = "search", tags = new[] { "prod" } }, tenant.AdminToken)).Expect(201).Id();
        (await api.Post("/api/v1/budgets", new { name = "Search monthly", scope = "team", team = "search", period = "monthly", max_amount_usd = 10 }, tenant.AdminToken)).Expect(201);
        (await api.Post("/api/v1/budgets", new { name = "Other team", scope = "team", team = "billing", period = "monthly", max_amount_usd = 10 }, tenant.AdminToken)).Expect(201);
        (await api.IngestAsync(key,
            Ingesting.Event("a1-s", "run.start", 0, "alpha-run-1", "alpha"), Ingesting.Event("a1-e", "run.end", 3, "alpha-run-1", "alpha", new { status = "success" }),
            Ingesting.Event("a2-s", "run.start", 5, "alpha-run-2", "alpha"), Ingesting.Event("a2-e", "run.end", 6, "alpha-run-2", "alpha", new { status = "error", error = "boom" }))).Expect(202);
        await api.WaitForRunAsync(key, "alpha-run-2", r => r.GetProperty("run").GetProperty("status").GetString() == "failed");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Agents", Exact = true }).ClickAsync();
            // Each agent's runs per day over the week, as a sparkline beside its figure (its two runs are in today's or yesterday's bucket).
            await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex(@"^Runs per day, last 7 days: (0, ){5}(2, 0|0, 2)$") })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "alpha", Exact = true }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"#/agents/{agentId}$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "alpha", Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".agent-status")).ToContainTextAsync("Active");

            var trends = page.GetByRole(AriaRole.Region, new() { Name = "Runs and errors in the last 24 h" });
            await Assertions.Expect(trends.Locator(".kpi").First.Locator(".kpi-value")).ToHaveTextAsync("2");
            await Assertions.Expect(trends.Locator(".kpi").Nth(1).Locator(".kpi-value")).ToHaveTextAsync("50%");
            await Assertions.Expect(trends.Locator("canvas")).ToHaveCountAsync(1);
            // Its own latency (runs of 3 s and 1 s): the page asks for this agent's series, not the organization's.
            var latency = page.GetByRole(AriaRole.Region, new() { Name = "Latency", Exact = true });
            await Assertions.Expect(latency.Locator("canvas")).ToHaveCountAsync(1);
            await Assertions.Expect(latency.GetByRole(AriaRole.Table, new() { Name = "Latency of alpha (p50, p95, p99)" })).ToContainTextAsync("3.0 s");
            var budgets = page.GetByRole(AriaRole.Region, new() { Name = "Budgets over this agent" });
            await Assertions.Expect(budgets.GetByText("Search monthly")).ToBeVisibleAsync();
            await Assertions.Expect(budgets.GetByText("Other team")).ToHaveCountAsync(0);
            var runs = page.GetByRole(AriaRole.Region, new() { Name = "Recent runs" });
            await Assertions.Expect(runs.GetByRole(AriaRole.Link, new() { Name = "alpha-run-2" })).ToBeVisibleAsync();
            await SnapshotAsync(page, "agent");

            // Paused from its page, with a reason the audit log keeps under the person's name.
            await page.GetByRole(AriaRole.Button, new() { Name = "Pause", Exact = true }).ClickAsync();
            await page.GetByLabel("Reason").FillAsync("looping on retries");
            await page.GetByRole(AriaRole.Button, new() { Name = "Pause now" }).ClickAsync();
            await Assertions.Expect(page.Locator(".agent-status")).ToContainTextAsync("Paused");
            await Assertions.Expect(page.GetByText("looping on retries").First).ToBeVisibleAsync();
            var actions = page.GetByRole(AriaRole.Region, new() { Name = "Recent control actions" });
            await Assertions.Expect(actions.GetByText("Paused", new() { Exact = true }).First).ToBeVisibleAsync();
            await Assertions.Expect(actions.Locator("li").First).ToContainTextAsync("Paused by Ada Admin");
            await Assertions.Expect(actions).Not.ToContainTextAsync(tenant.AdminUserId.ToString());

            // With the kill switch on, resume is not offered; once it is lifted, it is.
            (await api.Post("/api/v1/controls/kill-switch", new { reason = "incident" }, tenant.AdminToken)).Expect(200);
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByText("The kill switch is on")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume", Exact = true })).ToHaveCountAsync(0);
            (await api.Post("/api/v1/controls/resume-all", new { reason = "over" }, tenant.AdminToken)).Expect(200);
            await page.ReloadAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Resume", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Resume now" }).ClickAsync();
            await Assertions.Expect(page.Locator(".agent-status")).ToContainTextAsync("Active");

            // An id that is not an agent of this organization: a proper not-found state.
            await page.GotoAsync($"/#/agents/{Guid.NewGuid()}");
            await Assertions.Expect(page.GetByText("No agent with this id in your organization")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task An_unpriced_call_leads_to_the_prices_page_where_an_admin_adds_the_price_and_a_viewer_only_reads()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        (await api.IngestAsync(key, Ingesting.Event("u-c", "llm.call", 1, "unpriced-run", "alpha", new { model = "house-model-9", tokens_in = 10, tokens_out = 1 }))).Expect(202);
        await api.WaitForRunAsync(key, "unpriced-run");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            // The run's unpriced call links to the prices page with its model filled in.
            await page.GotoAsync("/#/runs/unpriced-run");
            await page.GetByRole(AriaRole.Link, new() { Name = "unpriced" }).First.ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/prices\?model=house-model-9$"));
            await Assertions.Expect(page.GetByText("No price for “house-model-9”")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByLabel("Model", new() { Exact = true })).ToHaveValueAsync("house-model-9");

            // The API's field error lands on its field; then the price is added and listed as the organization's.
            await page.GetByLabel("Output, USD per 1M tokens").FillAsync("2");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add price" }).ClickAsync();
            await Assertions.Expect(page.Locator("#price-input_per_mtok_usd-error")).ToContainTextAsync("is required");
            await Assertions.Expect(page.GetByLabel("Input, USD per 1M tokens")).ToHaveAttributeAsync("aria-invalid", "true");
            await page.GetByLabel("Input, USD per 1M tokens").FillAsync("0.5");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add price" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Added: house-model-9 (openai).")).ToBeVisibleAsync();
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "house-model-9" });
            await Assertions.Expect(row.GetByText("Your organization")).ToBeVisibleAsync();
            await Assertions.Expect(row).ToContainTextAsync("$0.50");
            await SnapshotAsync(page, "prices");

            // The public list is there too and cannot be removed; the organization's price can.
            await page.GetByLabel("Search models").FillAsync("gpt-4o");
            await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "gpt-4o" }).First).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Remove the price of gpt-4o" })).ToHaveCountAsync(0);
            await page.GetByLabel("Search models").FillAsync("house");
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove the price of house-model-9" }).ClickAsync();
            await Assertions.Expect(page.GetByText("No price for “house”")).ToBeVisibleAsync();

            var viewer = await api.AddMemberAsync(tenant, "viewer");
            var asViewer = await OpenPageAsync(browser, server, problems);
            await SignInAsync(asViewer, viewer.Email, viewer.Password);
            await asViewer.GetByRole(AriaRole.Link, new() { Name = "Model prices" }).ClickAsync();
            await Assertions.Expect(asViewer.GetByText("Only admins add or remove prices.")).ToBeVisibleAsync();
            await Assertions.Expect(asViewer.GetByRole(AriaRole.Button, new() { Name = "Add price" })).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task A_policy_made_from_a_template_is_tested_then_its_approval_request_is_approved_and_its_history_shows_the_change()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Policies", Exact = true }).ClickAsync();
            await page.GetByLabel("Template").SelectOptionAsync(new SelectOptionValue { Label = "Approve discounts over 10 %" });
            await page.GetByRole(AriaRole.Button, new() { Name = "Use" }).ClickAsync();
            // The template opens in the builder: one row per comparison, values typed by their operator.
            var builder = page.GetByRole(AriaRole.Group, new() { Name = "Conditions", Exact = true });
            await Assertions.Expect(builder.GetByLabel("Field", new() { Exact = true })).ToHaveCountAsync(2);
            await Assertions.Expect(builder.GetByLabel("Field", new() { Exact = true }).First).ToHaveValueAsync("action.type");
            await Assertions.Expect(builder.GetByLabel("Value", new() { Exact = true }).Nth(1)).ToHaveValueAsync("10");

            // A third condition with a value of the wrong type: the API's error comes back on that row, not in a list.
            await builder.GetByRole(AriaRole.Button, new() { Name = "+ Condition" }).ClickAsync();
            await builder.GetByLabel("Field", new() { Exact = true }).Nth(2).FillAsync("run.cost_usd");
            await builder.GetByLabel("Operator", new() { Exact = true }).Nth(2).SelectOptionAsync("greater_than");
            await builder.GetByLabel("Value", new() { Exact = true }).Nth(2).FillAsync("lots");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
            var third = builder.Locator(".cond-comparison").Nth(2);
            await Assertions.Expect(third.Locator(".path-errors")).ToContainTextAsync("value: greater_than needs a number.");
            await builder.GetByRole(AriaRole.Button, new() { Name = "Remove condition" }).Nth(2).ClickAsync();
            await Assertions.Expect(builder.GetByLabel("Field", new() { Exact = true })).ToHaveCountAsync(2);

            // The JSON mode shows the same conditions; broken JSON is caught before sending, a wrong field is the API's
            // error with its path; back in the builder, the fixed JSON is drawn again.
            await page.GetByRole(AriaRole.Button, new() { Name = "JSON", Exact = true }).ClickAsync();
            var conditions = page.GetByLabel("Conditions as JSON");
            await Assertions.Expect(conditions).ToHaveValueAsync(new Regex("apply_discount"));
            var fine = await conditions.InputValueAsync();
            await conditions.FillAsync(fine.Replace("\"all\"", "\"all\":", StringComparison.Ordinal));
            await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
            await Assertions.Expect(page.Locator(".cond-editor > .path-errors")).ToContainTextAsync("Not JSON");
            await conditions.FillAsync(fine.Replace("action.type", "nowhere.type", StringComparison.Ordinal));
            await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
            await Assertions.Expect(page.Locator(".cond-editor > .path-errors")).ToContainTextAsync("$.conditions.all[");
            await conditions.FillAsync(fine);
            await page.GetByRole(AriaRole.Button, new() { Name = "Builder", Exact = true }).ClickAsync();
            await Assertions.Expect(builder.GetByLabel("Field", new() { Exact = true })).ToHaveCountAsync(2);
            await page.GetByLabel("Active", new() { Exact = false }).CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/policies/[0-9a-f-]{36}$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approve discounts over 10 %" })).ToBeVisibleAsync();

            // The test panel: the sample context (a 15 % discount) matches, with the evidence of each condition.
            await page.GetByRole(AriaRole.Button, new() { Name = "Evaluate" }).ClickAsync();
            var evidence = page.GetByRole(AriaRole.Table, new() { Name = "Conditions that held" });
            await Assertions.Expect(evidence.GetByRole(AriaRole.Row)).ToHaveCountAsync(3);
            await Assertions.Expect(evidence).ToContainTextAsync("action.discount_percent");
            await SnapshotAsync(page, "policy");

            // A change makes version 2; the history shows what changed.
            await page.GetByLabel("Priority", new() { Exact = false }).FillAsync("5");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Edit (version 2)" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".diff-added").Filter(new() { HasText = "\"priority\": 5," })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".diff-removed").Filter(new() { HasText = "\"priority\": 100," })).ToHaveCountAsync(1);

            // An agent asks (its run ended an hour ago); the request waits for a person; the approvals page links to the policy.
            (await api.IngestAsync(key, Ingesting.Event("d-s", "run.start", 0, "discount-run", "support-bot"),
                Ingesting.Event("d-e", "run.end", 8, "discount-run", "support-bot", new { status = "success" }))).Expect(202);
            await api.WaitForRunAsync(key, "discount-run", r => r.GetProperty("run").GetProperty("status").GetString() == "succeeded");
            var check = (await api.Post("/api/v1/policy/check", new { run_id = "discount-run", agent = "support-bot", action = new { type = "apply_discount", discount_percent = 20 } }, key)).Expect(200);
            Assert.Equal("require_approval", check.Str("decision"));
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Approvals", Exact = false }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Approve discounts over 10 %" }).First).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = false }).First.ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            if (await dialog.CountAsync() > 0) await dialog.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = false }).Last.ClickAsync();
            var approvalId = check.Body.GetProperty("approval").GetProperty("id").GetGuid();
            for (var deadline = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(100))
            {
                if ((await api.Get($"/api/v1/approvals/{approvalId}", key)).Expect(200).Str("status") == "approved") break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the request was not approved");
            }

            // On the run's timeline the decisions are styled, link to the policy, and sit after the run (an hour after its
            // end) instead of squeezing the 8 s run into a sliver.
            for (var deadline = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(100))
            {
                var events = (await api.Get("/api/v1/events/discount-run", key)).Expect(200).Body.ToString();
                if (events.Contains("approval.decision", StringComparison.Ordinal)) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the decisions did not reach the run");
            }
            await page.GotoAsync("/#/runs/discount-run");
            await Assertions.Expect(page.Locator("tr[data-type='policy.decision'] .tl-late")).ToContainTextAsync("after");
            await Assertions.Expect(page.Locator("tr[data-type='run.start'] .tl-bar")).ToHaveAttributeAsync("style", new Regex(@"width: max\(2px, 100%\)"));
            await SnapshotAsync(page, "run-with-decisions");
            await page.Locator("tr[data-type='policy.decision']").GetByRole(AriaRole.Link, new() { Name = "policy" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/policies/[0-9a-f-]{36}$"));
        });
    }

    [Fact]
    public async Task A_run_opens_as_a_trace_with_chat_payloads_a_panel_collapse_search_and_keyboard_and_jumps_to_its_first_error()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        var messages = new { model = "gpt-4o", messages = new object[] { new { role = "system", content = "Plan trips." }, new { role = "user", content = "Find a flight to Oslo" } } };
        var reply = new { choices = new[] { new { index = 0, message = new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "c1", type = "function", function = new { name = "web_search", arguments = "{\"q\":\"flights Oslo\"}" } } } } } } };
        (await api.IngestAsync(key,
            Ingesting.Event("s", "run.start", 0, "trace-run", "planner", new { name = "Trip planning" }),
            Ingesting.Event("plan", "llm.call", 0.1, "trace-run", "planner", new { parent_id = "s", model = "gpt-4o", duration_ms = 800, tokens_in = 120, tokens_out = 30, input = messages, output = reply }),
            Ingesting.Event("search", "tool.call", 1, "trace-run", "planner", new { parent_id = "s", tool_name = "web_search", duration_ms = 300 }),
            Ingesting.Event("fetch", "external.action", 1.1, "trace-run", "planner", new { parent_id = "search", name = "GET flights.example" }),
            Ingesting.Event("crm", "tool.call", 2, "trace-run", "planner", new { parent_id = "s", tool_name = "crm_lookup", status = "error", error = "timeout contacting CRM" }),
            Ingesting.Event("e", "run.end", 3, "trace-run", "planner", new { status = "failure", error = "CRM unavailable" }))).Expect(202);
        await api.WaitForRunAsync(key, "trace-run", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 6);

        await InBrowserAsync(server, async (_, page, _) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await page.GotoAsync("/#/runs/trace-run");
            var rows = page.Locator("tr.tl-row:visible");
            await Assertions.Expect(rows).ToHaveCountAsync(6);
            Assert.Equal(["s", "plan", "search", "fetch", "crm", "e"], await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.id)"));
            var panel = page.GetByRole(AriaRole.Complementary, new() { Name = "Selected event" });

            // "First error" selects the failed tool call and shows why in the panel; k and j walk the shown rows.
            await page.GetByRole(AriaRole.Button, new() { Name = "First error", Exact = false }).ClickAsync();
            await Assertions.Expect(page.Locator("tr[data-id='crm']")).ToHaveClassAsync(new Regex("selected"));
            await Assertions.Expect(panel).ToContainTextAsync("timeout contacting CRM");
            await page.Keyboard.PressAsync("k");
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToHaveClassAsync(new Regex("selected"));
            await page.Keyboard.PressAsync("j");
            await Assertions.Expect(page.Locator("tr[data-id='crm']")).ToHaveClassAsync(new Regex("selected"));

            // The LLM call's input and output read as a conversation, with the raw JSON a click away.
            await page.Locator("tr[data-id='plan'] .tl-select").ClickAsync();
            var input = panel.GetByRole(AriaRole.List, new() { Name = "Input as messages" });
            await Assertions.Expect(input.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
            await Assertions.Expect(input).ToContainTextAsync("Find a flight to Oslo");
            await Assertions.Expect(panel.GetByRole(AriaRole.List, new() { Name = "Output as messages" })).ToContainTextAsync("web_search");
            await Assertions.Expect(panel).ToContainTextAsync("120 in");
            await SnapshotAsync(page, "run-trace");
            await panel.GetByRole(AriaRole.Button, new() { Name = "Chat" }).First.ClickAsync();
            await Assertions.Expect(panel.GetByRole(AriaRole.Region, new() { Name = "Input" })).ToContainTextAsync("\"messages\"");

            // A subtree collapses (by its caret or h) and expands again (l).
            await page.Locator("tr[data-id='search'] .tl-caret").ClickAsync();
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToBeHiddenAsync();
            await page.Locator("tr[data-id='search'] .tl-select").ClickAsync();
            await page.Keyboard.PressAsync("l");
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToBeVisibleAsync();
            await page.Keyboard.PressAsync("h");
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToBeHiddenAsync();

            // The search marks what matches, payloads included, and Enter goes to it (opening the collapsed subtree).
            var search = page.GetByRole(AriaRole.Searchbox, new() { Name = "Search events" });
            await search.FillAsync("flights.example");
            await Assertions.Expect(page.Locator(".tl-match-count")).ToHaveTextAsync("1 match");
            await search.PressAsync("Enter");
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("tr[data-id='fetch']")).ToHaveClassAsync(new Regex("selected"));
            await Assertions.Expect(page.Locator(".tl-match-count")).ToHaveTextAsync("1 of 1 match");
            await search.FillAsync("flights");
            await Assertions.Expect(page.Locator(".tl-match-count")).ToHaveTextAsync("2 matches");
            await Assertions.Expect(page.Locator("tr.tl-row.dim")).ToHaveCountAsync(4);
        });
    }

    [Fact]
    public async Task The_runs_list_searches_payloads_on_the_server_keeps_saved_views_columns_and_density_and_exports_csv()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        // Five minutes ago, counted from now (Ingesting.T0 is fixed when the test process starts, and "1 h" moves on).
        var at = (DateTimeOffset.UtcNow - Ingesting.T0).TotalSeconds - 300;
        (await api.IngestAsync(key,
            Ingesting.Event("a-s", "run.start", at, "refund-run", "support-bot", new { input = "refund for order 77", tags = new[] { "vip" } }),
            Ingesting.Event("b-s", "run.start", at + 10, "ship-run", "support-bot"),
            Ingesting.Event("b-e", "run.end", at + 12, "ship-run", "support-bot", new { status = "success", output = "shipped to Oslo" }),
            Ingesting.Event("c-s", "run.start", at + 20, "=cmd|' /C calc'!A0", "support-bot"),
            Ingesting.Event("o-s", "run.start", at - 10_500, "old-run", "support-bot"))).Expect(202);
        await api.WaitForRunAsync(key, "ship-run", r => r.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await api.WaitForRunAsync(key, "old-run");

        await InBrowserAsync(server, async (_, page, _) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await page.GotoAsync("/#/runs");
            var rows = page.Locator("#main table tbody tr");
            await Assertions.Expect(rows).ToHaveCountAsync(4);

            // The search reaches inputs and outputs on the server; the view is in the URL and can be saved.
            await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search runs" }).FillAsync("oslo");
            await Assertions.Expect(rows).ToHaveCountAsync(1);
            await Assertions.Expect(rows.First).ToContainTextAsync("ship-run");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/runs\?q=oslo$"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Save view" }).ClickAsync();
            await page.GetByRole(AriaRole.Textbox, new() { Name = "View name" }).FillAsync("Shipped to Oslo");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Saved views" })).ToHaveValueAsync("Shipped to Oslo");
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(4);
            await page.GetByRole(AriaRole.Combobox, new() { Name = "Saved views" }).SelectOptionAsync("Shipped to Oslo");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/runs\?q=oslo$"));
            await Assertions.Expect(rows).ToHaveCountAsync(1);
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).ClickAsync();

            // A preset range is a rolling window: the run of three hours ago is outside the last hour.
            await page.GetByRole(AriaRole.Group, new() { Name = "Started within" }).GetByRole(AriaRole.Button, new() { Name = "1 h" }).ClickAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(3);
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"range=1h"));

            // Columns and density are the person's, and stay after a reload.
            await page.GetByText("Columns", new() { Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Checkbox, new() { Name = "Tags" }).CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Compact" }).ClickAsync();
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Tags" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("table.runs-table.compact")).ToHaveCountAsync(1);
            await Assertions.Expect(rows.Filter(new() { HasText = "refund-run" })).ToContainTextAsync("vip");
            await SnapshotAsync(page, "runs");

            // The export holds every matching run, with a spreadsheet formula disarmed.
            await page.GetByText("Export", new() { Exact = true }).ClickAsync();
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "CSV (spreadsheets)" }).ClickAsync());
            var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
            var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("id,agent_id,agent_name,name,status,", lines[0], StringComparison.Ordinal);
            Assert.Equal(4, lines.Length);
            Assert.Contains(lines, l => l.StartsWith("'=cmd", StringComparison.Ordinal) || l.StartsWith("\"'=cmd", StringComparison.Ordinal));
            await Assertions.Expect(page.GetByText("Exported 3 runs.")).ToBeVisibleAsync();
        });
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
        await using var server = StartServer();
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

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
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
            await SignInAsync(phone, viewer.Email, viewer.Password);
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
        });
    }

    [Fact]
    public async Task Approvals_arrive_live_and_are_decided_notifications_are_read_and_a_webhook_shows_its_secret_once()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        // A require_approval policy that admins decide; the SDK's key asks, so the admin in the browser may decide.
        var (tenant, key) = await PolicyCheckTests.TenantWithPoliciesAsync(api);
        var otherAdmin = await api.AddMemberAsync(tenant, "admin");

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Notifications: none unread" })).ToBeVisibleAsync();

            // The queue is empty; requests made meanwhile appear without a reload (the page re-reads it every 5 s).
            await nav.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Nothing waits for a decision")).ToBeVisibleAsync();
            foreach (var (run, percent) in new[] { ("run-approve-me", 30), ("run-too-late", 40) })
            {
                var check = (await PolicyCheckTests.CheckAsync(api, key, run, "sales-bot", new { type = "apply_discount", discount_percent = percent },
                    new { customer = "acme" })).Expect(200).Body;
                Assert.Equal("require_approval", check.GetProperty("decision").GetString());
            }
            var cards = page.Locator("article.approval-card");
            await Assertions.Expect(cards).ToHaveCountAsync(2, new() { Timeout = 15_000 });
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Approvals (2 pending)" })).ToBeVisibleAsync();
            var card = cards.Filter(new() { HasText = "run-approve-me" });
            await Assertions.Expect(card.GetByRole(AriaRole.Heading)).ToHaveTextAsync("apply_discount by sales-bot");
            await Assertions.Expect(card.GetByRole(AriaRole.Link, new() { Name = "run-approve-me" })).ToHaveAttributeAsync("href", "#/runs/run-approve-me");
            await Assertions.Expect(card.Locator(".countdown")).ToHaveTextAsync(new Regex(@"^(59 min \d\d s|1 h 00 min)$"));
            await card.GetByText("Action and context").ClickAsync();
            await Assertions.Expect(card.GetByRole(AriaRole.Region, new() { Name = "Action", Exact = true })).ToContainTextAsync("\"discount_percent\": 30");
            await Assertions.Expect(card.GetByRole(AriaRole.Region, new() { Name = "Context", Exact = true })).ToContainTextAsync("\"customer\": \"acme\"");
            await SnapshotAsync(page, "approvals");

            // Approved with a comment: it leaves the queue and shows in the history.
            await card.GetByRole(AriaRole.Button, new() { Name = "Approve…" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Comment").FillAsync("ok for acme");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(cards).ToHaveCountAsync(1);

            // Decided by someone else while the dialog is open: the dialog says so and offers nothing more to submit.
            var late = cards.Filter(new() { HasText = "run-too-late" });
            await late.GetByRole(AriaRole.Button, new() { Name = "Reject…" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Comment is required: it is the reason the agent is told.")).ToBeVisibleAsync();
            var lateId = (await api.Get("/api/v1/approvals/pending?run_id=run-too-late", tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0].GetProperty("id").GetGuid();
            (await api.Post($"/api/v1/approvals/{lateId}/approve", new { }, otherAdmin.Token)).Expect(200);
            await dialog.GetByLabel("Comment").FillAsync("not for acme");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("Someone has already decided this request.");
            await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true })).ToBeHiddenAsync();
            await SnapshotAsync(page, "approval-decided-elsewhere");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Nothing waits for a decision")).ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Tab, new() { Name = "Approved" }).ClickAsync();
            var history = page.GetByRole(AriaRole.Table, new() { Name = "Approval requests approved, newest first" });
            await Assertions.Expect(history.GetByRole(AriaRole.Row)).ToHaveCountAsync(3);
            var approved = history.GetByRole(AriaRole.Row).Filter(new() { HasText = "run-approve-me" });
            await Assertions.Expect(approved).ToContainTextAsync("ok for acme");
            await Assertions.Expect(approved.GetByText("You", new() { Exact = true })).ToBeVisibleAsync(); // decided by the person signed in
            await SnapshotAsync(page, "approvals-history");

            // Each request was announced (approval.requested): the bell counts them; one read, then all.
            var bell = page.GetByRole(AriaRole.Link, new() { Name = "Notifications: 2 unread" });
            await bell.ClickAsync();
            var notices = page.GetByRole(AriaRole.List, new() { Name = "Notifications, newest first" }).GetByRole(AriaRole.Listitem);
            await Assertions.Expect(notices).ToHaveCountAsync(2);
            await Assertions.Expect(notices.First).ToContainTextAsync("Approval needed: Approve large discounts");
            await Assertions.Expect(notices.First).ToContainTextAsync("Warning");
            await SnapshotAsync(page, "notifications");
            await notices.First.GetByRole(AriaRole.Button, new() { Name = "Mark read" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Notifications: 1 unread" })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Notifications: none unread" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".notice.unread")).ToHaveCountAsync(0);

            // A webhook endpoint: its secret once, then only its hint; deleted.
            await nav.GetByRole(AriaRole.Link, new() { Name = "Webhooks", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).First.ClickAsync();
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("Ops pager");
            await dialog.GetByLabel("URL").FillAsync("https://hooks.agentops-test.invalid/agentops");
            await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Approval requested" }).CheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
            var secret = await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" }).InputValueAsync();
            Assert.Matches(new Regex("^whsec_[A-Za-z0-9_-]{43}$"), secret);
            await SnapshotAsync(page, "webhook-secret");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "I have stored the secret" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("You have not copied the secret.")).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "I have stored the secret" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var hook = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Ops pager" });
            await Assertions.Expect(hook).ToContainTextAsync($"…{secret[^4..]}");
            await Assertions.Expect(hook).ToContainTextAsync("approval.requested");
            Assert.DoesNotContain(secret[6..], await page.ContentAsync());

            // Its delivery log, with a test delivery (it may well fail: the host does not exist).
            await hook.GetByRole(AriaRole.Button, new() { Name = "Deliveries of Ops pager" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("No deliveries yet")).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Table, new() { Name = "Delivery log of Ops pager, newest first" }).GetByText("webhook.test")).ToBeVisibleAsync();
            await SnapshotAsync(page, "webhook-deliveries");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();
            await SnapshotAsync(page, "webhooks");

            await hook.GetByRole(AriaRole.Button, new() { Name = "Delete Ops pager" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete endpoint" }).ClickAsync();
            await Assertions.Expect(page.GetByText("No webhook endpoints yet")).ToBeVisibleAsync();

            // The history on a phone-sized screen: rows become cards.
            await page.SetViewportSizeAsync(390, 844);
            await nav.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).ClickAsync();
            await page.GetByRole(AriaRole.Tab, new() { Name = "Approved" }).ClickAsync();
            await Assertions.Expect(history.GetByText("ok for acme")).ToBeVisibleAsync();
            await SnapshotAsync(page, "approvals-history-phone");
        });
    }

    [Fact]
    public async Task A_list_pages_with_load_more_and_refused_filters_show_at_the_filters()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        // One page of runs is 50 (RUN_PAGE_SIZE in pages/runs.ts): 60 runs make a second page.
        (await api.IngestAsync(key, [.. Enumerable.Range(0, 60).Select(i => Ingesting.Event($"start-{i}", "run.start", i, runId: $"paged-{i:00}"))])).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(50))
        {
            var listed = (await api.Get("/api/v1/runs?limit=100", key)).Expect(200).Body;
            if (listed.GetProperty("items").GetArrayLength() == 60) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The runs were not processed.");
        }

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();

            await page.GotoAsync("/#/runs");
            var rows = page.Locator("#main table tbody tr");
            await Assertions.Expect(page.GetByText("50 runs shown, more below")).ToBeVisibleAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(50);
            await page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
            await Assertions.Expect(page.GetByText("60 runs shown", new() { Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(60);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load more" })).ToHaveCountAsync(0);
            Assert.Equal(60, (await rows.AllInnerTextsAsync()).Distinct().Count());

            // A filter the API refuses: the reason at the filters, an empty list, no "Load more".
            await page.GotoAsync("/#/runs?min_cost_usd=-1");
            await Assertions.Expect(page.GetByText("Check the filters.")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("must be from 0 to 1,000,000,000.")).ToBeVisibleAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load more" })).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task A_job_made_in_the_form_shows_live_shard_progress_and_its_event_log_and_a_schedule_is_made_paused_and_deleted()
    {
        // No ClickHouse here, whatever the environment says: an export is then the API's 422 on the kind.
        await using var server = StartServer(new() { ["AGENTOPS_CLICKHOUSE_URL"] = null });
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        string[] types = ["log", "llm.call", "tool.call", "error"];
        var events = Enumerable.Range(0, 300).Select(i => Ingesting.Event($"e-{i:D4}", types[i % 4], i, $"run-{i % 5}", extra: types[i % 4] switch
        {
            "llm.call" => new { model = "gpt-4o", tokens_in = 1000, tokens_out = 100 },
            "tool.call" => (object)new { tool_name = "search" },
            _ => null,
        })).ToArray();
        foreach (var chunk in events.Chunk(100)) (await api.IngestAsync(key, chunk)).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(100))
        {
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId) == 300) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The 300 events were not stored.");
        }

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
            await nav.GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByText("No jobs yet")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("No schedules yet")).ToBeVisibleAsync();

            // An export on a host without ClickHouse: the API's 422 lands on the kind.
            await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).First.ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            var kind = dialog.GetByLabel("Kind", new() { Exact = true });
            await kind.SelectOptionAsync("clickhouse_export");
            await Assertions.Expect(dialog.GetByLabel("Activity")).ToBeHiddenAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Kind needs ClickHouse: set AGENTOPS_CLICKHOUSE_URL")).ToBeVisibleAsync();
            await Assertions.Expect(kind).ToHaveAttributeAsync("aria-invalid", "true");

            // A custom job, 10 rows a batch over 2 shards, due in a few seconds: seen scheduled at nothing done, then live to the end.
            await kind.SelectOptionAsync("custom");
            await Assertions.Expect(dialog.GetByLabel("Activity")).ToHaveValueAsync("events.count_by_type");
            await dialog.GetByLabel("Batch size").FillAsync("10");
            await dialog.GetByLabel("Parallelism").FillAsync("2");
            // Chromium writes a datetime-local value without its seconds when they are :00, and Playwright's fill
            // refuses a value the input does not read back as given ("Malformed value"): one run in sixty failed.
            var soon = await page.EvaluateAsync<string>("""
                () => { const d = new Date(Date.now() + 8000); const p = (n) => String(n).padStart(2, '0');
                        const seconds = d.getSeconds() === 0 ? '' : `:${p(d.getSeconds())}`;
                        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}${seconds}`; }
                """);
            await dialog.GetByLabel("Scheduled at").FillAsync(soon);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var jobs = page.GetByRole(AriaRole.Table, new() { Name = "Jobs, newest first" });
            var row = jobs.GetByRole(AriaRole.Row).Filter(new() { HasText = "events.count_by_type" });
            await Assertions.Expect(row).ToContainTextAsync("Scheduled");
            await Assertions.Expect(row).ToContainTextAsync("Not planned yet · 0 rows");
            await SnapshotAsync(page, "jobs-scheduled");

            await row.GetByRole(AriaRole.Link, new() { Name = "Custom activity: events.count_by_type" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Custom activity: events.count_by_type", Level = 1 })).ToBeVisibleAsync();
            var firstId = page.Url.Split("#/jobs/")[1];
            row = jobs.GetByRole(AriaRole.Row).Filter(new() { HasText = firstId });
            var overall = page.GetByRole(AriaRole.Progressbar, new() { Name = "Overall progress" });
            var statusLine = page.Locator(".title-status");
            await Assertions.Expect(statusLine).ToHaveTextAsync("Scheduled");
            await Assertions.Expect(overall).ToHaveAttributeAsync("aria-valuenow", "0");
            await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Payload" })).ToContainTextAsync("\"activity\": \"events.count_by_type\"");
            await Assertions.Expect(page.GetByText("Planned into key ranges when the job starts.")).ToBeVisibleAsync();

            // The page polls every 2 s: the bars fill, shard by shard, and the job ends succeeded.
            await Assertions.Expect(statusLine).ToHaveTextAsync("Succeeded", new() { Timeout = 30_000 });
            await Assertions.Expect(overall).ToHaveAttributeAsync("aria-valuenow", "100");
            await Assertions.Expect(page.Locator(".job-summary")).ToContainTextAsync("300 of ~300 rows processed");
            var shards = page.GetByRole(AriaRole.Table, new() { Name = "Shards of this job" }).Locator("tbody tr");
            await Assertions.Expect(shards).ToHaveCountAsync(2);
            foreach (var i in new[] { 0, 1 })
            {
                await Assertions.Expect(shards.Nth(i)).ToContainTextAsync("Succeeded");
                await Assertions.Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = $"Shard {i}", Exact = true })).ToHaveAttributeAsync("aria-valuenow", "100");
            }
            var log = page.GetByRole(AriaRole.Table, new() { Name = "Event log of this job, newest first" });
            var succeeded = log.Locator("tbody tr").First;
            await Assertions.Expect(succeeded).ToContainTextAsync("Job succeeded");
            await Assertions.Expect(succeeded).ToContainTextAsync("Info");
            await Assertions.Expect(log.GetByText("Planned 2 shard(s)")).ToBeVisibleAsync();
            await Assertions.Expect(log.GetByText("Shard done")).ToHaveCountAsync(2);
            await succeeded.GetByText("Data", new() { Exact = true }).ClickAsync();
            await Assertions.Expect(succeeded.GetByRole(AriaRole.Region)).ToContainTextAsync("\"rows\": 300");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeHiddenAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed shards" })).ToBeHiddenAsync();
            await SnapshotAsync(page, "job-succeeded");

            // Cancelled elsewhere while this page still offers Cancel (a job due in an hour is not polled): the 409 says so.
            var later = (await api.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true, scheduled_at = DateTimeOffset.UtcNow.AddHours(1) }, tenant.AdminToken))
                .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
            await page.GotoAsync($"/#/jobs/{later}");
            await Assertions.Expect(statusLine).ToHaveTextAsync("Scheduled");
            (await api.Post($"/api/v1/jobs/{later}/cancel", new { }, tenant.AdminToken)).Expect(200);
            await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("The job is already cancelled.");
            await Assertions.Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing is left to cancel");
            await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeHiddenAsync();
            await SnapshotAsync(page, "job-cancel-conflict");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
            await Assertions.Expect(statusLine).ToHaveTextAsync("Cancelled");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeHiddenAsync();

            // Both shards fail after 3 batches with no attempt left: the job fails part way, with its error and checkpoints;
            // Retry runs them on from there, live to the end.
            var failing = (await api.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type", fail_once_at_batch = 3 },
                batch_size = 10, parallelism = 2, max_attempts = 1 }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
            await page.GotoAsync($"/#/jobs/{failing}");
            await Assertions.Expect(statusLine).ToHaveTextAsync("Failed", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator(".job-summary")).ToContainTextAsync("60 of ~300 rows processed");
            await Assertions.Expect(overall).ToHaveAttributeAsync("aria-valuenow", "20");
            await Assertions.Expect(shards.Nth(0)).ToContainTextAsync("Injected fault after 3 batch(es)");
            await Assertions.Expect(shards.Nth(0)).ToContainTextAsync("30 rows of ~150 · 3 batches");
            await Assertions.Expect(log.Locator("tbody tr").First).ToContainTextAsync("Error");
            await Assertions.Expect(log.Locator("tbody tr").First).ToContainTextAsync("Job failed");
            await SnapshotAsync(page, "job-failed");
            await page.GetByRole(AriaRole.Button, new() { Name = "Retry failed shards" }).ClickAsync();
            await Assertions.Expect(dialog).ToContainTextAsync("Run the 2 failed shards");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Retry", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(statusLine).ToHaveTextAsync("Succeeded", new() { Timeout = 30_000 });
            await Assertions.Expect(overall).ToHaveAttributeAsync("aria-valuenow", "100");
            await Assertions.Expect(shards.Nth(1)).ToContainTextAsync("150 rows of ~150 · 15 batches");
            await Assertions.Expect(log.GetByText("Retrying 2 failed shard(s) from their checkpoints")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed shards" })).ToBeHiddenAsync();

            // Back on the list: the three jobs, the first one whole.
            await page.GetByRole(AriaRole.Link, new() { Name = "← Jobs" }).ClickAsync();
            await Assertions.Expect(jobs.Locator("tbody tr")).ToHaveCountAsync(3);
            await Assertions.Expect(row).ToContainTextAsync("Succeeded");
            await Assertions.Expect(row).ToContainTextAsync("2 of 2 shards done · 300 rows");
            await Assertions.Expect(row.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "100");
            await page.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("cancelled");
            await Assertions.Expect(jobs.Locator("tbody tr")).ToHaveCountAsync(1);
            await Assertions.Expect(jobs).ToContainTextAsync("Reindex");
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).First.ClickAsync();
            await Assertions.Expect(jobs.Locator("tbody tr")).ToHaveCountAsync(3);

            // A schedule: a bad cron is the API's 422 on its field; made, paused with its switch, deleted.
            await page.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("Every five");
            var cron = dialog.GetByLabel("Cron", new() { Exact = true });
            await cron.FillAsync("*/5 * * *");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Cron must have five fields")).ToBeVisibleAsync();
            await Assertions.Expect(cron).ToHaveAttributeAsync("aria-invalid", "true");
            await cron.FillAsync("*/5 * * * *");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create schedule" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var schedule = page.GetByRole(AriaRole.Table, new() { Name = "Job schedules" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "Every five" });
            await Assertions.Expect(schedule).ToContainTextAsync("*/5 * * * *");
            await Assertions.Expect(schedule).ToContainTextAsync("None yet");
            var active = schedule.GetByRole(AriaRole.Switch, new() { Name = "Active: Every five" });
            await Assertions.Expect(active).ToBeCheckedAsync();
            await active.ClickAsync();
            await Assertions.Expect(schedule).ToContainTextAsync("Paused");
            await Assertions.Expect(active).Not.ToBeCheckedAsync();
            await SnapshotAsync(page, "jobs");
            await schedule.GetByRole(AriaRole.Button, new() { Name = "Delete Every five" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete schedule" }).ClickAsync();
            await Assertions.Expect(page.GetByText("No schedules yet")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task A_jobs_orchestration_is_listed_opened_with_its_history_timeline_and_purged_after_a_dry_run_count()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var tenant = await api.SignupAsync("Orchestration Org");
        var lead = await api.AddMemberAsync(tenant, "team_lead");
        var id = (await api.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(150))
        {
            var reply = await api.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken);
            if ((int)reply.Status == 200 && reply.Body.GetProperty("status").GetString() == "completed") break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The job's orchestration did not complete: {reply.Body}");
        }

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
            await nav.GetByRole(AriaRole.Link, new() { Name = "Orchestrations", Exact = true }).ClickAsync();

            // Listed with its status, its job and whole progress; the filters narrow the list and clear again.
            var table = page.GetByRole(AriaRole.Table, new() { Name = "Orchestration instances, newest first" });
            var row = table.GetByRole(AriaRole.Row).Filter(new() { HasText = id.ToString() });
            await Assertions.Expect(row).ToContainTextAsync("Completed");
            await Assertions.Expect(row).ToContainTextAsync("Reindex");
            await Assertions.Expect(row.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "100");
            await page.GetByRole(AriaRole.Checkbox, new() { Name = "Failed", Exact = true }).CheckAsync();
            await Assertions.Expect(page.GetByText("No orchestration matches these filters.")).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Checkbox, new() { Name = "Completed", Exact = true }).CheckAsync();
            await Assertions.Expect(row).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).First.ClickAsync();
            await page.GetByLabel("Instance id").FillAsync("not-hex");
            await Assertions.Expect(page.GetByText("must be the start of an instance id")).ToBeVisibleAsync();
            await page.GetByLabel("Instance id").FillAsync(id.ToString()[..8]);
            await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(1);
            await SnapshotAsync(page, "orchestrations");

            // The instance: its job, the history as a timeline of every activity, inputs and outputs on demand; no
            // operation applies to a completed instance but purge.
            await row.GetByRole(AriaRole.Link, new() { Name = $"JobOrchestrator {id}" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "JobOrchestrator", Level = 1 })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".title-status")).ToHaveTextAsync("Completed");
            var timeline = page.GetByRole(AriaRole.List, new() { Name = "History timeline" });
            await Assertions.Expect(timeline.Locator("li").First).ToContainTextAsync("Started");
            await Assertions.Expect(timeline.Locator("li").Last).ToContainTextAsync("Completed");
            foreach (var activity in new[] { "PlanJob", "RunShard", "FinishJob" })
                await Assertions.Expect(timeline.Locator("li.activity.completed").Filter(new() { HasText = activity }).First).ToBeVisibleAsync();
            await Assertions.Expect(timeline.Locator("li.activity.failed")).ToHaveCountAsync(0);
            await page.GetByLabel("Show inputs and outputs").CheckAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Orchestration output", Exact = true })).ToContainTextAsync("succeeded");
            await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Orchestration input", Exact = true })).ToContainTextAsync(id.ToString());
            foreach (var absent in new[] { "Suspend", "Resume", "Raise event", "Terminate" })
                await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = absent, Exact = true })).ToBeHiddenAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Purge", Exact = true })).ToBeVisibleAsync();
            await SnapshotAsync(page, "orchestration");

            // The job page links to its orchestration.
            await page.GotoAsync($"/#/jobs/{id}");
            await Assertions.Expect(page.Locator(".title-status")).ToHaveTextAsync("Succeeded");
            await page.GetByRole(AriaRole.Link, new() { Name = "Orchestration", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "JobOrchestrator", Level = 1 })).ToBeVisibleAsync();

            // A team lead reads the history but is offered no operation.
            var other = await browser.NewPageAsync(new() { BaseURL = server.Url.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
            other.PageError += (_, e) => problems.Add(e);
            await SignInAsync(other, lead.Email, lead.Password);
            await other.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Orchestrations", Exact = true }).ClickAsync();
            await other.GetByRole(AriaRole.Link, new() { Name = $"JobOrchestrator {id}" }).ClickAsync();
            await Assertions.Expect(other.GetByRole(AriaRole.List, new() { Name = "History timeline" })).ToContainTextAsync("FinishJob");
            await Assertions.Expect(other.GetByRole(AriaRole.Button, new() { Name = "Purge", Exact = true })).ToBeHiddenAsync();
            await other.GetByRole(AriaRole.Link, new() { Name = "← Orchestrations" }).ClickAsync();
            await Assertions.Expect(other.GetByRole(AriaRole.Button, new() { Name = "Purge ended…" })).ToHaveCountAsync(0);
            await other.CloseAsync();

            // Purge by filter: the dry run counts first, then the same filter purges; the job is kept.
            await page.GetByRole(AriaRole.Link, new() { Name = "← Orchestrations" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Purge ended…" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Completed" }).UncheckAsync();
            await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Failed" }).UncheckAsync();
            await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Terminated" }).UncheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Count matching instances" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Statuses choose at least one.")).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Completed" }).CheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Count matching instances" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("1 ended instance matches.")).ToBeVisibleAsync();
            (await api.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).Expect(200);
            await SnapshotAsync(page, "orchestrations-purge");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Purge 1 instance" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByText("No orchestration matches these filters.")).ToBeVisibleAsync(); // the instance id filter is kept
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" }).First.ClickAsync();
            await Assertions.Expect(page.GetByText("No orchestrations yet")).ToBeVisibleAsync();
            (await api.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).ExpectProblem(404, "not_found");
            Assert.Equal("succeeded", (await api.Get($"/api/v1/jobs/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("job").GetProperty("status").GetString());
        });
    }

    [Fact]
    public async Task An_admin_suspends_signals_resumes_terminates_and_purges_a_running_orchestration_from_its_page()
    {
        await using var server = StartServer();
        using var api = await server.WaitReadyAsync();
        var (tenant, key) = await api.SdkTenantAsync();
        (await api.IngestAsync(key, [.. Enumerable.Range(0, 10).Select(i => Ingesting.Event($"e-{i:D3}", "log", i, "run-1"))])).Expect(202);
        await api.WaitForRunAsync(key, "run-1", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 10);
        // A shard another owner holds for a while keeps the orchestration running (waiting for the lease) while we operate.
        var id = (await api.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 1,
            scheduled_at = DateTimeOffset.UtcNow.AddMinutes(1) }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, """
            WITH j AS (UPDATE jobs SET status = 'running', planned_at = now(), started_at = now() WHERE id = $1 RETURNING org_id, id)
            INSERT INTO job_shards (org_id, job_id, idx, source, status, lease_owner, lease_expires_at, rows, batches, data)
            SELECT org_id, id, 0, 'events', 'running', 'ghost-worker', now() + interval '5 minutes', 0, 0, '{}'::jsonb FROM j
            """, id);

        await InBrowserAsync(server, async (browser, page, problems) =>
        {
            await SignInAsync(page, tenant.AdminEmail, tenant.AdminPassword);
            await page.GotoAsync($"/#/orchestrations/{id}");
            var statusLine = page.Locator(".title-status");
            var button = (string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });
            // The page polls every 3 s until the instance has ended.
            await Assertions.Expect(statusLine).ToHaveTextAsync("Running", new() { Timeout = 30_000 });
            await Assertions.Expect(button("Resume")).ToBeHiddenAsync();
            await Assertions.Expect(button("Purge")).ToBeHiddenAsync();

            await button("Suspend").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Reason").FillAsync("looking into it");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Suspend", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(statusLine).ToHaveTextAsync("Suspended", new() { Timeout = 30_000 });
            await Assertions.Expect(button("Suspend")).ToBeHiddenAsync();

            // An event: a payload that is not JSON is refused in the form, a bad name by the API, each at its field.
            await button("Raise event").ClickAsync();
            await dialog.GetByLabel("Event name").FillAsync("bad name!");
            await dialog.GetByLabel("Payload (JSON)").FillAsync("{ text: hello }");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Raise event" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Payload (JSON) must be valid JSON")).ToBeVisibleAsync();
            await dialog.GetByLabel("Payload (JSON)").FillAsync("""{ "text": "hello" }""");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Raise event" }).ClickAsync();
            await Assertions.Expect(dialog.GetByText("Event name must be letters, digits")).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByLabel("Event name")).ToHaveAttributeAsync("aria-invalid", "true");
            await dialog.GetByLabel("Event name").FillAsync("note");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Raise event" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);

            await button("Resume").ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Resume", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(statusLine).ToHaveTextAsync("Running", new() { Timeout = 30_000 });
            var timeline = page.GetByRole(AriaRole.List, new() { Name = "History timeline" });
            await Assertions.Expect(timeline.Locator("li.event_raised")).ToContainTextAsync("Event received: note", new() { Timeout = 30_000 });
            await Assertions.Expect(timeline.Locator("li.suspended")).ToContainTextAsync("looking into it");
            await Assertions.Expect(timeline.Locator("li.resumed")).ToHaveCountAsync(1);
            await SnapshotAsync(page, "orchestration-running");

            // Terminate warns that it cancels the job; once the other owner's lease ends, the job ends cancelled.
            await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "UPDATE job_shards SET lease_expires_at = now() + interval '1 second' WHERE job_id = $1", id);
            await button("Terminate").ClickAsync();
            await Assertions.Expect(dialog).ToContainTextAsync("This cancels its job.");
            await dialog.GetByLabel("Reason").FillAsync("stop it");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Terminate", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator(".toast", new() { HasText = "Orchestration terminated; its job is cancelled." })).ToBeVisibleAsync();
            // The job's books are closed once the lease ends: the instance ends (terminated, or completed by the run that closes them).
            await Assertions.Expect(statusLine).ToHaveTextAsync(new Regex("^(Terminated|Completed)$"), new() { Timeout = 30_000 });
            foreach (var absent in new[] { "Suspend", "Resume", "Raise event", "Terminate" }) await Assertions.Expect(button(absent)).ToBeHiddenAsync();
            for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
            {
                var job = (await api.Get($"/api/v1/jobs/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("job");
                if (job.GetProperty("status").GetString() == "cancelled") break;
                Assert.True(DateTime.UtcNow < deadline, $"the job did not end cancelled: {job}");
            }

            // Purged one by one: back on the list, where it is no more.
            await button("Purge").ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Purge", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Orchestrations", Level = 1 })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("No orchestrations yet")).ToBeVisibleAsync();
            (await api.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).ExpectProblem(404, "not_found");
        });
    }
}

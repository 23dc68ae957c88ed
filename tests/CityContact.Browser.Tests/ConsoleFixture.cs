using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace CityContact.Browser.Tests;

/// <summary>
/// One service (with the simulator) and one headless Chromium for the console tests: Debian's `chromium`, driven by
/// Playwright through its executable path (Playwright's own browser download is never used). Without Chromium the
/// fixture fails every test with a message saying how to install it: a browser test never passes unrun.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Password = "console test passphrase";
    public const string AgentPhone = "agent1";
    public const string SecondAgentPhone = "agent2";

    private static readonly string[] Keywords = ["tax"];

    private IPlaywright? _playwright;

    public BrowserHost Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public long AgentId { get; private set; }

    public long SecondAgentId { get; private set; }

    public long CategoryId { get; private set; }

    public static string ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("CITYCONTACT_CHROMIUM");
        var candidates = string.IsNullOrEmpty(configured)
            ? new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }
            : [configured];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "The browser tests need Chromium and none was found (" + string.Join(", ", candidates) + "). "
                + "`make test` installs Debian's package through scripts/deps.sh (apt-get install chromium); "
                + "or point CITYCONTACT_CHROMIUM at a Chromium executable.");
    }

    public async Task InitializeAsync()
    {
        var chromium = ChromiumPath();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        Host = await BrowserHost.StartAsync(new Dictionary<string, string?>
        {
            // Long enough to see each phase on the desk; the tests end wrap-up early from the desk.
            ["Queues:WrapUpSeconds"] = "60",
            ["Queues:RingTimeoutSeconds"] = "20",
            // A caller left waiting turns the queue amber, then red, within the test's patience; the rates are left
            // out (judged only from 1000 calls offered) so that the order of the tests changes no queue's colour.
            ["Wallboard:LongestWaitAmberSeconds"] = "2",
            ["Wallboard:LongestWaitRedSeconds"] = "4",
            ["Wallboard:MinimumOffered"] = "1000",
        }, ct);
        using var admin = Host.Admin();
        await OpenAroundTheClockAsync(admin, ct);
        CategoryId = await CreateCategoryAsync(admin, ct);
        AgentId = await CreateAgentAsync(admin, "Ana Popescu", AgentPhone, ct);
        SecondAgentId = await CreateAgentAsync(admin, "Andrei Ionescu", SecondAgentPhone, ct);
        await CreateAccountAsync(admin, "ana", "Ana Popescu", "agent", AgentId, "ro", ct);
        await CreateAccountAsync(admin, "andrei", "Andrei Ionescu", "agent", SecondAgentId, "en", ct);
        await CreateAccountAsync(admin, "sara", "Sara Marin", "supervisor", null, "en", ct);
        await CreateAccountAsync(admin, "ada", "Ada Admin", "admin", null, "en", ct);
        await CreateAccountAsync(admin, "radu", "Radu Raport", "reporter", null, "en", ct);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    /// <summary>A fresh browser profile at 1366×768, signed in as <paramref name="username"/> and on its first page.</summary>
    public async Task<IPage> SignedInPageAsync(string username, string expectedPath)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1366, Height = 768 }, Locale = "en-GB",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("User name").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + expectedPath);
        await page.Locator("body.ready").WaitForAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>The city-hall schedule open every day, so that the IVR hands calls to the queues whatever the hour of the run.</summary>
    private static async Task OpenAroundTheClockAsync(HttpClient admin, CancellationToken ct)
    {
        var schedules = await BrowserHost.ReadAsync(await admin.GetAsync("/api/ivr/schedules", ct), ct);
        var cityHall = schedules.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("code").GetString() == "city-hall");
        var id = cityHall.GetProperty("id").GetInt64();
        var schedule = await BrowserHost.ReadAsync(await admin.GetAsync($"/api/ivr/schedules/{id}", ct), ct);
        await BrowserHost.ReadAsync(await admin.PutAsJsonAsync($"/api/ivr/schedules/{id}", new
        {
            code = "city-hall",
            name = "City hall office hours",
            timeZone = schedule.GetProperty("timeZone").GetString(),
            hours = Enumerable.Range(1, 7).Select(day => new { dayOfWeek = day, opens = "00:00", closes = "23:59:59" }),
            holidays = Array.Empty<object>(),
        }, ct), ct);
    }

    private static async Task<long> CreateCategoryAsync(HttpClient admin, CancellationToken ct)
    {
        var departments = await BrowserHost.ReadAsync(await admin.GetAsync("/api/departments", ct), ct);
        var items = departments.ValueKind == JsonValueKind.Array ? departments : departments.GetProperty("items");
        var taxes = items.EnumerateArray().First(d => d.GetProperty("code").GetString() == "taxes").GetProperty("id").GetInt64();
        var category = await BrowserHost.ReadAsync(await admin.PostAsJsonAsync("/api/ticket-categories", new
        {
            code = "property-tax", name = "Property tax", description = "Questions and requests about property tax",
            departmentId = taxes, slaBusinessHours = 16, keywords = Keywords, active = true,
        }, ct), ct);
        return category.GetProperty("id").GetInt64();
    }

    private async Task<long> CreateAgentAsync(HttpClient admin, string name, string phone, CancellationToken ct)
    {
        await Host.Sim.Phone(phone).RegisterAsync(ct);
        var agent = await BrowserHost.ReadAsync(await admin.PostAsJsonAsync("/api/agents", new
        {
            name, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty = 0 } },
        }, ct), ct);
        return agent.GetProperty("id").GetInt64();
    }

    private static async Task CreateAccountAsync(HttpClient admin, string username, string displayName, string role, long? agentId, string language, CancellationToken ct) =>
        await BrowserHost.ReadAsync(await admin.PostAsJsonAsync("/api/accounts", new { username, displayName, role, agentId, language, password = Password }, ct), ct);
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Simulator.Scripting;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace CityContact.Browser.Tests;

/// <summary>
/// The console in a real Chromium against the service and its simulator: each role signs in, a synthetic call rings an
/// agent's desk with its screen pop, a ticket is created during it, the wallboard follows the call within 1 s, a
/// supervisor pauses an agent from the board and the desk follows, and an agent cannot open the wallboard.
/// </summary>
public sealed class ConsoleTests(ConsoleFixture console, ITestOutputHelper output) : IClassFixture<ConsoleFixture>
{
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private BrowserHost Host => console.Host;

    private static string Docs(string file) => Path.Combine(TestDatabase.RepositoryRoot(), "docs", file);

    /// <summary>Every agent logged out, so that the next call reaches only the one the test logs in.</summary>
    private async Task AllLoggedOutAsync()
    {
        using var admin = Host.Admin();
        foreach (var id in new[] { console.AgentId, console.SecondAgentId })
        {
            await BrowserHost.ReadAsync(await admin.PostAsync($"/api/agents/{id}/logout", null, Ct), Ct);
        }
    }

    private async Task EnsureLoggedInAsync(long agentId)
    {
        using var admin = Host.Admin();
        var desk = await BrowserHost.ReadAsync(await admin.GetAsync($"/api/agents/{agentId}/desk", Ct), Ct);
        var state = desk.GetProperty("agent").GetProperty("state").GetString();
        if (state is "logged_out" or "offline")
        {
            await BrowserHost.ReadAsync(await admin.PostAsync($"/api/agents/{agentId}/login", null, Ct), Ct);
        }
        else if (state == "paused")
        {
            await BrowserHost.ReadAsync(await admin.PostAsync($"/api/agents/{agentId}/unpause", null, Ct), Ct);
        }
    }

    /// <summary>A ticket assigned to the agent (as a supervisor would), returning its number.</summary>
    private async Task<string> AssignedTicketAsync(long agentId, string citizenPhone)
    {
        using var admin = Host.Admin();
        var ticket = await BrowserHost.ReadAsync(await admin.PostAsJsonAsync("/api/tickets", new
        {
            kind = "request", channel = "phone", categoryId = console.CategoryId, description = "Cere un certificat fiscal.", citizenPhone,
        }, Ct), Ct);
        var id = ticket.GetProperty("id").GetInt64();
        await BrowserHost.ReadAsync(await admin.PostAsJsonAsync($"/api/tickets/{id}/assign", new { agentId }, Ct), Ct);
        return ticket.GetProperty("number").GetString()!;
    }

    /// <summary>A citizen dials the city and picks taxes (1, then 1) in the default flow.</summary>
    private async Task<SimulatedCaller> CallTaxesAsync(string from)
    {
        var caller = Host.Sim.Trunk.Dial(from, BrowserHost.CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        return caller;
    }

    private static async Task WaitForAgentStateAsync(IPage board, long agentId, string state) =>
        await board.WaitForFunctionAsync("([id, state]) => document.querySelector(`tr[data-agent=\"${id}\"]`)?.dataset.state === state",
            new object[] { agentId, state }, new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 15000 });

    [Fact]
    public async Task Each_role_signs_in_to_its_own_page_and_an_agent_does_so_by_keyboard_alone()
    {
        // The agent: keyboard only, in Romanian (her account's language).
        var context = await console.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page.Locator("#username")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("ana");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(ConsoleFixture.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/desk.html");
        await Expect(page.Locator("#my-state-title")).ToHaveTextAsync("Starea mea");
        await Expect(page.Locator("#language")).ToHaveValueAsync("ro");
        await context.CloseAsync();

        var supervisor = await console.SignedInPageAsync("sara", "/wallboard.html");
        await Expect(supervisor.GetByRole(AriaRole.Link, new() { Name = "Accounts" })).ToHaveCountAsync(0);
        await supervisor.Context.CloseAsync();

        var admin = await console.SignedInPageAsync("ada", "/wallboard.html");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Accounts" }).ClickAsync();
        await admin.WaitForURLAsync("**/accounts.html");
        await Expect(admin.Locator("tr[data-account='ana']")).ToBeVisibleAsync();
        await admin.Context.CloseAsync();

        // A reporter has no console page: signed in, and told so.
        var reporterContext = await console.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Host.BaseAddress.ToString() });
        var reporter = await reporterContext.NewPageAsync();
        await reporter.GotoAsync("/");
        await reporter.GetByLabel("User name").FillAsync("radu");
        await reporter.GetByLabel("Password").FillAsync(ConsoleFixture.Password);
        await reporter.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(reporter.Locator("#signin-message")).ToContainTextAsync("no page");
        await reporterContext.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_on_the_sign_in_page()
    {
        var context = await console.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Host.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("User name").FillAsync("radu");
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#signin-message")).ToContainTextAsync("Sign-in refused");
        await Expect(page.Locator("#password")).ToBeFocusedAsync();
        Assert.EndsWith("/", page.Url, StringComparison.Ordinal);
        await context.CloseAsync();
    }

    [Fact]
    public async Task An_agent_cannot_open_the_wallboard()
    {
        var desk = await console.SignedInPageAsync("andrei", "/desk.html");

        await desk.GotoAsync("/wallboard.html");

        await desk.WaitForURLAsync("**/desk.html");
        Assert.Equal(403, await desk.EvaluateAsync<int>("async () => (await fetch('/api/wallboard')).status"));
        Assert.Equal(403, await desk.EvaluateAsync<int>("async () => (await fetch('/api/accounts')).status"));
        await desk.Context.CloseAsync();
    }

    [Fact]
    public async Task The_pages_are_served_under_a_strict_content_security_policy()
    {
        using var client = new HttpClient { BaseAddress = Host.BaseAddress };
        foreach (var path in new[] { "/", "/desk.html", "/wallboard.html", "/accounts.html", "/api.js", "/console.css" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_page_runs_without_a_script_error_or_a_blocked_resource()
    {
        foreach (var (user, first, others) in new[] { ("andrei", "/desk.html", Array.Empty<string>()), ("ada", "/wallboard.html", ["/accounts.html", "/wallboard.html?wall=1"]) })
        {
            var page = await console.SignedInPageAsync(user, first);
            var problems = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error") problems.Add($"{page.Url}: {message.Text}"); };
            page.PageError += (_, error) => problems.Add($"{page.Url}: {error}");
            await page.ReloadAsync();
            await page.Locator("body.ready").WaitForAsync();
            foreach (var path in others)
            {
                await page.GotoAsync(path);
                await page.Locator("body.ready").WaitForAsync();
            }
            await page.Context.CloseAsync();
            Assert.Empty(problems);
        }
    }

    [Fact]
    public async Task A_synthetic_call_rings_the_desk_with_its_screen_pop_and_a_ticket_is_created_during_it()
    {
        await AllLoggedOutAsync();
        var phone = Host.Sim.Phone(ConsoleFixture.AgentPhone).AnswerAfter(TimeSpan.FromSeconds(2));
        var assigned = await AssignedTicketAsync(console.AgentId, "+40256000999");
        var desk = await console.SignedInPageAsync("ana", "/desk.html");
        var mine = desk.Locator("#mine-list");
        await Expect(mine).ToContainTextAsync(assigned);
        await Expect(mine.Locator(".sla")).ToContainTextAsync("mai sunt");
        var state = desk.Locator("#state");
        await Expect(state).ToHaveAttributeAsync("data-state", "logged_out");
        await desk.Locator("#login").ClickAsync();
        await Expect(state).ToHaveAttributeAsync("data-state", "available");

        const string citizen = "+40256000123";
        var caller = await CallTaxesAsync(citizen);

        var phase = desk.Locator("#call-phase");
        await Expect(phase).ToHaveAttributeAsync("data-phase", "ringing");
        await Expect(desk.Locator("#call-caller")).ToHaveTextAsync(citizen);
        await Expect(desk.Locator("#call-queue")).ToHaveTextAsync("taxes");
        await Expect(desk.Locator("#call-ivr")).Not.ToHaveTextAsync("—");
        await Expect(desk.Locator("#ticket-phone")).ToHaveValueAsync(citizen);
        await phone.WaitForAnsweredCallAsync(Ct);
        await Expect(phase).ToHaveAttributeAsync("data-phase", "talking");

        await desk.Locator("#ticket-category").SelectOptionAsync(console.CategoryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await desk.Locator("#ticket-description").FillAsync("Cetățeanul întreabă de ce impozitul pe clădire a crescut.");
        await desk.Locator("#ticket-create").ClickAsync();
        var message = desk.Locator("#ticket-message");
        await Expect(message).ToHaveAttributeAsync("data-kind", "success");
        var number = await message.GetAttributeAsync("data-number");
        Assert.False(string.IsNullOrEmpty(number));
        await Expect(message).ToContainTextAsync(number!);
        using (var admin = Host.Admin())
        {
            var found = await BrowserHost.ReadAsync(await admin.GetAsync($"/api/tickets?citizenPhone={Uri.EscapeDataString(citizen)}", Ct), Ct);
            var ticket = Assert.Single(found.GetProperty("items").EnumerateArray());
            Assert.Equal(number, ticket.GetProperty("number").GetString());
            Assert.Equal(JsonValueKind.String, ticket.GetProperty("dueAt").ValueKind);
        }
        await desk.ScreenshotAsync(new PageScreenshotOptions { Path = Docs("console-desk.png") });

        // A ticket assigned to the agent is resolved from the desk with a resolution text.
        await desk.GetByLabel($"Rezolvare ({assigned})").FillAsync("Certificatul a fost trimis prin poștă.");
        await desk.GetByLabel($"Rezolvare ({assigned})").PressAsync("Enter");
        await Expect(desk.Locator("#mine-message")).ToContainTextAsync(assigned);
        await Expect(mine).Not.ToContainTextAsync(assigned);

        await caller.HangUpAsync(Ct);
        await Expect(phase).ToHaveAttributeAsync("data-phase", "wrap-up");
        await Expect(state).ToHaveAttributeAsync("data-state", "wrap_up");
        await desk.Locator("#wrapup-code").FillAsync("ticket-created");
        await desk.Locator("#wrapup-set").ClickAsync();
        await Expect(desk.Locator("#wrapup-message")).ToHaveAttributeAsync("data-kind", "success");
        await desk.Locator("#wrapup-end").ClickAsync();
        await Expect(state).ToHaveAttributeAsync("data-state", "available");
        await Expect(desk.Locator("#no-call")).ToBeVisibleAsync();

        // The same citizen calls again: the screen pop shows the earlier call and the ticket just opened.
        var again = await CallTaxesAsync(citizen);
        await Expect(phase).ToHaveAttributeAsync("data-phase", "ringing");
        await Expect(desk.Locator("#history-tickets")).ToContainTextAsync(number!);
        await Expect(desk.Locator("#history-calls tbody tr")).Not.ToHaveCountAsync(0);
        await again.HangUpAsync(Ct);
        await Expect(phase).Not.ToHaveAttributeAsync("data-phase", "ringing");
        await desk.Context.CloseAsync();
    }

    [Fact]
    public async Task The_wallboard_follows_a_calls_events_within_a_second()
    {
        await AllLoggedOutAsync();
        await EnsureLoggedInAsync(console.SecondAgentId);
        var phone = Host.Sim.Phone(ConsoleFixture.SecondAgentPhone).AnswerAfter(TimeSpan.FromSeconds(1));
        var board = await console.SignedInPageAsync("sara", "/wallboard.html");
        await WaitForAgentStateAsync(board, console.SecondAgentId, "available");

        var caller = await CallTaxesAsync("+40256000777");
        await phone.WaitForRingAsync(Ct);
        var clock = Stopwatch.StartNew();
        await WaitForAgentStateAsync(board, console.SecondAgentId, "ringing");
        var ringing = clock.Elapsed;

        await phone.WaitForAnsweredCallAsync(Ct);
        clock.Restart();
        await WaitForAgentStateAsync(board, console.SecondAgentId, "on_call");
        var answered = clock.Elapsed;
        await Expect(board.Locator($"tr[data-agent='{console.SecondAgentId}']")).ToContainTextAsync("taxes");
        await board.ScreenshotAsync(new PageScreenshotOptions { Path = Docs("console-wallboard.png") });

        await caller.HangUpAsync(Ct);
        clock.Restart();
        await WaitForAgentStateAsync(board, console.SecondAgentId, "wrap_up");
        var hungUp = clock.Elapsed;

        output.WriteLine($"wallboard after the event: ringing {ringing.TotalMilliseconds:F0} ms, answered {answered.TotalMilliseconds:F0} ms, hung up {hungUp.TotalMilliseconds:F0} ms");
        Assert.True(ringing < TimeSpan.FromSeconds(1), $"ringing shown after {ringing.TotalMilliseconds:F0} ms");
        Assert.True(answered < TimeSpan.FromSeconds(1), $"answer shown after {answered.TotalMilliseconds:F0} ms");
        Assert.True(hungUp < TimeSpan.FromSeconds(1), $"hang-up shown after {hungUp.TotalMilliseconds:F0} ms");
        var tile = board.Locator("article[data-queue='taxes']");
        await Expect(tile.Locator("[data-figure='answered'] dd")).Not.ToHaveTextAsync("0");

        await board.Locator("#large-screen").ClickAsync();
        await Expect(board.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bwall\b"));
        await Expect(board.Locator("header.top")).ToBeHiddenAsync();
        await board.ScreenshotAsync(new PageScreenshotOptions { Path = Docs("console-wallboard-large.png") });
        await board.Keyboard.PressAsync("Escape");
        await Expect(board.Locator("header.top")).ToBeVisibleAsync();
        using var admin = Host.Admin();
        await BrowserHost.ReadAsync(await admin.PostAsync($"/api/agents/{console.SecondAgentId}/wrapup/end", null, Ct), Ct);
        await board.Context.CloseAsync();
    }

    [Fact]
    public async Task A_queue_with_a_caller_left_waiting_turns_amber_then_red_and_says_why()
    {
        await AllLoggedOutAsync();
        var board = await console.SignedInPageAsync("sara", "/wallboard.html");
        var tile = board.Locator("article[data-queue='taxes']");
        await Expect(tile.Locator(".status")).ToHaveAttributeAsync("data-status", "ok");

        var caller = await CallTaxesAsync("+40256000555");

        await Expect(tile.Locator("[data-figure='waiting'] dd")).ToHaveTextAsync("1");
        await Expect(tile.Locator(".status")).ToHaveAttributeAsync("data-status", "amber", new() { Timeout = 10000 });
        await Expect(tile.Locator(".status")).ToHaveTextAsync("▲ AMBER (long wait)");
        await Expect(tile.Locator(".status")).ToHaveAttributeAsync("data-status", "red", new() { Timeout = 10000 });
        await Expect(tile.Locator(".status")).ToHaveTextAsync("■ RED (long wait)");
        await Expect(tile).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstatus-red\b"));

        await caller.HangUpAsync(Ct);
        await Expect(tile.Locator("[data-figure='waiting'] dd")).ToHaveTextAsync("0");
        await Expect(tile.Locator(".status")).ToHaveAttributeAsync("data-status", "ok");
        await board.Context.CloseAsync();
    }

    [Fact]
    public async Task A_supervisor_pauses_an_agent_from_the_wallboard_and_the_desk_follows()
    {
        await EnsureLoggedInAsync(console.SecondAgentId);
        var desk = await console.SignedInPageAsync("andrei", "/desk.html");
        var board = await console.SignedInPageAsync("sara", "/wallboard.html");
        var state = desk.Locator("#state");
        await Expect(state).ToHaveAttributeAsync("data-state", "available");

        await board.Locator("#wall-pause-reason").SelectOptionAsync("lunch");
        await board.GetByRole(AriaRole.Button, new() { Name = "Pause: Andrei Ionescu" }).ClickAsync();

        await Expect(state).ToHaveAttributeAsync("data-state", "paused");
        await Expect(state).ToContainTextAsync("lunch");
        await Expect(desk.Locator("#unpause")).ToBeEnabledAsync();

        await board.GetByRole(AriaRole.Button, new() { Name = "Unpause: Andrei Ionescu" }).ClickAsync();
        await Expect(state).ToHaveAttributeAsync("data-state", "available");
        await board.GetByRole(AriaRole.Button, new() { Name = "Log out: Andrei Ionescu" }).ClickAsync();
        await Expect(state).ToHaveAttributeAsync("data-state", "logged_out");
        await Expect(desk.Locator("#login")).ToBeEnabledAsync();

        // The agent's own actions from the desk, by keyboard.
        await desk.Locator("#login").FocusAsync();
        await desk.Keyboard.PressAsync("Enter");
        await Expect(state).ToHaveAttributeAsync("data-state", "available");

        // Romanian for this person, kept with the account.
        await desk.GetByLabel("Language").SelectOptionAsync("ro");
        await Expect(desk.Locator("#my-state-title")).ToHaveTextAsync("Starea mea");
        await Expect(state).ToHaveTextAsync("Disponibil");
        await desk.ReloadAsync();
        await Expect(desk.Locator("#my-state-title")).ToHaveTextAsync("Starea mea");
        await desk.GetByLabel("Limba").SelectOptionAsync("en");
        await Expect(desk.Locator("#my-state-title")).ToHaveTextAsync("My state");
        await desk.Context.CloseAsync();
        await board.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_creates_an_agent_account_that_signs_in_in_a_second_profile()
    {
        using (var api = Host.Admin())
        {
            await BrowserHost.ReadAsync(await api.PostAsJsonAsync("/api/agents", new
            {
                name = "Ioana Stan", sipEndpoint = "PJSIP/agent9", skills = new[] { new { skill = "taxes", penalty = 0 } },
            }, Ct), Ct);
        }
        var admin = await console.SignedInPageAsync("ada", "/wallboard.html");
        await admin.GotoAsync("/accounts.html");
        await admin.GetByLabel("User name", new() { Exact = true }).FillAsync("ioana");
        await admin.GetByLabel("Name", new() { Exact = true }).FillAsync("Ioana Stan");
        await admin.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("agent");
        await admin.Locator("#account-agent").SelectOptionAsync(new SelectOptionValue { Label = "Ioana Stan (PJSIP/agent9)" });
        await admin.Locator("#account-language").SelectOptionAsync("en");
        await admin.Locator("#account-password").FillAsync(ConsoleFixture.Password);
        await admin.Locator("#account-create").ClickAsync();
        await Expect(admin.Locator("#account-message")).ToHaveAttributeAsync("data-kind", "success");
        await Expect(admin.Locator("tr[data-account='ioana']")).ToBeVisibleAsync();

        var desk = await console.SignedInPageAsync("ioana", "/desk.html");
        await Expect(desk.Locator("#who")).ToContainTextAsync("Ioana Stan");
        await Expect(desk.Locator("#state")).ToHaveAttributeAsync("data-state", new System.Text.RegularExpressions.Regex("offline|logged_out"));
        await desk.Context.CloseAsync();
        await admin.Context.CloseAsync();
    }
}

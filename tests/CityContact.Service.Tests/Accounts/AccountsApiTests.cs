using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CityContact.Service.Tests.Accounts;

public sealed class AccountsApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private const string Password = "correct horse battery";

    private HttpClient Admin => service.Factory.ClientWithKey(ServiceFactory.AdminKey);

    private HttpClient Browser(string baseAddress = "http://localhost") =>
        service.Factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(baseAddress), HandleCookies = true });

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20];

    private async Task<long> NewAgentAsync()
    {
        var phone = Unique("desk");
        var response = await Admin.PostAsJsonAsync("/api/agents", new { name = phone, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty = 0 } } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<(long Id, string Username)> NewAccountAsync(string role, long? agentId = null)
    {
        var username = Unique(role);
        var response = await Admin.PostAsJsonAsync("/api/accounts", new { username, displayName = $"A {role}", role, agentId, language = "en", password = Password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(created.TryGetProperty("password", out _));
        Assert.False(created.TryGetProperty("passwordHash", out _));
        return (created.GetProperty("id").GetInt64(), username);
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string username, string password) =>
        client.PostAsJsonAsync("/api/auth/signin", new { username, password });

    private static async Task<JsonElement> SignedInAsync(HttpClient client, string username)
    {
        var response = await SignInAsync(client, username, Password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task An_agent_account_signs_in_as_its_agent_with_a_session_cookie()
    {
        var agentId = await NewAgentAsync();
        var (id, username) = await NewAccountAsync("agent", agentId);
        using var browser = Browser();

        var response = await SignInAsync(browser, username, Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("cc_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
        var me = await browser.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal(id, me.GetProperty("id").GetInt64());
        Assert.Equal("agent", me.GetProperty("role").GetString());
        Assert.Equal(agentId, me.GetProperty("agentId").GetInt64());
        Assert.Equal("en", me.GetProperty("language").GetString());
        Assert.False(string.IsNullOrEmpty(me.GetProperty("csrfToken").GetString()));
        // The role means what it means for keys: an agent may read departments but not calls or accounts.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/departments")).StatusCode);
        await ProblemAsync(await browser.GetAsync("/api/calls"), HttpStatusCode.Forbidden);
        await ProblemAsync(await browser.GetAsync("/api/accounts"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Over_tls_the_session_cookie_is_secure()
    {
        var (_, username) = await NewAccountAsync("supervisor");
        using var browser = Browser("https://localhost");

        var response = await SignInAsync(browser, username, Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flags = Assert.Single(response.Headers.GetValues("Set-Cookie")).Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("secure", flags, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("httponly", flags, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Behind_a_tls_proxy_the_session_cookie_can_be_always_secure()
    {
        await using var database = new DatabaseFixture();
        await database.InitializeAsync();
        await using var factory = new ServiceFactory(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Accounts:AlwaysSecureCookie"] = "true", ["Accounts:FirstAdminPassword"] = "first admin passphrase",
        });
        using var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://localhost") });

        var response = await SignInAsync(browser, "admin", "first admin passphrase");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flags = Assert.Single(response.Headers.GetValues("Set-Cookie")).Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("secure", flags, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_password_is_stored_only_as_a_salted_slow_hash()
    {
        var (first, _) = await NewAccountAsync("reporter");
        var (second, _) = await NewAccountAsync("reporter");
        await using var connection = await service.DataSource.OpenConnectionAsync();
        var hashes = (await connection.QueryAsync<string>("SELECT password_hash FROM accounts WHERE id = ANY(@ids)", new { ids = new[] { first, second } })).ToList();

        Assert.Equal(2, hashes.Count);
        Assert.NotEqual(hashes[0], hashes[1]); // a salt per hash
        foreach (var hash in hashes)
        {
            Assert.DoesNotContain(Password, hash, StringComparison.Ordinal);
            var bytes = Convert.FromBase64String(hash);
            Assert.Equal(0x01, bytes[0]); // Identity v3: PBKDF2
            Assert.Equal(100_000, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(5)));
        }
    }

    [Fact]
    public async Task Repeated_failures_lock_that_account_only_not_another_from_the_same_address()
    {
        var (lockedId, locked) = await NewAccountAsync("agent", await NewAgentAsync());
        var (_, neighbour) = await NewAccountAsync("supervisor");
        using var browser = Browser();

        for (var attempt = 0; attempt < 5; attempt++)
        {
            await ProblemAsync(await SignInAsync(browser, locked, "wrong password " + attempt), HttpStatusCode.Unauthorized);
        }

        // The right password no longer opens the locked account, and the answer is the same as for a wrong one.
        var refused = await ProblemAsync(await SignInAsync(browser, locked, Password), HttpStatusCode.Unauthorized);
        var unknown = await ProblemAsync(await SignInAsync(browser, "nobody-here", Password), HttpStatusCode.Unauthorized);
        Assert.Equal(unknown.GetProperty("detail").GetString(), refused.GetProperty("detail").GetString());
        // The same address (the same client) signs in to another account at once.
        Assert.Equal(neighbour, (await SignedInAsync(browser, neighbour)).GetProperty("username").GetString());
        var audit = await Admin.GetFromJsonAsync<JsonElement>($"/api/accounts/{lockedId}");
        Assert.True(audit.GetProperty("locked").GetBoolean());
        await using var connection = await service.DataSource.OpenConnectionAsync();
        var actions = (await connection.QueryAsync<string>(
            "SELECT action FROM audit_log WHERE entity = 'account' AND entity_id = @id ORDER BY id", new { id = lockedId.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToList();
        Assert.Equal(["account.created", "account.sign_in_failed", "account.sign_in_failed", "account.sign_in_failed", "account.sign_in_failed", "account.locked"], actions);
    }

    [Fact]
    public async Task A_change_without_the_csrf_token_is_refused_and_with_it_applied()
    {
        var (_, username) = await NewAccountAsync("supervisor");
        using var browser = Browser();
        var token = (await SignedInAsync(browser, username)).GetProperty("csrfToken").GetString()!;

        var missing = await ProblemAsync(await browser.PutAsJsonAsync("/api/me/language", new { language = "ro" }), HttpStatusCode.Forbidden);
        Assert.True(missing.GetProperty("errors").TryGetProperty("X-CSRF-Token", out _));
        using var wrong = new HttpRequestMessage(HttpMethod.Put, "/api/me/language") { Content = JsonContent.Create(new { language = "ro" }) };
        wrong.Headers.Add("X-CSRF-Token", new string('0', token.Length));
        await ProblemAsync(await browser.SendAsync(wrong), HttpStatusCode.Forbidden);
        Assert.Equal("en", (await browser.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("language").GetString());

        using var right = new HttpRequestMessage(HttpMethod.Put, "/api/me/language") { Content = JsonContent.Create(new { language = "ro" }) };
        right.Headers.Add("X-CSRF-Token", token);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(right)).StatusCode);
        Assert.Equal("ro", (await browser.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("language").GetString());
    }

    [Fact]
    public async Task An_admin_reset_is_audited_lifts_the_lock_and_ends_the_old_sessions()
    {
        var (id, username) = await NewAccountAsync("reporter");
        using var before = Browser();
        await SignedInAsync(before, username);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await SignInAsync(Browser(), username, "wrong password");
        }

        var reset = await Admin.PostAsJsonAsync($"/api/accounts/{id}/password", new { password = "a brand new passphrase" });

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.False((await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("locked").GetBoolean());
        await ProblemAsync(await before.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await SignInAsync(Browser(), username, Password), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(Browser(), username, "a brand new passphrase")).StatusCode);
        await using var connection = await service.DataSource.OpenConnectionAsync();
        var actor = await connection.QuerySingleAsync<string>(
            "SELECT actor FROM audit_log WHERE entity = 'account' AND entity_id = @id AND action = 'account.password_reset'",
            new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal("bootstrap", actor);
    }

    [Fact]
    public async Task Sign_out_ends_the_session()
    {
        var (_, username) = await NewAccountAsync("admin");
        using var browser = Browser();
        var token = (await SignedInAsync(browser, username)).GetProperty("csrfToken").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/accounts")).StatusCode);

        using var signOut = new HttpRequestMessage(HttpMethod.Post, "/api/auth/signout");
        signOut.Headers.Add("X-CSRF-Token", token);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(signOut)).StatusCode);

        await ProblemAsync(await browser.GetAsync("/api/accounts"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_and_its_sessions_end()
    {
        var (id, username) = await NewAccountAsync("supervisor");
        using var browser = Browser();
        await SignedInAsync(browser, username);

        var disabled = await Admin.PutAsJsonAsync($"/api/accounts/{id}", new { disabled = true });

        Assert.True((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());
        await ProblemAsync(await browser.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await SignInAsync(Browser(), username, Password), HttpStatusCode.Unauthorized);
        await Admin.PutAsJsonAsync($"/api/accounts/{id}", new { disabled = false });
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(Browser(), username, Password)).StatusCode);
    }

    [Fact]
    public async Task A_request_with_an_api_key_is_judged_by_the_key_and_needs_no_csrf_token()
    {
        var (_, username) = await NewAccountAsync("agent", await NewAgentAsync());
        using var browser = Browser();
        await SignedInAsync(browser, username);
        browser.DefaultRequestHeaders.Add("X-Api-Key", ServiceFactory.AdminKey);

        // The agent's cookie travels too, but the admin key decides: no token needed, admin's rights.
        var created = await browser.PostAsJsonAsync("/api/accounts", new { username = Unique("rep"), displayName = "R", role = "reporter", password = Password });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("admin", (await browser.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Bad_accounts_are_refused_naming_the_field()
    {
        var noAgent = await ProblemAsync(await Admin.PostAsJsonAsync("/api/accounts",
            new { username = Unique("agent"), displayName = "x", role = "agent", password = Password }), HttpStatusCode.BadRequest);
        Assert.True(noAgent.GetProperty("errors").TryGetProperty("agentId", out _));
        var shortPassword = await ProblemAsync(await Admin.PostAsJsonAsync("/api/accounts",
            new { username = Unique("boss"), displayName = "x", role = "supervisor", password = "short" }), HttpStatusCode.BadRequest);
        Assert.True(shortPassword.GetProperty("errors").TryGetProperty("password", out _));
        var badName = await ProblemAsync(await Admin.PostAsJsonAsync("/api/accounts",
            new { username = "Has Spaces", displayName = "x", role = "reporter", password = Password }), HttpStatusCode.BadRequest);
        Assert.True(badName.GetProperty("errors").TryGetProperty("username", out _));
        var (_, taken) = await NewAccountAsync("reporter");
        await ProblemAsync(await Admin.PostAsJsonAsync("/api/accounts",
            new { username = taken, displayName = "x", role = "reporter", password = Password }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_first_admin_is_created_from_configuration_once()
    {
        await using var database = new DatabaseFixture();
        await database.InitializeAsync();
        var settings = new Dictionary<string, string?> { ["Accounts:FirstAdminPassword"] = "first admin passphrase" };
        await using (var factory = new ServiceFactory(database.ConnectionString, settings))
        {
            using var browser = factory.CreateClient();
            var me = await (await SignInAsync(browser, "admin", "first admin passphrase")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("admin", me.GetProperty("role").GetString());
        }
        await using (var again = new ServiceFactory(database.ConnectionString, settings))
        {
            _ = again.Server;
        }
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM accounts"));
        Assert.Equal("configuration", await connection.ExecuteScalarAsync<string>("SELECT created_by FROM accounts"));
    }
}

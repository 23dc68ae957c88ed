using CityContact.RealAsterisk.Tests.Harness;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// Feature codes dialled from a registered pjsua deskphone through the shipped [agents] dialplan: *45 logs the agent in
/// and out, *46 pauses and unpauses; each call is answered, confirms, and is hung up by Asterisk.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class FeatureCodeTests(AsteriskFixture fixture)
{
    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task Star45_logs_in_and_out_and_star46_pauses_and_unpauses_the_agent_of_the_phone()
    {
        var ct = Timeouts.After(90);
        await using var desk = await StartDeskAsync("101", ct);
        var (service, phone, agent) = desk;

        await DialFeatureAsync(phone, "*45", ct);
        await service.WaitForAgentAsync(agent, a => a.State == "available", ct);

        await DialFeatureAsync(phone, "*46", ct);
        var paused = await service.WaitForAgentAsync(agent, a => a.State == "paused", ct);
        Assert.Equal("feature-code", paused.Reason);

        await DialFeatureAsync(phone, "*46", ct);
        await service.WaitForAgentAsync(agent, a => a.State == "available", ct);

        await DialFeatureAsync(phone, "*45", ct);
        await service.WaitForAgentAsync(agent, a => a.State == "logged_out", ct);
    }

    [RealAsteriskFact]
    public async Task Star46_of_a_logged_out_agent_leaves_them_logged_out()
    {
        var ct = Timeouts.After(60);
        await using var desk = await StartDeskAsync("102", ct);
        var (service, phone, agent) = desk;

        await DialFeatureAsync(phone, "*46", ct);

        Assert.Equal("logged_out", (await service.AgentAsync(agent, ct)).State);
    }

    [RealAsteriskFact]
    public async Task The_agent_hears_the_spoken_confirmation_of_a_feature_code()
    {
        var ct = Timeouts.After(60);
        await using var desk = await StartDeskAsync("102", ct);
        var (service, phone, agent) = desk;
        var before = Asterisk.ReadLog().Length;

        await DialFeatureAsync(phone, "*45", ct);

        // Asterisk names a sound it cannot play; the agent would have heard silence instead of "you are logged in".
        var missing = Asterisk.MissingSounds(before);
        Assert.True(missing.Count == 0, string.Join('\n', missing));
        Assert.Equal("available", (await service.AgentAsync(agent, ct)).State);
    }

    /// <summary>The service, and a registered deskphone at <c>extension</c> whose agent exists and is logged out.</summary>
    private sealed record Desk(RealAsteriskService Service, PjsuaPhone Phone, long Agent) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Phone.DisposeAsync();
            await Service.DisposeAsync();
        }
    }

    private async Task<Desk> StartDeskAsync(string extension, CancellationToken ct)
    {
        var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        var phone = PjsuaPhone.Start(Asterisk, extension, PhoneAnswer.AutoAnswer);
        var desk = new Desk(service, phone, 0);
        try
        {
            Assert.True(await phone.RegisteredAsync(ct), phone.Output);
            var agent = await service.CreateAgentAsync(extension, QueueTests.Queue, 0, ct);
            await service.WaitForAgentAsync(agent, a => a is { State: "logged_out", Registered: true }, ct);
            return desk with { Agent = agent };
        }
        catch
        {
            await desk.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Dials the code and waits for the whole call: answered (CONFIRMED), then Asterisk's BYE after the confirmation, then
    /// DISCONNECTED. The phone never hangs up itself, so the BYE can only come from Asterisk.
    /// </summary>
    private async Task DialFeatureAsync(PjsuaPhone phone, string code, CancellationToken ct)
    {
        var from = phone.LineCount;
        await phone.DialAsync($"sip:{code}@127.0.0.1:{Asterisk.Layout.SipPort}", ct);
        await phone.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), from, ct);
        await phone.WaitForLineAsync(l => l.Contains("Request msg BYE", StringComparison.Ordinal), from, ct);
        await phone.WaitForLineAsync(l => l.Contains("is DISCONNECTED", StringComparison.Ordinal), from, ct);
    }
}

using CityContact.RealAsterisk.Tests.Harness;

namespace CityContact.RealAsterisk.Tests;

/// <summary>Agents' deskphones against the shipped pjsip.conf: digest authentication with the rendered passwords.</summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class DeskphoneTests(AsteriskFixture fixture)
{
    [RealAsteriskFact]
    public async Task A_deskphone_registers_with_its_password_and_becomes_the_agents_one_contact()
    {
        var ct = Timeouts.After(30);
        await using var phone = PjsuaPhone.Start(fixture.Asterisk, "102", PhoneAnswer.AutoAnswer);

        var registered = await phone.RegisteredAsync(ct);

        Assert.True(registered, phone.Output + "\n" + fixture.Asterisk.LogTail(20));
        var contacts = await fixture.Asterisk.CliAsync("pjsip show contacts", ct);
        Assert.Matches(@"Contact:\s+102/sip:102@127\.0\.0\.1:\d+", contacts);
    }

    [RealAsteriskFact]
    public async Task A_deskphone_with_a_wrong_password_is_refused()
    {
        var ct = Timeouts.After(30);
        await using var phone = PjsuaPhone.Start(fixture.Asterisk, "103", PhoneAnswer.AutoAnswer, password: "not-the-password");

        var registered = await phone.RegisteredAsync(ct);

        Assert.False(registered, phone.Output);
        Assert.DoesNotMatch(@"Contact:\s+103/", await fixture.Asterisk.CliAsync("pjsip show contacts", ct));
    }
}

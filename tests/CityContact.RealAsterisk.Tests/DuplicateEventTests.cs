using CityContact.RealAsterisk.Tests.Harness;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// One key press is one choice. Asterisk delivers a channel's events once per subscription that covers it, so an app that
/// also subscribes to <c>endpoint:PJSIP</c> receives each trunk channel's DTMF twice; the second copy must not answer the next menu.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class DuplicateEventTests(AsteriskFixture fixture)
{
    private const string CityNumber = "0256969";

    [RealAsteriskFact]
    public Task One_digit_at_the_language_menu_chooses_the_language_and_does_not_also_answer_the_main_menu() =>
        OneKeyIsOneChoiceAsync(subscribeToEndpoints: false);

    [RealAsteriskFact]
    public Task One_digit_is_one_choice_even_when_the_app_is_also_subscribed_to_the_pjsip_endpoints() =>
        // What the service once did itself, and what an operator with ARI access can still do: Asterisk then sends each
        // event of the call twice, byte for byte (ari-endpoint-subscription-duplicates.json).
        OneKeyIsOneChoiceAsync(subscribeToEndpoints: true);

    private async Task OneKeyIsOneChoiceAsync(bool subscribeToEndpoints)
    {
        var ct = Timeouts.After(90);
        var asterisk = fixture.Asterisk;
        await using var service = await RealAsteriskService.StartAsync(asterisk, ct);
        if (subscribeToEndpoints)
        {
            var app = await service.Ari.Rest.Applications.SubscribeAsync(["endpoint:PJSIP"], ct);
            Assert.Equal(["PJSIP"], app.EndpointIds);
        }
        var caller = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);
        // The digit lands 2 s into choose-language (5 s long), after the welcome in the city's default language.
        var pressAt = asterisk.PromptLength("ro", "welcome") + TimeSpan.FromSeconds(2);

        var result = await caller.CallAsync(
            [new Pause(pressAt), Key('2'), Wait(6)], // 6 s of silence: well inside the 15 s main menu
            CallerEnding.HangsUp, ct);

        Assert.True(result.Answered, result.ToString());
        Assert.False(result.HungUpByAsterisk, result.ToString());
        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        // A digit during a prompt is logged twice: the barge-in that stops the prompt, then the choice it makes.
        var keys = timeline.Where(e => e.Type is "barge-in" or "digit" or "invalid").Select(e => $"{e.Type} {e.Data}").ToList();
        Assert.True(keys.Count == 2 && keys.All(k => k.Contains("\"node\": \"language\"", StringComparison.Ordinal)),
            "expected the one key at the language menu only, got: " + string.Join("; ", keys));
        Assert.Equal("en", call.Language);
        Assert.Equal(["welcome", "language", "hours", "main"], call.IvrPath);
        if (subscribeToEndpoints)
        {
            // A subscription outlives the WebSocket: the next instance (an upgrade of one that still subscribed) removes it.
            await using var next = await service.RestartAsync(ct);
            while ((await next.Ari.Rest.Applications.GetAsync("citycontact", ct)).EndpointIds.Length > 0)
            {
                await Task.Delay(50, ct);
            }
        }
    }
}

using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using Dapper;

namespace CityContact.RealAsterisk.Tests;

/// <summary>A resolved ticket makes the city call the citizen through the trunk; the citizen's key press is the ticket's rating.</summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class SurveyTests(AsteriskFixture fixture)
{
    private static readonly Dictionary<string, string?> SurveysOn = new() { ["Surveys:OutboundCalls"] = "true" };

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task Resolving_a_ticket_calls_the_citizen_whose_key_press_is_stored_as_the_rating()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct, settings: SurveysOn);
        await using var citizen = PjsuaPhone.StartCitizen(Asterisk, PhoneAnswer.AutoAnswer);

        var (ticket, _) = await ResolveAndRateAsync(service, citizen, '4', ct);

        var rated = await RatedAsync(service, ticket, ct);
        Assert.True(rated is { Rating: 4, RatingChannel: "ivr" }, $"{rated}\n--- citizen:\n{citizen.Output}\n{Asterisk.LogTail(20)}");
        var (call, timeline) = await OutboundCallAsync(service, ct);
        var because = $"{call}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}";
        Assert.True(call is { Direction: CallDirections.Outbound, AnsweredAt: not null, Outcome: not null }, because);
        Assert.Contains(timeline, e => e.Type == "survey.rated" && e.Data.Contains("\"rating\": 4", StringComparison.Ordinal));
    }

    [RealAsteriskFact]
    public async Task The_survey_calls_row_names_the_citizen_who_was_called()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct, settings: SurveysOn);
        await using var citizen = PjsuaPhone.StartCitizen(Asterisk, PhoneAnswer.AutoAnswer);

        var (_, phone) = await ResolveAndRateAsync(service, citizen, '5', ct);

        var (call, _) = await OutboundCallAsync(service, ct);
        // As a callback's row does: the number dialled is the citizen's (a report by number finds the call).
        Assert.True(call.DialedNumber == phone, $"the survey call's row has caller '{call.Caller}' and dialed_number '{call.DialedNumber}', the citizen is {phone}");
    }

    /// <summary>A ticket of the taxes department with the citizen's number, resolved; the citizen answers the survey call and presses <paramref name="rating"/>.</summary>
    private async Task<(long Ticket, string Phone)> ResolveAndRateAsync(RealAsteriskService service, PjsuaPhone citizen, char rating, CancellationToken ct)
    {
        var phone = SippCaller.UniqueCallerNumber();
        // Wednesday 10:00 in Bucharest: calling hours, so the call is placed at once.
        var (ticket, _) = await service.FileResolvedTicketAsync(phone, ct);
        await citizen.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), ct);
        await citizen.SendDigitsAsync(rating.ToString(), ct);
        // Thanks and goodbye, then the city hangs up.
        await citizen.WaitForLineAsync(l => l.Contains("Request msg BYE", StringComparison.Ordinal), ct);
        return (ticket, phone);
    }

    private static async Task<(Call Call, IReadOnlyList<CallEvent> Timeline)> OutboundCallAsync(RealAsteriskService service, CancellationToken ct)
    {
        var calls = (CallStore)service.Services.GetService(typeof(CallStore))!;
        var recorder = (CallRecorder)service.Services.GetService(typeof(CallRecorder))!;
        while (true)
        {
            await recorder.WaitUntilStoredAsync(ct);
            await using var connection = await service.Database.DataSource.OpenConnectionAsync(ct);
            var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT id FROM calls WHERE direction = 'outbound' AND ended_at IS NOT NULL", cancellationToken: ct));
            if (id is { } found)
            {
                return ((await calls.GetAsync(found, ct))!, await calls.TimelineAsync(found, ct));
            }
            await Task.Delay(50, ct);
        }
    }

    private sealed record Rated(short? Rating, string? RatingChannel);

    private static async Task<Rated> RatedAsync(RealAsteriskService service, long ticket, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        Rated? last = null;
        try
        {
            while (true)
            {
                await using (var connection = await service.Database.DataSource.OpenConnectionAsync(timeout.Token))
                {
                    last = await connection.QuerySingleAsync<Rated>(new CommandDefinition(
                        "SELECT rating, rating_channel FROM tickets WHERE id = @ticket", new { ticket }, cancellationToken: timeout.Token));
                }
                if (last.Rating is not null)
                {
                    return last;
                }
                await Task.Delay(100, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return last!;
        }
    }
}

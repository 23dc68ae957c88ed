using System.Net;
using System.Net.Http.Json;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Voicemail;

/// <summary>Whole calls through the simulator into voicemail: the ticket, its recording, the callback and the spoken number.</summary>
public sealed class VoicemailCallTests
{
    // Wednesday 12 March 2025, 19:00 in Bucharest (EET, UTC+2): after the city hall's 08:00–16:00.
    private static readonly DateTimeOffset WednesdayEvening = new(2025, 3, 12, 17, 0, 0, TimeSpan.Zero);

    // Wednesday 12 March 2025, 10:00 in Bucharest: office hours.
    private static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(40)).Token;

    /// <summary>The caller talks for a little over <paramref name="seconds"/> (recordings count whole seconds of real time).</summary>
    private static async Task TalkAsync(CityContact.Simulator.Scripting.SimulatedCaller caller, int seconds)
    {
        caller.Speak(TimeSpan.FromSeconds(seconds));
        await Task.Delay(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_message_left_after_hours_becomes_a_callback_ticket_with_a_downloadable_recording_called_back_next_morning()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayEvening, Ct);
        var caller = await host.DialAsync(VoicemailHost.Citizen, "2", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "leave-message", 3, Ct);
        var name = await host.WaitForRecordingAsync(caller, 1, Ct);
        await TalkAsync(caller, 1);
        await caller.PressAsync("#", Ct);
        var review = await VoicemailHost.WaitForPromptAsync(caller, "message-review", 4, Ct);
        await caller.PressAsync("2", Ct);
        var saved = await VoicemailHost.WaitForPromptAsync(caller, "message-saved", review + 1, Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Voicemail, call.Outcome);
        var ticket = await host.TicketOfCallAsync(call.Id, Ct);
        Assert.NotNull(ticket);
        Assert.Equal((TicketKinds.Callback, TicketChannels.Voicemail, VoicemailHost.Citizen, name),
            (ticket.Kind, ticket.Channel, ticket.CitizenPhone, ticket.RecordingRef));
        Assert.NotNull(ticket.DepartmentId);
        Assert.Contains(timeline, e => e.Type == "voicemail.ticket");

        // The ticket number is read digit by digit after "message saved" (TM-2025-000001 → 2 0 2 5 0 0 0 0 0 1).
        var digits = ticket.Number.Where(char.IsAsciiDigit).ToArray();
        for (var i = 0; i < digits.Length; i++)
        {
            Assert.EndsWith($"/digit-{digits[i]}", await caller.WaitForPlaybackAsync(saved + 1 + i, Ct), StringComparison.Ordinal);
        }

        // Next opening: Thursday 08:00 in Bucharest = 06:00 UTC.
        var callback = Assert.Single(host.Callbacks.Requests);
        Assert.Equal((ticket.DepartmentId!.Value, VoicemailHost.Citizen, (long?)ticket.Id, (long?)call.Id),
            (callback.DepartmentId, callback.Phone, callback.TicketId, callback.CallId));
        Assert.Equal(new DateTimeOffset(2025, 3, 13, 6, 0, 0, TimeSpan.Zero), callback.NotBefore);

        using var agent = host.Admin();
        var response = await agent.GetAsync($"/api/tickets/{ticket.Id}/recording", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType?.MediaType);
        var wav = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        Assert.True(wav.Length >= 44 + 8000 * 2, $"a one-second 8 kHz 16-bit message, got {wav.Length} bytes");
        var audit = await host.Services.GetRequiredService<AuditLog>().ListForAsync("ticket", ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Ct);
        Assert.Contains(audit, a => a.Action == "ticket.recording_read");
    }

    [Fact]
    public async Task A_caller_hanging_up_during_the_recording_still_gets_a_ticket_for_what_was_said()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayEvening, Ct);
        var caller = await host.DialAsync(VoicemailHost.Citizen, "1", Ct);
        var name = await host.WaitForRecordingAsync(caller, 1, Ct);
        await TalkAsync(caller, 1);
        await caller.HangUpAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Voicemail, call.Outcome);
        var ticket = await host.TicketOfCallAsync(call.Id, Ct);
        Assert.NotNull(ticket);
        Assert.Equal(name, ticket.RecordingRef);
        Assert.Contains(timeline, e => e.Type == "recording.finished" && e.Data.Contains("\"callerHungUp\": true", StringComparison.Ordinal));
        Assert.Single(host.Callbacks.Requests);
        var stored = await host.Services.GetRequiredService<AsteriskConnection>().Ari.Rest.Recordings.GetStoredAsync(name, Ct);
        Assert.Equal(name, stored.Name);
    }

    [Fact]
    public async Task A_caller_whose_phone_sends_no_audio_while_silent_has_the_configured_silence_to_begin_the_message()
    {
        // Asterisk ends a recording after 4 s without any audio frame (seen on 22.10.1 with a phone that suppresses
        // silence), however long maxSilenceSeconds is: this caller only starts after that, within the 8 s configured.
        await using var host = await VoicemailHost.StartAsync(WednesdayEvening, Ct, new Dictionary<string, string?> { ["Voicemail:MaxSilenceSeconds"] = "8" });
        var caller = await host.DialAsync(VoicemailHost.Citizen, "1", Ct);
        caller.SendNoAudioWhenSilent();
        var name = await host.WaitForRecordingAsync(caller, 1, Ct);
        var started = host.Time.GetUtcNow();
        // The first take ends without audio; the caller begins while the recording goes on under the same name.
        await host.Sim.WaitUntilAsync(s => s.Requests.Count(r => r.Path.EndsWith($"/channels/{caller.ChannelId}/record", StringComparison.Ordinal)) == 2
            && s.LiveRecordings.Any(r => r.Name == name), Ct);
        Assert.True(host.Time.GetUtcNow() - started >= TimeSpan.FromSeconds(4));
        await TalkAsync(caller, 2);
        await caller.PressAsync("#", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "message-saved", 1, Ct);
        await caller.HangUpAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Voicemail, call.Outcome);
        var ticket = await host.TicketOfCallAsync(call.Id, Ct);
        Assert.NotNull(ticket);
        Assert.Equal(name, ticket.RecordingRef);
        Assert.Single(timeline, e => e.Type == "recording.no-audio");
        var retake = host.Sim.Requests.Last(r => r.Path.EndsWith($"/channels/{caller.ChannelId}/record", StringComparison.Ordinal));
        Assert.Equal("overwrite", retake.Parameters["ifExists"]);
        Assert.Equal("false", retake.Parameters["beep"]);
        Assert.InRange(int.Parse(retake.Parameters["maxSilenceSeconds"], System.Globalization.CultureInfo.InvariantCulture), 1, 4);
    }

    [Fact]
    public async Task A_caller_hanging_up_at_the_review_question_keeps_the_message()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayEvening, Ct);
        var caller = await host.DialAsync(VoicemailHost.Citizen, "2", Ct);
        var name = await host.WaitForRecordingAsync(caller, 1, Ct);
        await TalkAsync(caller, 1);
        await caller.PressAsync("#", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "message-review", 4, Ct);
        await caller.HangUpAsync(Ct);

        var (call, _) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Voicemail, call.Outcome);
        Assert.Equal(name, (await host.TicketOfCallAsync(call.Id, Ct))?.RecordingRef);
        Assert.Single(host.Callbacks.Requests);
    }

    [Fact]
    public async Task A_caller_hanging_up_before_saying_anything_gets_no_ticket()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayEvening, Ct);
        var caller = await host.DialAsync(VoicemailHost.Citizen, "1", Ct);
        await host.WaitForRecordingAsync(caller, 1, Ct);
        await caller.HangUpAsync(Ct);

        var (call, _) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Abandoned, call.Outcome);
        Assert.Null(await host.TicketOfCallAsync(call.Id, Ct));
        Assert.Empty(host.Callbacks.Requests);
    }

    [Fact]
    public async Task Pressing_1_after_the_message_records_it_again_and_only_the_second_take_is_kept_with_a_callback_now_in_office_hours()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, Ct);
        var caller = await host.DialAsync(VoicemailHost.Citizen, "2", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "main-menu", 3, Ct);
        await caller.PressAsync("7", Ct);
        var first = await host.WaitForRecordingAsync(caller, 1, Ct);
        await TalkAsync(caller, 1);
        await caller.PressAsync("#", Ct);
        var review = await VoicemailHost.WaitForPromptAsync(caller, "message-review", 4, Ct);
        await caller.PressAsync("1", Ct);
        var second = await host.WaitForRecordingAsync(caller, 2, Ct);
        await TalkAsync(caller, 1);
        await caller.PressAsync("#", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "message-review", review + 1, Ct);
        await caller.PressAsync("2", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        var ticket = await host.TicketOfCallAsync(call.Id, Ct);
        Assert.Equal(second, ticket?.RecordingRef);
        Assert.Contains(timeline, e => e.Type == "voicemail.rerecord");
        var recordings = host.Services.GetRequiredService<AsteriskConnection>().Ari.Rest.Recordings;
        await Assert.ThrowsAsync<AriNotFoundException>(() => recordings.GetStoredAsync(first, Ct));
        var callback = Assert.Single(host.Callbacks.Requests);
        var now = host.Time.GetUtcNow();
        Assert.InRange(callback.NotBefore, now.AddMinutes(-1), now);
    }

    [Fact]
    public async Task The_recording_of_a_ticket_without_one_is_a_404_and_reporters_may_not_download_recordings()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, Ct);
        var ticket = await host.Tickets.CreateAsync(new TicketDraft(TicketKinds.Request, TicketChannels.Web, "Bench broken", null), TicketActor.Ivr, Ct);
        using var admin = host.Admin();
        var missing = await admin.GetAsync($"/api/tickets/{ticket.Id}/recording", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/tickets/999999/recording", Ct)).StatusCode);

        var created = await admin.PostAsync("/api/keys", JsonContent.Create(new { name = "reports", role = "reporter" }), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("key").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tickets/{ticket.Id}/recording");
        request.Headers.Add("X-Api-Key", key);
        using var reporterClient = host.Client();
        Assert.Equal(HttpStatusCode.Forbidden, (await reporterClient.SendAsync(request, Ct)).StatusCode);
    }
}

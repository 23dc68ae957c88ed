using System.Globalization;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Voicemail;

public static class VoicemailEndpoints
{
    /// <summary>GET /api/tickets/{id}/recording: the voicemail message of a ticket, streamed from Asterisk's stored recordings.</summary>
    public static void MapVoicemail(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("/api/tickets").WithTags("Tickets").RequireRoles(Roles.Agent, Roles.Supervisor)
            .MapGet("/{id:long}/recording", RecordingAsync)
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav");
    }

    /// <summary>
    /// A citizen's voice is personal data: the download is audited before a byte is sent. A ticket without a recording
    /// and a recording Asterisk no longer has both answer 404 with a problem naming which.
    /// </summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> RecordingAsync(
        long id, TicketStore tickets, AuditLog audit, AsteriskConnection asterisk, HttpContext http, CancellationToken ct)
    {
        if (await tickets.GetAsync(id, ct) is not { } ticket)
        {
            return TypedResults.Problem($"Ticket {id} does not exist", statusCode: StatusCodes.Status404NotFound, title: "Ticket not found");
        }
        if (ticket.RecordingRef is not { } name)
        {
            return TypedResults.Problem($"Ticket {ticket.Number} has no recording", statusCode: StatusCodes.Status404NotFound, title: "No recording");
        }
        var actor = TicketsEndpoints.ActorOf(http);
        await audit.AppendAsync(new AuditEntry(actor.Name, "ticket.recording_read", "ticket", id.ToString(CultureInfo.InvariantCulture),
            http.TraceIdentifier, new { ticket.Number, keyId = actor.KeyId, recording = name }), ct);
        AriFileDownload download;
        try
        {
            download = await asterisk.Ari.Rest.Recordings.OpenStoredFileAsync(name, ct);
        }
        catch (AriNotFoundException)
        {
            return TypedResults.Problem($"The recording of ticket {ticket.Number} is no longer stored in Asterisk",
                statusCode: StatusCodes.Status404NotFound, title: "Recording not found");
        }
        http.Response.RegisterForDisposeAsync(download);
        return TypedResults.Stream(download.Content, download.ContentType ?? "audio/wav", $"{ticket.Number}.wav");
    }
}

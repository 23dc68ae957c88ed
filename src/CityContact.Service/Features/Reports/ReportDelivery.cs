using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Email;

namespace CityContact.Service.Features.Reports;

public static class ReportTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
}

public sealed record ReportRequest(ReportPeriod Period, ReportScope Scope, IReadOnlyList<string> Recipients, string? Language,
    long? ScheduleId, string Trigger, string RequestedBy);

/// <summary>Builds, renders and e-mails a report, recording the run (when, what, to whom, success or the error).</summary>
public sealed class ReportDelivery(
    ReportBuilder builder,
    ReportRenderer renderer,
    ReportQueries queries,
    ReportRunStore runs,
    EmailSender email,
    IOptions<ReportOptions> options,
    IOptions<CityOptions> city,
    ILogger<ReportDelivery> logger)
{
    /// <summary>The finished run, or null when a scheduled period had already been sent.</summary>
    public async Task<ReportRun?> SendAsync(ReportRequest request, CancellationToken ct)
    {
        var run = await runs.StartAsync(new NewReportRun(request.ScheduleId, request.Period.Kind.ToString().ToLowerInvariant(), request.Trigger,
            request.Period.FromUtc, request.Period.ToUtc, [.. request.Scope.DepartmentIds], [.. request.Recipients], request.RequestedBy), ct);
        if (run is null)
        {
            logger.LogInformation("Report schedule {ScheduleId} already ran for the period from {From:O}; not sent again", request.ScheduleId, request.Period.FromUtc);
            return null;
        }
        try
        {
            var rendered = await RenderAsync(request.Period, request.Scope, request.Language, ImageEmbedding.ContentId, ct);
            var message = new EmailMessage(request.Recipients, rendered.Subject, rendered.Html,
                [.. rendered.Images.Select(i => new EmailPart(i.ContentId, "image/png", i.Png))],
                [.. rendered.Attachments.Select(a => new EmailPart(a.FileName, a.MediaType, a.Content))]);
            var attempts = await email.SendAsync(message, options.Value.SendAttempts, options.Value.SendRetryDelay, ct);
            logger.LogInformation("Report run {RunId} ({Kind}, {From:O}) sent to {RecipientCount} recipient(s)", run.Id, run.Kind, run.PeriodFrom, request.Recipients.Count);
            return await runs.FinishAsync(run.Id, sent: true, attempts, null, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "Report run {RunId} ({Kind}, {From:O}) failed", run.Id, run.Kind, run.PeriodFrom);
            return await runs.FinishAsync(run.Id, sent: false, (e as EmailDeliveryException)?.Attempts ?? 0, e.Message, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            await runs.FinishAsync(run.Id, sent: false, 0, "cancelled: the service stopped", CancellationToken.None);
            throw;
        }
    }

    /// <summary>The report as HTML with its charts and CSV attachments.</summary>
    public async Task<RenderedReport> RenderAsync(ReportPeriod period, ReportScope scope, string? language, ImageEmbedding embedding, CancellationToken ct)
    {
        var data = await builder.BuildAsync(period, scope, ct);
        var (attachments, truncated) = embedding == ImageEmbedding.ContentId ? await AttachmentsAsync(period, scope, ct) : ([], false);
        return await renderer.RenderAsync(data, language, embedding, attachments, truncated, options.Value.MaxCsvRows, ct);
    }

    /// <summary>calls.csv and tickets.csv for the period; <c>truncated</c> when either hit Reports:MaxCsvRows.</summary>
    public async Task<(IReadOnlyList<ReportAttachment> Attachments, bool Truncated)> AttachmentsAsync(ReportPeriod period, ReportScope scope, CancellationToken ct)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
        var window = builder.WindowOf(period, scope);
        var max = options.Value.MaxCsvRows;
        var calls = await queries.CallRowsAsync(window, max, ct);
        var tickets = await queries.TicketRowsAsync(window, max, ct);
        return ([new("calls.csv", "text/csv; charset=utf-8", ReportCsv.Calls(calls, zone)), new("tickets.csv", "text/csv; charset=utf-8", ReportCsv.Tickets(tickets, zone))],
            calls.Count >= max || tickets.Count >= max);
    }
}

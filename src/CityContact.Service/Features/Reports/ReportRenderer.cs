using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CityContact.Service.Infrastructure.Configuration;
using Fluid;

namespace CityContact.Service.Features.Reports;

/// <summary>
/// The editable parts of a report: report.liquid and one texts.&lt;language&gt;.json per language, read from
/// Reports:TemplatesPath on every render so that an edit shows in the next report without a restart.
/// </summary>
public sealed class ReportTemplates(IOptions<ReportOptions> options)
{
    public const string TemplateFile = "report.liquid";
    private const string FallbackLanguage = "en";
    private static readonly FluidParser Parser = new();

    public async Task<IFluidTemplate> TemplateAsync(CancellationToken ct)
    {
        var path = Path.Combine(options.Value.ResolvedTemplatesPath, TemplateFile);
        var source = await File.ReadAllTextAsync(path, ct);
        return Parser.TryParse(source, out var template, out var error)
            ? template
            : throw new InvalidOperationException($"{path} is not a valid Liquid template: {error}");
    }

    public async Task<IReadOnlyDictionary<string, string>> TextsAsync(string language, CancellationToken ct)
    {
        var directory = options.Value.ResolvedTemplatesPath;
        var path = Path.Combine(directory, $"texts.{language}.json");
        if (!File.Exists(path))
        {
            path = Path.Combine(directory, $"texts.{FallbackLanguage}.json");
        }
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(stream, cancellationToken: ct)
            ?? throw new InvalidOperationException($"{path} is empty");
    }
}

public enum ImageEmbedding
{
    /// <summary>For e-mail: the HTML says cid:…, the images travel as related MIME parts.</summary>
    ContentId,

    /// <summary>For a browser: the images are data: URIs inside the HTML.</summary>
    DataUri,
}

public sealed record ReportImage(string ContentId, byte[] Png);

public sealed record ReportAttachment(string FileName, string MediaType, byte[] Content);

public sealed record RenderedReport(string Subject, string Html, IReadOnlyList<ReportImage> Images, IReadOnlyList<ReportAttachment> Attachments);

/// <summary>Turns report figures into the HTML a manager reads: texts in the city's language, numbers and dates in its culture.</summary>
public sealed class ReportRenderer(ReportTemplates templates, IOptions<CityOptions> city, IOptions<ReportOptions> reportOptions, TimeProvider clock)
{
    public const string HourlyChartId = "hourly@citycontact";
    public const string WeeklyChartId = "weekly@citycontact";

    // Escapes markup but leaves ă, ș, ț and the culture's spaces readable in the e-mail's source.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    public async Task<RenderedReport> RenderAsync(ReportData report, string? language, ImageEmbedding embedding,
        IReadOnlyList<ReportAttachment> attachments, bool truncated, int maxRows, CancellationToken ct)
    {
        var lang = string.IsNullOrWhiteSpace(language) ? city.Value.DefaultLanguage : language;
        // Dates, day and month names in the report's language: an English report said "marți, 10 martie 2026".
        var culture = CultureFor(lang, CultureInfo.GetCultureInfo(city.Value.Culture));
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
        var t = await templates.TextsAsync(lang, ct);
        var format = new Formats(culture, t, reportOptions.Value.ServiceLevelSeconds);

        var title = t[$"title_{report.Period.Kind.ToString().ToLowerInvariant()}"];
        var period = PeriodLabel(report.Period, culture);
        var scope = report.Scope.IsCity ? t["city"] : string.Join(", ", report.ScopeNames);

        var hourly = ReportCharts.Bars(t["chart_hourly"], [.. report.ByHour.Select(h => h.Slot.ToString(culture))],
            [(t["answered"], [.. report.ByHour.Select(h => h.Answered)]), (t["abandoned"], [.. report.ByHour.Select(h => h.Abandoned)])]);
        var weekly = ReportCharts.Bars(t["chart_weekly"], [.. report.ByDayOfWeek.Select(d => DayName(d.Slot, culture))],
            [(t["answered"], [.. report.ByDayOfWeek.Select(d => d.Answered)]), (t["abandoned"], [.. report.ByDayOfWeek.Select(d => d.Abandoned)])]);
        var images = new List<ReportImage> { new(HourlyChartId, hourly), new(WeeklyChartId, weekly) };

        var model = new Dictionary<string, object?>
        {
            ["language"] = lang,
            ["t"] = t.ToDictionary(p => p.Key, p => (object?)p.Value),
            ["title"] = title,
            ["period"] = period,
            ["scope"] = scope,
            ["generated"] = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).ToString("g", culture),
            ["findings"] = report.Findings.Select(f => Dict(("kind", f.Kind.ToString()), ("text", FindingText(f, format)), ("examples", f.Examples.ToList<object?>()))).ToList<object?>(),
            ["calls"] = CallRows(report.Calls, format, t).ToList<object?>(),
            ["charts"] = Dict(("hourly", Source(images[0], embedding)), ("weekly", Source(images[1], embedding))),
            ["by_day"] = report.ByDayOfWeek.Select(d => Dict(("label", DayName(d.Slot, culture)), ("offered", format.Count(d.Offered)),
                ("answered", format.Count(d.Answered)), ("abandoned", format.Count(d.Abandoned)))).ToList<object?>(),
            ["departments"] = report.Departments.Select(d => Dict(("name", d.Name), ("offered", format.Count(d.Offered)), ("answered", format.Count(d.Answered)),
                ("abandon_rate", format.Percent(d.AbandonRate)), ("asa", format.Duration(d.AverageSpeedOfAnswerSeconds)),
                ("tickets_opened", format.Count(d.TicketsOpened)), ("tickets_overdue", format.Count(d.TicketsOverdue)))).ToList<object?>(),
            ["agents"] = report.Agents.Select(a => Dict(("name", a.Name), ("logged_in", format.Duration(a.LoggedInSeconds)), ("talking", format.Duration(a.TalkingSeconds)),
                ("paused", format.Duration(a.PausedSeconds)), ("calls", format.Count(a.CallsAnswered)), ("quality", format.Decimal(a.QualityAverage)))).ToList<object?>(),
            ["tickets"] = report.Tickets.Select(k => Dict(("kind", t.GetValueOrDefault($"kind_{k.Kind}", k.Kind)), ("department", k.Department ?? t["no_department"]),
                ("opened", format.Count(k.Opened)), ("resolved", format.Count(k.Resolved)), ("overdue", format.Count(k.Overdue)),
                ("resolution", format.Decimal(k.AverageResolutionHours)))).ToList<object?>(),
            ["satisfaction"] = Dict(("average", format.Decimal(report.Satisfaction.Average)), ("rated", format.Count(report.Satisfaction.Rated)),
                ("low", report.Satisfaction.LowRatings.Select(l => Dict(("id", l.TicketId.ToString(culture)), ("subject", l.Subject),
                    ("department", l.Department ?? t["no_department"]), ("rating", l.Rating.ToString(culture)))).ToList<object?>())),
            ["truncated"] = truncated ? string.Format(culture, t["truncated_note"], maxRows) : "",
        };

        var template = await templates.TemplateAsync(ct);
        var options = new TemplateOptions { CultureInfo = culture, TimeZone = zone };
        var html = await template.RenderAsync(new TemplateContext(model, options), Encoder);
        var subject = string.Format(culture, t["subject"], title, period, scope);
        return new RenderedReport(subject, html, embedding == ImageEmbedding.ContentId ? images : [], attachments);
    }

    /// <summary>City:Culture when it is the report's language (ro-RO for ro), else the language's usual culture (en → en-US).</summary>
    public static CultureInfo CultureFor(string language, CultureInfo cityCulture)
    {
        if (string.Equals(cityCulture.TwoLetterISOLanguageName, language, StringComparison.OrdinalIgnoreCase))
        {
            return cityCulture;
        }
        try
        {
            return CultureInfo.CreateSpecificCulture(language);
        }
        catch (CultureNotFoundException)
        {
            return cityCulture;
        }
    }

    public static string PeriodLabel(ReportPeriod period, CultureInfo culture) => period.Kind switch
    {
        ReportKind.Daily => period.FirstDay.ToString("D", culture),
        ReportKind.Monthly => period.FirstDay.ToString("Y", culture),
        ReportKind.Yearly => period.FirstDay.Year.ToString(culture),
        _ => $"{period.FirstDay.ToString("d", culture)} – {period.EndDay.AddDays(-1).ToString("d", culture)}",
    };

    private static string DayName(int isoDay, CultureInfo culture) => culture.DateTimeFormat.GetAbbreviatedDayName((DayOfWeek)(isoDay % 7));

    private static string Source(ReportImage image, ImageEmbedding embedding) =>
        embedding == ImageEmbedding.ContentId ? $"cid:{image.ContentId}" : $"data:image/png;base64,{Convert.ToBase64String(image.Png)}";

    private static IEnumerable<object?> CallRows(CallFigures c, Formats f, IReadOnlyDictionary<string, string> t)
    {
        (string Key, string Label, string Value)[] rows =
        [
            ("offered", t["calls_offered"], f.Count(c.Offered)),
            ("answered", t["calls_answered"], f.Count(c.Answered)),
            ("abandoned", t["calls_abandoned"], f.Count(c.Abandoned)),
            ("abandoned_under_30", "· " + t["abandoned_under_30"], f.Count(c.AbandonedUnder30Seconds)),
            ("abandoned_30_120", "· " + t["abandoned_30_120"], f.Count(c.Abandoned30To120Seconds)),
            ("abandoned_over_120", "· " + t["abandoned_over_120"], f.Count(c.AbandonedOver120Seconds)),
            ("average_abandon", "· " + t["average_abandon"], f.Duration(c.AverageAbandonSeconds)),
            ("self_service", t["self_service"], f.Count(c.SelfService)),
            ("voicemail", t["voicemail"], f.Count(c.Voicemail)),
            ("failed", t["failed"], f.Count(c.Failed)),
            ("callbacks_requested", t["callbacks_requested"], f.Count(c.CallbacksRequested)),
            ("callbacks_completed", t["callbacks_completed"], f.Count(c.CallbacksCompleted)),
            ("callbacks_within_sla", t["callbacks_within_sla"], f.Count(c.CallbacksWithinSla)),
            ("service_level", f.Text("service_level", f.ServiceLevelSeconds), f.Percent(c.ServiceLevel)),
            ("asa", t["asa"], f.Duration(c.AverageSpeedOfAnswerSeconds)),
            ("aht", t["aht"], f.Duration(c.AverageHandleSeconds)),
            ("longest_wait", t["longest_wait"], f.Duration(c.LongestWaitSeconds)),
        ];
        return rows.Select(r => (object?)Dict(("key", r.Key), ("label", r.Label), ("value", r.Value)));
    }

    private static string FindingText(Finding finding, Formats f) => finding.Kind switch
    {
        FindingKind.IvrNode => f.Text("finding_ivr", finding.Subject, f.Count(finding.Count), f.Count(finding.Total),
            f.Percent(finding.Value), f.Percent(finding.Threshold)),
        FindingKind.DepartmentAbandonRate => f.Text("finding_abandon", finding.Subject, f.Count(finding.Count), f.Percent(finding.Value), f.Percent(finding.Threshold)),
        FindingKind.DepartmentWait => f.Text("finding_wait", finding.Subject, f.Duration(finding.Value), f.Duration(finding.Threshold)),
        FindingKind.DepartmentOverdueTickets => f.Text("finding_overdue", finding.Subject, f.Count(finding.Count), f.Count((int)finding.Threshold)),
        _ => f.Text("finding_repeat", f.Count((int)finding.Value), finding.Subject, f.Count(finding.Count)),
    };

    private static Dictionary<string, object?> Dict(params (string Key, object? Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private sealed class Formats(CultureInfo culture, IReadOnlyDictionary<string, string> texts, int serviceLevelSeconds)
    {
        public int ServiceLevelSeconds => serviceLevelSeconds;

        public string Count(int value) => value.ToString("N0", culture);

        public string Percent(double? value) => value is null ? "–" : value.Value.ToString("P1", culture);

        public string Decimal(double? value) => value is null ? "–" : value.Value.ToString("N1", culture);

        /// <summary>Seconds as "42 s", "3:05 min" or "12:30 h", so that a wait and a shift read naturally.</summary>
        public string Duration(double? seconds)
        {
            if (seconds is null)
            {
                return "–";
            }
            var span = TimeSpan.FromSeconds(Math.Round(seconds.Value));
            return span.TotalMinutes < 1 ? $"{span.Seconds.ToString(culture)} s"
                : span.TotalHours < 1 ? $"{span.Minutes.ToString(culture)}:{span.Seconds.ToString("00", culture)} min"
                : $"{((int)span.TotalHours).ToString(culture)}:{span.Minutes.ToString("00", culture)} h";
        }

        public string Text(string key, params object?[] args) => string.Format(culture, texts[key], args);
    }
}

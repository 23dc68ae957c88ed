using System.Globalization;
using System.Text;

namespace CityContact.Service.Features.Reports;

/// <summary>
/// RFC 4180 CSV: comma separated, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF (quotes
/// doubled). Written as UTF-8 with a byte-order mark, because Excel, which managers open attachments with, reads a
/// CSV without one in the machine's ANSI code page and garbles ă, ș and ț. Values are invariant (ISO 8601 local
/// times, '.' decimals) so that the file round-trips into any tool, whatever the city's culture.
/// </summary>
public static class ReportCsv
{
    private static readonly UTF8Encoding Utf8WithBom = new(encoderShouldEmitUTF8Identifier: true);

    public static byte[] Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var text = new StringBuilder();
        AppendRow(text, header);
        foreach (var row in rows)
        {
            AppendRow(text, row);
        }
        return [.. Utf8WithBom.GetPreamble(), .. Utf8WithBom.GetBytes(text.ToString())];
    }

    public static byte[] Calls(IReadOnlyList<CallRow> rows, TimeZoneInfo zone) => Write(
        ["id", "started_local", "answered_local", "ended_local", "caller", "outcome", "department", "queue_wait_s", "talk_s", "ivr_path"],
        rows.Select(r => (IReadOnlyList<string?>)
        [
            Number(r.Id), Local(r.StartedAt, zone), Local(r.AnsweredAt, zone), Local(r.EndedAt, zone), PhoneMask.Mask(r.Caller), r.Outcome,
            r.Department, Seconds(r.QueueWaitMs), Seconds(r.TalkMs), string.Join('>', r.IvrPath),
        ]));

    public static byte[] Tickets(IReadOnlyList<TicketRow> rows, TimeZoneInfo zone) => Write(
        ["id", "kind", "status", "priority", "department", "created_local", "due_local", "resolved_local", "rating", "subject"],
        rows.Select(r => (IReadOnlyList<string?>)
        [
            Number(r.Id), r.Kind, r.Status, r.Priority, r.Department, Local(r.CreatedAt, zone), Local(r.DueAt, zone), Local(r.ResolvedAt, zone),
            r.Rating?.ToString(CultureInfo.InvariantCulture), r.Subject,
        ]));

    public static string Field(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private static void AppendRow(StringBuilder text, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(Field(fields[i]));
        }
        text.Append("\r\n");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Seconds(long? ms) => ms is null ? null : (ms.Value / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string? Local(DateTime? utc, TimeZoneInfo zone) =>
        utc is null ? null : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc.Value, DateTimeKind.Utc), zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

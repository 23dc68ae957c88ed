using System.Net.Http.Json;
using System.Text;
using CityContact.Service.Features.Reports;
using CityContact.Service.Tests.Infrastructure;
using MimeKit;

namespace CityContact.Service.Tests.Reports;

public sealed class ReportEmailTests(SeededCity city, SmtpServer smtp) : IClassFixture<SeededCity>, IClassFixture<SmtpServer>, IAsyncLifetime, IDisposable
{
    private static readonly string[] Managers = ["primar@primaria.example", "taxe@primaria.example"];
    private static readonly string[] Mayor = ["primar@primaria.example"];
    private ServiceFactory service = null!;

    public Task InitializeAsync()
    {
        service = new ServiceFactory(city.ConnectionString, SeededCity.ServiceSettings(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:From"] = "rapoarte@primaria.example",
            ["City:Culture"] = "ro-RO",
            ["City:DefaultLanguage"] = "ro",
        }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await service.DisposeAsync();

    public void Dispose() => service.Dispose();

    [Fact]
    public async Task An_english_report_has_an_english_subject_with_english_day_names_and_a_plain_text_part()
    {
        var client = service.ClientWithKey(ServiceFactory.AdminKey);
        var response = await client.PostAsJsonAsync("/api/reports/send", new { kind = "daily", date = "2026-03-10", recipients = Mayor, language = "en" });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var message = await smtp.MessageAsync(m => (m.Subject ?? "").Contains("Tuesday", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("marți", message.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("martie", message.Subject, StringComparison.Ordinal);
        Assert.Contains("March", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_now_mails_the_html_report_with_inline_charts_and_csv_attachments_to_every_recipient()
    {
        var client = service.ClientWithKey(ServiceFactory.AdminKey);

        var response = await client.PostAsJsonAsync("/api/reports/send", new
        {
            kind = "daily", date = "2026-03-10", recipients = Managers,
        });

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var run = await response.Content.ReadFromJsonAsync<ReportRun>();
        Assert.True(run!.Status == "sent", run.Error);
        Assert.Equal((1, "manual"), (run.Attempts, run.Trigger));
        var message = await smtp.MessageAsync(m => (m.Subject ?? "").Contains("tot orașul", StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        Assert.Equal(Managers, message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("rapoarte@primaria.example", message.From.Mailboxes.Single().Address);
        Assert.StartsWith("Raport zilnic", message.Subject, StringComparison.Ordinal);
        var html = message.HtmlBody ?? "";
        Assert.Contains("data-key=\"offered\">10<", html, StringComparison.Ordinal);

        // multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html, image/png, image/png ] ], calls.csv, tickets.csv ]
        var mixed = Assert.IsType<Multipart>(message.Body);
        Assert.Equal("mixed", mixed.ContentType.MediaSubtype);
        var alternative = Assert.Single(mixed.OfType<MultipartAlternative>());
        Assert.Equal("text/plain", alternative[0].ContentType.MimeType);
        Assert.Contains("Raport zilnic", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<", message.TextBody, StringComparison.Ordinal);
        var related = Assert.Single(alternative.OfType<MultipartRelated>());
        Assert.Equal("text/html", related.Root?.ContentType.MimeType);
        var images = related.OfType<MimePart>().Where(p => p.ContentType.MimeType == "image/png").ToList();
        Assert.Equal(2, images.Count);
        foreach (var image in images)
        {
            Assert.Contains($"cid:{image.ContentId}", html, StringComparison.Ordinal);
            using var png = new MemoryStream();
            await image.Content!.DecodeToAsync(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.ToArray().Take(4));
        }

        var attachments = message.Attachments.OfType<MimePart>().ToDictionary(a => a.FileName ?? "");
        Assert.Equal(["calls.csv", "tickets.csv"], attachments.Keys.Order());
        using var csv = new MemoryStream();
        await attachments["calls.csv"].Content!.DecodeToAsync(csv);
        var bytes = csv.ToArray();
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes.Take(3));
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length); // header + the day's 10 finished calls
        Assert.StartsWith("id,started_local,", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("0711000001", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schedule_firing_every_second_sends_its_period_once_through_quartz()
    {
        var client = service.ClientWithKey(ServiceFactory.AdminKey);
        var created = await client.PostAsJsonAsync("/api/reports/schedules", new
        {
            name = "Zilnic Drumuri", kind = "daily", cron = "* * * * * ?", timeZone = "Europe/Bucharest", recipients = Mayor, departmentIds = new[] { city.Roads },
        });
        var schedule = (await created.Content.ReadFromJsonAsync<ReportSchedule>())!;
        try
        {
            var message = await smtp.MessageAsync(m => (m.Subject ?? "").Contains("Drumuri", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.Equal(Mayor, message.To.Mailboxes.Select(m => m.Address));

            // Let the trigger fire a few more times: each finds the period already sent.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var fires = new HashSet<long>();
            while (fires.Count < 4)
            {
                fires.Add(await LastFireAsync(schedule.Id));
                await Task.Delay(100, timeout.Token);
            }
            var runs = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/reports/runs?scheduleId={schedule.Id}");
            var run = Assert.Single(runs.GetProperty("items").EnumerateArray());
            Assert.Equal(("schedule", "sent"), (run.GetProperty("trigger").GetString(), run.GetProperty("status").GetString()));
        }
        finally
        {
            await client.DeleteAsync($"/api/reports/schedules/{schedule.Id}");
        }
    }

    /// <summary>When the schedule's trigger last fired, as Quartz stores it; it changes at every fire.</summary>
    private async Task<long> LastFireAsync(long scheduleId)
    {
        await using var command = city.DataSource.CreateCommand("SELECT coalesce(prev_fire_time, 0) FROM qrtz_triggers WHERE trigger_name = $1");
        command.Parameters.AddWithValue(ReportSchedules.JobKeyOf(scheduleId).Name);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_report_that_cannot_be_delivered_is_retried_and_recorded_as_failed()
    {
        var closedPort = SmtpServer.FreePort();
        await using var unreachable = new ServiceFactory(city.ConnectionString, SeededCity.ServiceSettings(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Reports:SendAttempts"] = "3",
            ["Reports:SendRetryDelay"] = "00:00:00.050",
        }));
        var client = unreachable.ClientWithKey(ServiceFactory.AdminKey);

        var response = await client.PostAsJsonAsync("/api/reports/send", new { kind = "daily", date = "2026-03-10", recipients = Mayor });

        var run = await response.Content.ReadFromJsonAsync<ReportRun>();
        Assert.Equal(("failed", 3), (run!.Status, run.Attempts));
        Assert.NotNull(run.Error);
        var runs = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/reports/runs?limit=100");
        Assert.Contains(runs.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetInt64() == run.Id && r.GetProperty("status").GetString() == "failed");
    }
}

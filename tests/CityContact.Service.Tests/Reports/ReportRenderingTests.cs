using System.Text;
using CityContact.Service.Features.Reports;
using CityContact.Service.Infrastructure.Configuration;
using Microsoft.Extensions.Options;
using static CityContact.Service.Tests.Reports.ReportSeed;

namespace CityContact.Service.Tests.Reports;

public sealed class ReportRenderingTests(SeededCity city) : IClassFixture<SeededCity>
{
    private static ReportRenderer Renderer(string culture, string language, string? templatesPath = null)
    {
        var options = Options.Create(new ReportOptions { TemplatesPath = templatesPath });
        return new ReportRenderer(new ReportTemplates(options), Options.Create(new CityOptions { TimeZone = "Europe/Bucharest", Culture = culture, DefaultLanguage = language }),
            options, TimeProvider.System);
    }

    private async Task<ReportData> DailyAsync() =>
        await city.Builder().BuildAsync(ReportPeriod.Containing(ReportKind.Daily, SeededCity.Day, Bucharest), ReportScope.City, CancellationToken.None);

    [Fact]
    public async Task Romanian_report_uses_romanian_texts_dates_and_number_format()
    {
        var rendered = await Renderer("ro-RO", "ro").RenderAsync(await DailyAsync(), null, ImageEmbedding.ContentId, [], false, 10, CancellationToken.None);

        Assert.Contains("Raport zilnic", rendered.Subject, StringComparison.Ordinal);
        Assert.Contains("10 martie 2026", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("Proceduri care îi pun în dificultate pe cetățeni", rendered.Html, StringComparison.Ordinal);
        Assert.Contains($"data-key=\"service_level\">{(2.0 / 6).ToString("P1", System.Globalization.CultureInfo.GetCultureInfo("ro-RO"))}<", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("33,3", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("data-key=\"asa\">18 s<", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("data-key=\"aht\">4:33 min<", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("Pasul „main”", rendered.Html, StringComparison.Ordinal);
        // The subject of a low rating is escaped, not injected.
        Assert.Contains("Groapă, &quot;mare&quot; pe strada Lungă", rendered.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task English_report_in_english_culture_formats_with_a_decimal_point()
    {
        var rendered = await Renderer("en-GB", "en").RenderAsync(await DailyAsync(), null, ImageEmbedding.ContentId, [], false, 10, CancellationToken.None);

        Assert.StartsWith("Daily report", rendered.Subject, StringComparison.Ordinal);
        Assert.Contains("Procedures that fail citizens", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("33.3", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("10 March 2026", rendered.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Charts_are_png_images_referenced_by_content_id_or_embedded_as_data_uris()
    {
        var report = await DailyAsync();
        var forMail = await Renderer("ro-RO", "ro").RenderAsync(report, null, ImageEmbedding.ContentId, [], false, 10, CancellationToken.None);
        var forBrowser = await Renderer("ro-RO", "ro").RenderAsync(report, null, ImageEmbedding.DataUri, [], false, 10, CancellationToken.None);

        Assert.Equal([ReportRenderer.HourlyChartId, ReportRenderer.WeeklyChartId], forMail.Images.Select(i => i.ContentId));
        foreach (var image in forMail.Images)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image.Png.Take(4));
            Assert.True(image.Png.Length > 5_000, "a chart with axes, bars and text");
            Assert.Contains($"src=\"cid:{image.ContentId}\"", forMail.Html, StringComparison.Ordinal);
        }
        Assert.Empty(forBrowser.Images);
        Assert.Equal(2, CountOf(forBrowser.Html, "src=\"data:image/png;base64,"));
    }

    [Fact]
    public async Task A_city_edits_the_template_in_its_own_directory()
    {
        var directory = Directory.CreateTempSubdirectory("citycontact-templates-");
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Features", "Reports", "Templates")))
            {
                File.Copy(file, Path.Combine(directory.FullName, Path.GetFileName(file)));
            }
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "report.liquid"), "<p>Primăria: {{ calls[0].value }} apeluri</p>", Encoding.UTF8);

            var rendered = await Renderer("ro-RO", "ro", directory.FullName).RenderAsync(await DailyAsync(), null, ImageEmbedding.ContentId, [], false, 10, CancellationToken.None);

            Assert.Equal("<p>Primăria: 10 apeluri</p>", rendered.Html);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}

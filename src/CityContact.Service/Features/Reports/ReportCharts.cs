using ScottPlot;

namespace CityContact.Service.Features.Reports;

/// <summary>The report's bar charts as PNG, drawn headless with ScottPlot (SkiaSharp) in a font loaded from a file.</summary>
public static class ReportCharts
{
    // SkiaSharp's self-contained Linux build has no fontconfig, so fonts are found by file, not by family name.
    // Debian's fonts-dejavu-core provides this one (and covers Romanian's ă â î ș ț).
    private const string FontName = "DejaVu Sans";
    private static readonly string[] FontFiles = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"];
    private static readonly Lazy<bool> FontLoaded = new(LoadFont);

    public static byte[] Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<(string Series, IReadOnlyList<int> Values)> series, int width = 640, int height = 280)
    {
        var plot = new Plot();
        if (FontLoaded.Value)
        {
            plot.Font.Set(FontName);
        }
        var palette = new ScottPlot.Palettes.Category10();
        var groupWidth = 0.8;
        var barWidth = groupWidth / series.Count;
        for (var s = 0; s < series.Count; s++)
        {
            var bars = series[s].Values.Select((value, i) => new Bar
            {
                Position = i - (groupWidth / 2) + (barWidth * (s + 0.5)),
                Value = value,
                Size = barWidth,
                FillColor = palette.GetColor(s),
                LineWidth = 0,
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = series[s].Series;
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, labels.Count).Select(i => (double)i)], [.. labels]);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static bool LoadFont()
    {
        foreach (var file in FontFiles.Where(File.Exists))
        {
            Fonts.AddFontFile(FontName, file);
            return true;
        }
        return false;
    }
}

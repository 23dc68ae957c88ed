using System.Net;
using System.Text.RegularExpressions;

namespace CityContact.Service.Infrastructure.Email;

/// <summary>
/// The text/plain alternative of an HTML e-mail: mail clients that show no HTML (and spam filters that distrust
/// HTML-only mail) get the same words, a line per paragraph, heading and table row, cells separated by " | ".
/// </summary>
public static partial class PlainText
{
    public static string FromHtml(string html)
    {
        var text = Hidden().Replace(html, "");
        text = LineBreaks().Replace(text, "\n");
        text = Cells().Replace(text, " | ");
        text = Tags().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        var lines = text.Split('\n').Select(l => Spaces().Replace(l, " ").Trim().Trim('|').Trim()).ToList();
        var kept = new List<string>();
        foreach (var line in lines)
        {
            if (line.Length > 0 || (kept.Count > 0 && kept[^1].Length > 0))
            {
                kept.Add(line);
            }
        }
        return string.Join("\n", kept).Trim() + "\n";
    }

    [GeneratedRegex(@"<(style|script|head)\b[^>]*>.*?</\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Hidden();

    [GeneratedRegex(@"<br\s*/?>|</(p|div|h[1-6]|tr|li|table|section)>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"</t[dh]>", RegexOptions.IgnoreCase)]
    private static partial Regex Cells();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"[ \t\r\u00a0]+")]
    private static partial Regex Spaces();
}

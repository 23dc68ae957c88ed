using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace CityContact.Service.Features.WebConsole;

/// <summary>
/// The browser console (sign-in, agent desk, supervisor wallboard, accounts): plain HTML, CSS and JavaScript modules
/// embedded in the service's assembly, so that `dotnet build` alone builds it and the binary serves it from any
/// directory. The pages hold no rule of their own: they call the same API, with the same roles, as any REST client.
/// </summary>
public static class ConsoleSetup
{
    /// <summary>Scripts and styles only from the service itself: no inline script, no inline style, no other origin.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void UseConsole(this WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(ConsoleSetup).Assembly, "console");
        app.UseWhen(http => IsConsolePath(http.Request.Path), console =>
        {
            console.Use(async (http, next) =>
            {
                http.Response.OnStarting(() =>
                {
                    var headers = http.Response.Headers;
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers.XContentTypeOptions = "nosniff";
                    headers.XFrameOptions = "DENY";
                    headers["Referrer-Policy"] = "no-referrer";
                    // Revalidated on every load (the ETag makes that cheap), so a new build shows at once.
                    headers.CacheControl = "no-cache";
                    return Task.CompletedTask;
                });
                await next(http);
            });
            console.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            console.UseStaticFiles(new StaticFileOptions { FileProvider = files, ContentTypeProvider = new FileExtensionContentTypeProvider() });
        });
    }

    private static bool IsConsolePath(PathString path) =>
        path == "/" || (path.Value is { } value && value.Count(c => c == '/') == 1
            && (value.EndsWith(".html", StringComparison.Ordinal) || value.EndsWith(".js", StringComparison.Ordinal)
                || value.EndsWith(".css", StringComparison.Ordinal) || value.EndsWith(".svg", StringComparison.Ordinal)));
}

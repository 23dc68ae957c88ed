using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using CityContact.Service.Tests.Infrastructure;

namespace CityContact.Service.Tests.Api;

public sealed class StartupTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("City:TimeZone", "Mars/Olympus_Mons")]
    [InlineData("City:Culture", "xx-NOWHERE")]
    [InlineData("City:DefaultLanguage", "Romanian")]
    [InlineData("Ami:Port", "70000")]
    [InlineData("Ami:Port", "many")]
    [InlineData("Ari:Url", "ftp://asterisk")]
    [InlineData("Smtp:Security", "Carrier-pigeon")]
    [InlineData("Auth:BootstrapAdminKey", "short")]
    [InlineData("Queues:CallbackLeaseSeconds", "1")]
    [InlineData("Surveys:PlaceAttempts", "0")]
    [InlineData("Voicemail:FallbackSpoolDirectory", "spool/relative")]
    public async Task A_bad_setting_stops_start_up_naming_the_setting(string setting, string value)
    {
        var failure = await StartWithAsync(new() { [setting] = value });

        Assert.True(failure.Message.Contains(setting, StringComparison.Ordinal), failure.ToString());
        Assert.True(StartupFailure.IsConfigurationError(failure), failure.ToString());
    }

    [Fact]
    public async Task An_ari_url_without_credentials_names_the_missing_settings()
    {
        var failure = await StartWithAsync(new() { ["Ari:Url"] = "http://pbx:8088/ari" });

        Assert.Contains("Ari:User", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Ari:Password", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_connection_string_names_it()
    {
        var failure = await StartWithAsync(new() { ["ConnectionStrings:CityContact"] = "" });

        Assert.Contains("ConnectionStrings:CityContact", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Composes the real service (AddCityContact) and starts it in process. WebApplicationFactory cannot be used
    /// here: Program's RunAsync disposes the failed host and the factory then reports that instead of the cause.
    /// </summary>
    private async Task<Exception> StartWithAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:CityContact"] = db.ConnectionString,
            ["Serilog:MinimumLevel:Default"] = "Fatal",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCityContact();
        await using var app = builder.Build();
        var failure = await Record.ExceptionAsync(() => app.StartAsync());
        if (failure is null)
        {
            await app.StopAsync();
        }
        return Assert.IsType<Exception>(failure, exactMatch: false);
    }

    [Fact]
    public async Task The_service_process_refuses_a_bad_time_zone_with_one_line_and_exit_code_2()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CityContact.Service.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__CityContact"] = db.ConnectionString;
        start.Environment["City__TimeZone"] = "Mars/Olympus_Mons";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(2, process.ExitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("CityContact cannot start: City:TimeZone 'Mars/Olympus_Mons'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", await output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_defaults_start_and_report_ready()
    {
        await using var factory = new ServiceFactory(db.ConnectionString);

        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/health/ready")).StatusCode);
    }
}

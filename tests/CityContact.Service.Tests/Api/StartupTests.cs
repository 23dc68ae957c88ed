using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
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

    [Fact]
    public async Task In_production_an_empty_ari_url_stops_start_up_rather_than_answering_a_simulated_asterisk()
    {
        var failure = await StartWithAsync([], Environments.Production);

        Assert.True(failure.Message.Contains("Ari:Url is required in the Production environment", StringComparison.Ordinal), failure.ToString());
        Assert.True(StartupFailure.IsConfigurationError(failure), failure.ToString());
    }

    [Fact]
    public async Task The_service_process_in_production_without_an_asterisk_says_so_in_one_line_and_exits_with_2()
    {
        var (exitCode, error, output) = await RunServiceProcessAsync(new() { ["ASPNETCORE_ENVIRONMENT"] = Environments.Production });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("CityContact cannot start: Ari:Url is required in the Production environment", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Composes the real service (AddCityContact) and starts it in process. WebApplicationFactory cannot be used
    /// here: Program's RunAsync disposes the failed host and the factory then reports that instead of the cause.
    /// </summary>
    private async Task<Exception> StartWithAsync(Dictionary<string, string?> settings, string environment = "Development")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
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
        var (exitCode, error, output) = await RunServiceProcessAsync(new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = Environments.Development,
            ["City__TimeZone"] = "Mars/Olympus_Mons",
        });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("CityContact cannot start: City:TimeZone 'Mars/Olympus_Mons'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }

    /// <summary>Runs the service's own process as an operator would, with <paramref name="environment"/> beside the connection string.</summary>
    private async Task<(int ExitCode, string Error, string Output)> RunServiceProcessAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CityContact.Service.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__CityContact"] = db.ConnectionString;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (process.ExitCode, error, await output);
    }

    [Fact]
    public async Task Valid_defaults_start_and_report_ready()
    {
        await using var factory = new ServiceFactory(db.ConnectionString);

        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/health/ready")).StatusCode);
    }
}

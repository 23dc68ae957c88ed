using CityContact.Service;
using CityContact.Service.Infrastructure.Database;

var builder = WebApplication.CreateBuilder(args);
builder.AddCityContact();
var app = builder.Build();
app.UseCityContact();

try
{
    if (args is ["migrate", ..])
    {
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        return 0;
    }
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartupFailure.IsConfigurationError(e))
{
    // One line naming the setting; a stack trace would bury it.
    await Console.Error.WriteLineAsync($"CityContact cannot start: {e.Message}");
    return 2;
}
catch (Exception e) when (e is not HostAbortedException)
{
    app.Logger.LogCritical(e, "CityContact stopped");
    return 1;
}

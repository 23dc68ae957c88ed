using CityContact.Service.Features.Accounts;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.WebConsole;
using CityContact.Service.Features.Departments;
using CityContact.Service.Features.Desk;
using CityContact.Service.Features.Emergency;
using CityContact.Service.Features.Quality;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Open311;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Reports;
using CityContact.Service.Features.Schedules;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Features.Voicemail;
using CityContact.Service.Features.Wallboard;
using CityContact.Service.Infrastructure;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Database;
using CityContact.Service.Infrastructure.Http;
using CityContact.Service.Infrastructure.Logging;
using CityContact.Service.Infrastructure.OpenApi;
using CityContact.Service.Infrastructure.Telephony;
using Prometheus;

namespace CityContact.Service;

/// <summary>Composition of the service: infrastructure first, then one line per feature.</summary>
public static class ServiceSetup
{
    public static void AddCityContact(this WebApplicationBuilder builder)
    {
        builder.AddLogging();
        builder.AddSettings();
        builder.AddProblems();
        builder.AddTrustedProxies();
        builder.AddDatabase();
        builder.AddOpenApiDocument();
        builder.AddAuth();
        builder.AddAccounts();
        builder.AddStores();
        builder.AddReports();
        builder.AddTickets();
        builder.AddOpen311();
        builder.AddVoicemail();
        builder.AddIvr();
        builder.AddQueues();
        builder.AddWallboard();
        builder.AddDesk();
        builder.AddTelephony();
        builder.AddEmergency();
        builder.AddQuality();
    }

    public static void UseCityContact(this WebApplication app)
    {
        // Outermost, so that the request line shows the status the client got (a refused body is 400, not the 500
        // an exception would look like before the problem handlers turn it into an answer).
        app.UseTrustedProxies();
        app.UseRequestLogging();
        app.UseProblems();
        app.MapOpenApiDocument();
        app.UseConsole();
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseAuth();

        app.MapHealth();
        app.MapMetrics().AllowAnonymous();
        app.MapAuth();
        app.MapAccounts();
        app.MapDepartments();
        app.MapCalls();
        app.MapReports();
        app.MapTickets();
        app.MapOpen311();
        app.MapVoicemail();
        app.MapIvr();
        app.MapQueues();
        app.MapWallboard();
        app.MapDesk();
        app.MapAgentAdmin();
        app.MapQueueAdmin();
        app.MapPrompts();
        app.MapSchedules();
        app.MapEmergency();
        app.MapQuality();
    }

    private static void AddStores(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<DepartmentStore>();
        builder.Services.AddSingleton<CallStore>();
        builder.Services.AddSingleton<AgentStore>();
        builder.Services.AddSingleton<QueueStore>();
        builder.Services.AddSingleton<FlowStore>();
        builder.Services.AddSingleton<PromptStore>();
        builder.Services.AddSingleton<ScheduleStore>();
        builder.Services.AddSingleton<TicketStore>();
    }
}

/// <summary>Start-up failures that are the operator's to fix in the configuration.</summary>
public static class StartupFailure
{
    public static bool IsConfigurationError(Exception e) => e switch
    {
        OptionsValidationException => true,
        // The binder's "Failed to convert configuration value at 'Ami:Port' to type 'System.Int32'."
        InvalidOperationException { Message: var m } when m.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => true,
        AggregateException { InnerExceptions: [var inner] } => IsConfigurationError(inner),
        _ => false,
    };
}

/// <summary>
/// Names this assembly for WebApplicationFactory: `Program` is ambiguous in the tests because the simulator,
/// a web project too, also has a public top-level Program.
/// </summary>
public sealed class ServiceEntryPoint;

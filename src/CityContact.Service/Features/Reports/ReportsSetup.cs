using CityContact.Service.Infrastructure.Email;
using CityContact.Service.Infrastructure.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityContact.Service.Features.Reports;

public static class ReportsSetup
{
    public static void AddReports(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<ReportOptions>, ReportOptionsValidator>();
        builder.Services.AddOptions<ReportOptions>().BindConfiguration(ReportOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EmailSender>();
        builder.Services.AddSingleton<ReportQueries>();
        builder.Services.AddSingleton<ReportBuilder>();
        builder.Services.AddSingleton<ReportTemplates>();
        builder.Services.AddSingleton<ReportRenderer>();
        builder.Services.AddSingleton<ReportScheduleStore>();
        builder.Services.AddSingleton<ReportRunStore>();
        builder.Services.AddSingleton<ReportDelivery>();
        builder.Services.AddSingleton<ReportSchedules>();
        builder.Services.AddTransient<ReportJob>();
        builder.AddScheduling();
    }
}

using CityContact.Service.Infrastructure.Email;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityContact.Service.Features.Notifications;

public static class NotificationsSetup
{
    /// <summary>The notification queue and both notifiers; each acts only when Notifications:Notifiers names it.</summary>
    public static void AddTicketNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<NotificationsOptions>, NotificationsOptionsValidator>();
        builder.Services.AddOptions<NotificationsOptions>().BindConfiguration(NotificationsOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton<EmailSender>();
        // The per-request timeout comes from the settings (a linked token), not from HttpClient.Timeout.
        builder.Services.AddHttpClient(SmsGatewayTicketNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<ITicketNotifier, EmailTicketNotifier>();
        builder.Services.AddSingleton<ITicketNotifier, SmsGatewayTicketNotifier>();
        builder.Services.AddSingleton<TicketNotificationQueue>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TicketNotificationQueue>());
    }
}

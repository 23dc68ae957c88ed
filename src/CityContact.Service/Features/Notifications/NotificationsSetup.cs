namespace CityContact.Service.Features.Notifications;

public static class NotificationsSetup
{
    /// <summary>The notification queue, and the notifiers that Notifications:Notifiers names.</summary>
    public static void AddTicketNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<NotificationsOptions>, NotificationsOptionsValidator>();
        builder.Services.AddOptions<NotificationsOptions>().BindConfiguration(NotificationsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<TicketNotificationQueue>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TicketNotificationQueue>());
    }
}

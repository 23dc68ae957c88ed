using CityContact.Service.Features.Notifications;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityContact.Service.Features.Tickets;

public static class TicketsSetup
{
    public static void AddTickets(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<TicketsOptions>, TicketsOptionsValidator>();
        builder.Services.AddOptions<TicketsOptions>().BindConfiguration(TicketsOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CategoryStore>();
        builder.Services.AddSingleton<SlaDeadlines>();
        builder.Services.AddSingleton<TicketService>();
        builder.AddTicketNotifications();
    }

    public static void MapTickets(this WebApplication app)
    {
        TicketsEndpoints.MapTickets(app);
        app.MapTicketCategories();
    }
}

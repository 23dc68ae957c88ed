namespace CityContact.Service.Features.Open311;

public static class Open311Setup
{
    public static void AddOpen311(this WebApplicationBuilder builder) => builder.Services.AddSingleton<Open311Store>();
}

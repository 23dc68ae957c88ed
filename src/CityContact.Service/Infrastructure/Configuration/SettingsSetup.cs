namespace CityContact.Service.Infrastructure.Configuration;

public static class SettingsSetup
{
    /// <summary>Binds every section and validates it when the host starts, before any hosted service runs.</summary>
    public static void AddSettings(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DatabaseOptions, DatabaseOptionsValidator>(DatabaseOptions.Section);
        builder.Services.AddValidatedOptions<AriOptions, AriOptionsValidator>(AriOptions.Section);
        builder.Services.AddValidatedOptions<AmiOptions, AmiOptionsValidator>(AmiOptions.Section);
        builder.Services.AddValidatedOptions<SmtpOptions, SmtpOptionsValidator>(SmtpOptions.Section);
        builder.Services.AddValidatedOptions<CityOptions, CityOptionsValidator>(CityOptions.Section);
        builder.Services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(AuthOptions.Section);
    }

    private static void AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }
}

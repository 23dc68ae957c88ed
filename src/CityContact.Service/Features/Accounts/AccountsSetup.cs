using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityContact.Service.Features.Accounts;

public static class AccountsSetup
{
    public const string FirstAdminUsername = "admin";

    public static void AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();
        builder.Services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.Section).ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<AccountSignIn>();
        builder.Services.AddHostedService<EnsureFirstAdmin>();
    }

    /// <summary>
    /// `make run` hands the service a generated first-admin password beside the bootstrap key; while no admin account
    /// exists, the account "admin" is created with it (audited as the configuration's doing).
    /// </summary>
    private sealed class EnsureFirstAdmin(IOptions<AccountsOptions> options, AccountStore accounts, ILogger<EnsureFirstAdmin> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var password = options.Value.FirstAdminPassword;
            if (string.IsNullOrEmpty(password) || await accounts.AnyAdminAsync(cancellationToken))
            {
                return;
            }
            await accounts.CreateAsync(new NewAccount(FirstAdminUsername, "Administrator", Auth.Roles.Admin, null, AccountLanguages.English, password),
                AccountSignIn.Hash(password), "configuration", null, cancellationToken);
            logger.LogInformation("First admin account {Username} created from Accounts:FirstAdminPassword", FirstAdminUsername);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

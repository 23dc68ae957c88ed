namespace CityContact.Service.Features.Accounts;

/// <summary>A person who signs in to the console. The password hash never leaves <see cref="AccountStore"/>.</summary>
public sealed record Account(
    long Id, string Username, string DisplayName, string Role, long? AgentId, string Language, bool Disabled,
    int FailedAttempts, DateTime? LockedUntil, DateTime CreatedAt, string CreatedBy, DateTime UpdatedAt);

public sealed record NewAccount(string Username, string DisplayName, string Role, long? AgentId, string Language, string Password);

public sealed record AccountChange(string? DisplayName, string? Language, bool? Disabled);

public static class AccountLanguages
{
    public const string Romanian = "ro";
    public const string English = "en";

    public static IReadOnlyList<string> All { get; } = [Romanian, English];
}

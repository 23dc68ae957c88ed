namespace CityContact.Service.Features.Wallboard;

/// <summary>Settings of section <c>Wallboard</c>: when a queue turns amber or red, and how often the board is pushed.</summary>
public sealed class WallboardOptions
{
    public const string Section = "Wallboard";

    /// <summary>A caller waiting this long (seconds) turns the queue amber.</summary>
    public double LongestWaitAmberSeconds { get; set; } = 60;

    public double LongestWaitRedSeconds { get; set; } = 180;

    /// <summary>Abandoned / offered today at or above this (0..1) turns the queue amber.</summary>
    public double AbandonRateAmber { get; set; } = 0.05;

    public double AbandonRateRed { get; set; } = 0.10;

    /// <summary>Service level today below this (0..1) turns the queue amber.</summary>
    public double ServiceLevelAmber { get; set; } = 0.80;

    public double ServiceLevelRed { get; set; } = 0.60;

    /// <summary>Abandon rate and service level are judged only once a queue has been offered this many calls today.</summary>
    public int MinimumOffered { get; set; } = 5;

    /// <summary>At most one board (and one desk per agent) is pushed per this interval; changes in between are coalesced.</summary>
    public int PublishIntervalMilliseconds { get; set; } = 250;

    /// <summary>How often the pending callback requests are counted (one query for every board).</summary>
    public int CallbacksRefreshSeconds { get; set; } = 10;

    /// <summary>A comment line is sent on an idle stream this often, so that proxies keep it open.</summary>
    public int KeepAliveSeconds { get; set; } = 15;
}

internal sealed class WallboardOptionsValidator : IValidateOptions<WallboardOptions>
{
    public ValidateOptionsResult Validate(string? name, WallboardOptions o)
    {
        var errors = new List<string>();
        if (!(o.LongestWaitAmberSeconds > 0 && o.LongestWaitRedSeconds >= o.LongestWaitAmberSeconds))
        {
            errors.Add("Wallboard:LongestWaitAmberSeconds must be above 0 and at most Wallboard:LongestWaitRedSeconds");
        }
        if (!(o.AbandonRateAmber is > 0 and <= 1 && o.AbandonRateRed >= o.AbandonRateAmber && o.AbandonRateRed <= 1))
        {
            errors.Add("Wallboard:AbandonRateAmber and AbandonRateRed must be rates in (0, 1] with amber at most red");
        }
        if (!(o.ServiceLevelRed is >= 0 and <= 1 && o.ServiceLevelAmber >= o.ServiceLevelRed && o.ServiceLevelAmber <= 1))
        {
            errors.Add("Wallboard:ServiceLevelAmber and ServiceLevelRed must be rates in [0, 1] with red at most amber");
        }
        if (o.MinimumOffered < 0)
        {
            errors.Add("Wallboard:MinimumOffered must not be negative");
        }
        if (o.PublishIntervalMilliseconds is < 20 or > 1000)
        {
            errors.Add("Wallboard:PublishIntervalMilliseconds must be between 20 and 1000 (a change reaches the board within 1 s)");
        }
        if (o.CallbacksRefreshSeconds is < 1 or > 3600)
        {
            errors.Add("Wallboard:CallbacksRefreshSeconds must be between 1 and 3600");
        }
        if (o.KeepAliveSeconds is < 1 or > 300)
        {
            errors.Add("Wallboard:KeepAliveSeconds must be between 1 and 300");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

namespace CityContact.Simulator.Traffic;

/// <summary>
/// Citizens calling and agents answering, drawn at random (reproducibly with <see cref="Seed"/>). Every duration is
/// virtual: it runs on the simulator's clock (<see cref="SimulatorOptions.Time"/>).
/// </summary>
public sealed class SyntheticTrafficOptions
{
    /// <summary>Mean arrivals per hour at a profile factor of 1.</summary>
    public double RatePerHour { get; init; } = 60;

    /// <summary>24 factors, one per local hour (0 = midnight), multiplying <see cref="RatePerHour"/>.</summary>
    public IReadOnlyList<double> HourlyProfile { get; init; } = Enumerable.Repeat(1.0, 24).ToArray();

    /// <summary>The zone whose hours <see cref="HourlyProfile"/> follows; null: the clock's local zone.</summary>
    public TimeZoneInfo? TimeZone { get; init; }

    /// <summary>Numbers callers dial (the city's numbers), picked uniformly.</summary>
    public IReadOnlyList<string> CalledNumbers { get; init; } = ["0256969"];

    /// <summary>Caller numbers are this prefix followed by six random digits.</summary>
    public string CallerNumberPrefix { get; init; } = "+40256";

    /// <summary>Menu keys and their weights: each caller presses keys drawn from this mix when prompts are heard.</summary>
    public IReadOnlyDictionary<string, double> MenuChoices { get; init; } = new Dictionary<string, double>
    {
        ["1"] = 3,
        ["2"] = 3,
        ["3"] = 2,
        ["0"] = 1,
    };

    /// <summary>How many prompts a caller answers with a key (the first ones heard); later prompts are only listened to.</summary>
    public int MenuDepth { get; init; } = 1;

    /// <summary>Delay between a prompt starting and the caller pressing a key.</summary>
    public DurationRange ReactionDelay { get; init; } = DurationRange.Seconds(0.5, 2.5);

    /// <summary>Mean of the exponential wait a caller accepts in a holding bridge (a queue) before hanging up.</summary>
    public TimeSpan MeanPatience { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Share of callers who leave a message when a recording starts on their call.</summary>
    public double VoicemailShare { get; init; } = 0.3;

    /// <summary>How long a voicemail caller speaks before pressing #.</summary>
    public DurationRange VoicemailLength { get; init; } = DurationRange.Seconds(4, 20);

    /// <summary>Share of callers who ask for a callback while queued (press 1, then 1 to confirm).</summary>
    public double CallbackShare { get; init; } = 0.15;

    /// <summary>Time spent in the queue before a callback caller presses 1.</summary>
    public DurationRange CallbackAfter { get; init; } = DurationRange.Seconds(10, 60);

    /// <summary>No call lasts longer: the caller hangs up at this point whatever happens.</summary>
    public TimeSpan MaxCallDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Endpoints of synthetic agents (they must be among <see cref="SimulatorOptions.PhoneEndpoints"/>).</summary>
    public IReadOnlyList<string> AgentEndpoints { get; init; } = [];

    /// <summary>Ringing time before a synthetic agent answers.</summary>
    public DurationRange AgentAnswerDelay { get; init; } = DurationRange.Seconds(1, 6);

    /// <summary>Mean of the exponential talk time after which the agent hangs up.</summary>
    public TimeSpan MeanHandleTime { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Pause after each call during which the agent does not take calls.</summary>
    public DurationRange WrapUp { get; init; } = DurationRange.Seconds(10, 30);

    /// <summary>How a phone in wrap-up treats a new call: 486 Busy Here, or ringing until the caller gives up.</summary>
    public WrapUpRefusal WrapUpRefusal { get; init; } = WrapUpRefusal.Busy;

    /// <summary>Seeds every draw; null picks a random seed (logged, so a run can be replayed).</summary>
    public int? Seed { get; init; }

    /// <summary>Throws with one message naming the first wrong setting.</summary>
    public void Validate()
    {
        Require(RatePerHour >= 0 && double.IsFinite(RatePerHour), nameof(RatePerHour), "must be a non-negative number");
        Require(HourlyProfile.Count == 24 && HourlyProfile.All(f => f >= 0 && double.IsFinite(f)), nameof(HourlyProfile), "needs 24 non-negative factors");
        Require(CalledNumbers.Count > 0 && CalledNumbers.All(n => n.Length > 0), nameof(CalledNumbers), "needs at least one number");
        Require(MenuChoices.Count > 0 && MenuChoices.All(c => c.Key.Length > 0 && c.Value >= 0) && MenuChoices.Values.Sum() > 0, nameof(MenuChoices), "needs keys with non-negative weights, not all zero");
        Require(MenuDepth >= 0, nameof(MenuDepth), "must not be negative");
        Require(VoicemailShare is >= 0 and <= 1, nameof(VoicemailShare), "must be between 0 and 1");
        Require(CallbackShare is >= 0 and <= 1, nameof(CallbackShare), "must be between 0 and 1");
        Require(MaxCallDuration > TimeSpan.Zero, nameof(MaxCallDuration), "must be positive");
        foreach (var (name, range) in new[]
        {
            (nameof(ReactionDelay), ReactionDelay), (nameof(VoicemailLength), VoicemailLength), (nameof(CallbackAfter), CallbackAfter),
            (nameof(AgentAnswerDelay), AgentAnswerDelay), (nameof(WrapUp), WrapUp),
        })
        {
            Require(range.Min >= TimeSpan.Zero && range.Max >= range.Min, name, "needs 0 <= Min <= Max");
        }
    }

    private static void Require(bool condition, string setting, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"Synthetic traffic: {setting} {rule}.", setting);
        }
    }
}

public enum WrapUpRefusal
{
    /// <summary>The phone answers 486 Busy Here.</summary>
    Busy,
    /// <summary>The phone rings without answering until the originate times out.</summary>
    DoNotAnswer,
}

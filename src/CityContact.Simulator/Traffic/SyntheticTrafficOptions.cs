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

    /// <summary>
    /// The after-call work. With <see cref="AgentDesk"/> the application's wrap-up holds calls meanwhile and the agent
    /// closes it when done (keep it within the application's wrap-up time); without one, see <see cref="WrapUpRefusal"/>.
    /// </summary>
    public DurationRange WrapUp { get; init; } = DurationRange.Seconds(10, 30);

    /// <summary>
    /// Without <see cref="AgentDesk"/>: how the phone treats a call during the after-call work. A real phone rings and is
    /// answered (None, the default: the application's own wrap-up decides when the agent is offered calls again).
    /// </summary>
    public WrapUpRefusal WrapUpRefusal { get; init; } = WrapUpRefusal.None;

    /// <summary>The agents' desk in the application (pauses, wrap-up codes); null: agents take no breaks.</summary>
    public ISyntheticAgentDesk? AgentDesk { get; init; }

    /// <summary>Codes an agent closes a wrap-up with, picked uniformly.</summary>
    public IReadOnlyList<string> WrapUpCodes { get; init; } = ["information-given", "ticket-created", "redirected", "resolved"];

    /// <summary>Mean of the exponential working time between two breaks of an agent.</summary>
    public TimeSpan MeanWorkBetweenBreaks { get; init; } = TimeSpan.FromMinutes(50);

    /// <summary>The breaks agents take (pause reasons with weights and lengths).</summary>
    public IReadOnlyList<AgentBreak> AgentBreaks { get; init; } =
    [
        new("break", 6, DurationRange.Seconds(5 * 60, 10 * 60)),
        new("back-office", 2.5, DurationRange.Seconds(5 * 60, 15 * 60)),
        new("training", 1, DurationRange.Seconds(15 * 60, 30 * 60)),
        new("lunch", 0.5, DurationRange.Seconds(30 * 60, 45 * 60)),
    ];

    /// <summary>Share of calls an agent does not hear (the phone rings until the application gives up).</summary>
    public double AgentMissShare { get; init; } = 0.02;

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
        Require(AgentMissShare is >= 0 and < 1, nameof(AgentMissShare), "must be at least 0 and below 1");
        Require(WrapUpCodes.Count > 0 && WrapUpCodes.All(c => c.Length > 0), nameof(WrapUpCodes), "needs at least one code");
        Require(MeanWorkBetweenBreaks > TimeSpan.Zero, nameof(MeanWorkBetweenBreaks), "must be positive");
        Require(AgentBreaks.All(b => b.Reason.Length > 0 && b.Weight >= 0 && b.Length.Min >= TimeSpan.Zero && b.Length.Max >= b.Length.Min)
            && (AgentBreaks.Count == 0 || AgentBreaks.Sum(b => b.Weight) > 0), nameof(AgentBreaks), "needs reasons with non-negative weights (not all zero) and lengths 0 <= Min <= Max");
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
    /// <summary>The phone rings and the agent answers, as with any call.</summary>
    None,

    /// <summary>The phone answers 486 Busy Here.</summary>
    Busy,
    /// <summary>The phone rings without answering until the originate times out.</summary>
    DoNotAnswer,
}

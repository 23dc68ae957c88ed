namespace CityContact.Service.Features.Queues;

public enum QueueStrategy
{
    LongestIdle,
    RoundRobin,
    FewestCalls,
    RingAll,
    Linear,
}

/// <summary>What a queue does when no agent able to take its calls is logged in.</summary>
public enum NoAgentsPolicy
{
    /// <summary>Callers join and wait (an agent may log in).</summary>
    JoinEmpty,

    /// <summary>Callers are refused on arrival and waiting callers are sent on when the last agent leaves.</summary>
    LeaveWhenEmpty,
}

/// <summary>The dispatcher's settings (section Queues); per-queue overrides by queue code under Queues:Overrides.</summary>
public sealed class QueueOptions
{
    public const string Section = "Queues";

    public QueueStrategy Strategy { get; set; } = QueueStrategy.LongestIdle;

    /// <summary>
    /// Leave-when-empty by default: during opening hours a queue with nobody logged in is a staffing gap, and the caller
    /// is better served by voicemail (or the message) at once than by music with no end.
    /// </summary>
    public NoAgentsPolicy NoAgents { get; set; } = NoAgentsPolicy.LeaveWhenEmpty;

    /// <summary>After max wait, max length or with nobody to serve: a voicemail that becomes a callback ticket (true), or a message and goodbye.</summary>
    public bool OverflowToVoicemail { get; set; } = true;

    public int RingTimeoutSeconds { get; set; } = 15;

    public double WrapUpSeconds { get; set; } = 10;

    /// <summary>Missed offers in a row after which the agent is paused with reason <c>missed-calls</c>.</summary>
    public int MaxMissesBeforePause { get; set; } = 3;

    /// <summary>Every this many seconds a waiting caller hears their position and estimated wait.</summary>
    public double AnnounceEverySeconds { get; set; } = 30;

    /// <summary>The handle time (talk + wrap-up) assumed before a queue has answered calls of its own.</summary>
    public double DefaultHandleSeconds { get; set; } = 180;

    /// <summary>How many recent handle times the rolling average takes.</summary>
    public int HandleTimeWindow { get; set; } = 50;

    /// <summary>Outbound callback numbers must match one of these patterns (regular expressions, whole number).</summary>
    public List<string> CallbackAllowedPatterns { get; set; } = [@"^\+?40[0-9]{9}$", @"^0[0-9]{9}$"];

    /// <summary>Callback requests one number may have in 24 hours; more are refused.</summary>
    public int CallbacksPerNumberPerDay { get; set; } = 3;

    public int CallbackMaxAttempts { get; set; } = 3;

    /// <summary>How the citizen is dialled: a format with {0} for the number (the trunk endpoint of pjsip.conf).</summary>
    public string CallbackEndpoint { get; set; } = "PJSIP/{0}@trunk";

    public int CallbackRingSeconds { get; set; } = 30;

    public double CallbackRetryMinutes { get; set; } = 15;

    /// <summary>
    /// How long a claim on a callback request lasts without renewal (renewed every third of it while the callback runs):
    /// how soon another instance takes over the callbacks of one that crashed.
    /// </summary>
    public double CallbackLeaseSeconds { get; set; } = 60;

    public Dictionary<string, QueueOverride> Overrides { get; set; } = new(StringComparer.Ordinal);

    public QueueStrategy StrategyOf(string code) => Overrides.GetValueOrDefault(code)?.Strategy ?? Strategy;

    public NoAgentsPolicy NoAgentsOf(string code) => Overrides.GetValueOrDefault(code)?.NoAgents ?? NoAgents;
}

public sealed class QueueOverride
{
    public QueueStrategy? Strategy { get; set; }

    public NoAgentsPolicy? NoAgents { get; set; }
}

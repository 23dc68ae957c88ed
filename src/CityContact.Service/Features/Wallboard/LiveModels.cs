namespace CityContact.Service.Features.Wallboard;

public sealed record Board(DateTimeOffset At, BoardThresholds Thresholds, IReadOnlyList<BoardQueue> Queues, IReadOnlyList<BoardAgent> Agents);

public sealed record BoardThresholds(
    double LongestWaitAmberSeconds, double LongestWaitRedSeconds, double AbandonRateAmber, double AbandonRateRed,
    double ServiceLevelAmber, double ServiceLevelRed, int ServiceLevelSeconds, int MinimumOffered);

public sealed record BoardQueue(
    long Id, string Code, string Name, int Waiting, double LongestWaitSeconds, long Offered, long Answered, long Abandoned,
    double? ServiceLevel, double? AverageSpeedOfAnswerSeconds, long CallbacksPending, string Status, IReadOnlyList<string> Reasons);

public sealed record BoardAgent(long Id, string Name, string State, string? Reason, DateTimeOffset Since, long CallsToday, BoardCall? CurrentCall);

public sealed record BoardCall(string CallId, string QueueCode, DateTimeOffset Since);

public sealed record Desk(DeskAgent Agent, DeskCall? Call, CitizenHistory? History);

public sealed record DeskAgent(long Id, string Name, string State, string? Reason, DateTimeOffset Since, IReadOnlyList<string> Queues);

public sealed record DeskCall(
    string CallId, long? CallRowId, string Phase, string CallerNumber, string? Language, string QueueCode, double WaitSeconds,
    IReadOnlyList<string> IvrPath, bool Urgent, DateTimeOffset Since, string? WrapUpCode);

public sealed record CitizenHistory(IReadOnlyList<EarlierCall> Calls, IReadOnlyList<OpenTicket> OpenTickets);

public sealed record EarlierCall(long CallId, DateTimeOffset StartedAt, string? QueueCode, string? Outcome);

public sealed record OpenTicket(long Id, string? Number, string? Category, string Status, DateTimeOffset? DueAt);

public static class DeskPhases
{
    public const string Ringing = "ringing";
    public const string Talking = "talking";
    public const string WrapUp = "wrap-up";
}

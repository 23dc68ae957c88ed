namespace CityContact.Service.Features.Reports;

/// <summary>Which calls and tickets a report covers: the whole city, or some departments.</summary>
public sealed record ReportScope(IReadOnlyList<long> DepartmentIds)
{
    public static ReportScope City { get; } = new([]);

    public bool IsCity => DepartmentIds.Count == 0;

    /// <summary>The SQL parameter: null selects every department (and calls without one).</summary>
    public long[]? DepartmentFilter => IsCity ? null : [.. DepartmentIds];
}

/// <summary>Calls that started in the period and have ended; a call spanning midnight belongs to the day it started.</summary>
public sealed record CallFigures
{
    public int Offered { get; init; }
    public int Answered { get; init; }
    public int Abandoned { get; init; }
    public int SelfService { get; init; }
    public int Voicemail { get; init; }
    public int Failed { get; init; }
    public int CallbacksRequested { get; init; }
    public int CallbacksCompleted { get; init; }
    public int CallbacksWithinSla { get; init; }
    public int AnsweredWithinServiceLevel { get; init; }
    public int AbandonedUnder30Seconds { get; init; }
    public int Abandoned30To120Seconds { get; init; }
    public int AbandonedOver120Seconds { get; init; }
    public double? AverageAbandonSeconds { get; init; }
    public double? AverageSpeedOfAnswerSeconds { get; init; }
    public double? AverageHandleSeconds { get; init; }
    public double? LongestWaitSeconds { get; init; }

    /// <summary>Answered within the threshold over the calls that reached a queue's decision (answered + abandoned).</summary>
    public double? ServiceLevel => Answered + Abandoned == 0 ? null : (double)AnsweredWithinServiceLevel / (Answered + Abandoned);

    public double? AbandonRate => Answered + Abandoned == 0 ? null : (double)Abandoned / (Answered + Abandoned);
}

/// <summary>Calls per hour of day (0-23, local) or ISO day of week (1 = Monday … 7 = Sunday).</summary>
public sealed record CallDistribution(int Slot, int Offered, int Answered, int Abandoned);

public sealed record DepartmentFigures(long Id, string Code, string Name, int Offered, int Answered, int Abandoned,
    double? AverageSpeedOfAnswerSeconds, int TicketsOpened, int TicketsOverdue)
{
    public double? AbandonRate => Answered + Abandoned == 0 ? null : (double)Abandoned / (Answered + Abandoned);
}

/// <summary>Time in the period: logged in = any state but logged_out; talking from the agent's answered calls.</summary>
/// <summary>QualityAverage: the mean score of the agent's calls reviewed in the period (Features/Quality), null when none.</summary>
public sealed record AgentFigures(long Id, string Name, double LoggedInSeconds, double PausedSeconds, double TalkingSeconds, int CallsAnswered, double? QualityAverage = null);

/// <summary>Tickets grouped by kind and department (tickets have no category of their own).</summary>
public sealed record TicketFigures(string Kind, string? Department, int Opened, int Resolved, int Overdue, double? AverageResolutionHours);

public sealed record LowRating(long TicketId, string Subject, int Rating, string? Department, DateTime ResolvedAt);

public sealed record Satisfaction(double? Average, int Rated, IReadOnlyList<LowRating> LowRatings);

/// <summary>How often callers reached an IVR node (a caller looping back counts again) and how many hung up or timed out there.</summary>
public sealed record IvrNodeFigures(string Node, int Visits, int Hangups, int Timeouts, string[] ExampleCallers, DateTime[] ExampleTimes)
{
    public double FailureRate => Visits == 0 ? 0 : (double)(Hangups + Timeouts) / Visits;
}

public sealed record RepeatCaller(string MaskedCaller, int RepeatCalls, DateTime LastCall);

public enum FindingKind
{
    IvrNode,
    DepartmentAbandonRate,
    DepartmentWait,
    DepartmentOverdueTickets,
    RepeatCallers,
}

/// <summary>A procedure that fails citizens, with the numbers that show it and a few examples.</summary>
/// <summary>Count occurrences out of Total (e.g. hang-ups out of the calls that reached an IVR node; 0 when not a ratio).</summary>
public sealed record Finding(FindingKind Kind, string Subject, double Value, double Threshold, int Count, int Total, IReadOnlyList<string> Examples);

public sealed record ReportData(
    ReportPeriod Period,
    ReportScope Scope,
    IReadOnlyList<string> ScopeNames,
    CallFigures Calls,
    IReadOnlyList<CallDistribution> ByHour,
    IReadOnlyList<CallDistribution> ByDayOfWeek,
    IReadOnlyList<DepartmentFigures> Departments,
    IReadOnlyList<AgentFigures> Agents,
    IReadOnlyList<TicketFigures> Tickets,
    Satisfaction Satisfaction,
    IReadOnlyList<IvrNodeFigures> IvrNodes,
    IReadOnlyList<RepeatCaller> RepeatCallers,
    IReadOnlyList<Finding> Findings);

/// <summary>Shows only the last three digits: enough for a manager to tell examples apart, not to call them.</summary>
public static class PhoneMask
{
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "";
        }
        var digits = number.Count(char.IsDigit);
        var seen = 0;
        return string.Concat(number.Select(c => char.IsDigit(c) && ++seen <= digits - 3 ? '•' : c));
    }
}

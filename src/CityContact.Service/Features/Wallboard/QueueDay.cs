namespace CityContact.Service.Features.Wallboard;

/// <summary>
/// A queue's figures since the city's midnight, as the reports count them: service level is the share of answered
/// and abandoned calls that were answered within the service-level time; the speed of answer is the mean wait of the
/// answered calls; the abandon rate is abandoned over offered.
/// </summary>
public sealed class QueueDay
{
    public long Offered { get; private set; }

    public long Answered { get; private set; }

    public long Abandoned { get; private set; }

    public long AnsweredWithinServiceLevel { get; private set; }

    public double AnsweredWaitSeconds { get; private set; }

    public void Offer() => Offered++;

    public void Answer(TimeSpan wait, TimeSpan serviceLevel)
    {
        Answered++;
        AnsweredWaitSeconds += Math.Max(0, wait.TotalSeconds);
        if (wait <= serviceLevel)
        {
            AnsweredWithinServiceLevel++;
        }
    }

    public void Abandon() => Abandoned++;

    /// <summary>Adds what the calls rows of the day already hold (read at start-up and at midnight).</summary>
    public void Add(long offered, long answered, long abandoned, long answeredWithinServiceLevel, double answeredWaitSeconds)
    {
        Offered += offered;
        Answered += answered;
        Abandoned += abandoned;
        AnsweredWithinServiceLevel += answeredWithinServiceLevel;
        AnsweredWaitSeconds += answeredWaitSeconds;
    }

    public double? ServiceLevel => Answered + Abandoned == 0 ? null : (double)AnsweredWithinServiceLevel / (Answered + Abandoned);

    public double? AverageSpeedOfAnswerSeconds => Answered == 0 ? null : AnsweredWaitSeconds / Answered;

    public double? AbandonRate => Offered == 0 ? null : (double)Abandoned / Offered;
}

public static class QueueStatuses
{
    public const string Ok = "ok";
    public const string Amber = "amber";
    public const string Red = "red";

    public const string LongestWait = "longest-wait";
    public const string AbandonRate = "abandon-rate";
    public const string ServiceLevel = "service-level";

    /// <summary>Red when any red threshold is crossed, amber when any amber one is; the reasons are the thresholds crossed.</summary>
    public static (string Status, IReadOnlyList<string> Reasons) Judge(double longestWaitSeconds, QueueDay day, WallboardOptions thresholds)
    {
        var red = false;
        var reasons = new List<string>(3);
        if (longestWaitSeconds >= thresholds.LongestWaitAmberSeconds)
        {
            reasons.Add(LongestWait);
            red |= longestWaitSeconds >= thresholds.LongestWaitRedSeconds;
        }
        if (day.Offered >= Math.Max(1, thresholds.MinimumOffered))
        {
            if (day.AbandonRate is { } abandon && abandon >= thresholds.AbandonRateAmber)
            {
                reasons.Add(AbandonRate);
                red |= abandon >= thresholds.AbandonRateRed;
            }
            if (day.ServiceLevel is { } level && level < thresholds.ServiceLevelAmber)
            {
                reasons.Add(ServiceLevel);
                red |= level < thresholds.ServiceLevelRed;
            }
        }
        return (reasons.Count == 0 ? Ok : red ? Red : Amber, reasons);
    }
}

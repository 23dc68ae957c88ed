using System.Globalization;
using Quartz;

namespace CityContact.Service.Features.Surveys;

/// <summary>Fired by Quartz (on one instance of the cluster) at the opening after a ticket was resolved outside calling hours.</summary>
[DisallowConcurrentExecution]
public sealed class SurveyCallJob(SurveyCallScheduler surveys) : IJob
{
    public const string TicketIdKey = "ticketId";
    public const string ResolvedAtKey = "resolvedAtTicks";
    public const string AttemptKey = "attempt";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var data = context.MergedJobDataMap;
        await surveys.RunPlannedAsync(
            long.Parse(data.GetString(TicketIdKey)!, CultureInfo.InvariantCulture),
            new DateTime(long.Parse(data.GetString(ResolvedAtKey)!, CultureInfo.InvariantCulture), DateTimeKind.Utc),
            int.Parse(data.GetString(AttemptKey)!, CultureInfo.InvariantCulture),
            cancellationToken);
    }
}

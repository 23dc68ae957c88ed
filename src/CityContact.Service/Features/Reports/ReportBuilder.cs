using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Reports;

/// <summary>Gathers a report's figures for a period and scope, and detects the procedures that fail citizens.</summary>
public sealed class ReportBuilder(ReportQueries queries, IOptions<ReportOptions> reportOptions, IOptions<CityOptions> cityOptions, TimeProvider clock)
{
    private const int ListedExamples = 10;

    public TimeZoneInfo CityZone => TimeZoneInfo.FindSystemTimeZoneById(cityOptions.Value.TimeZone);

    public async Task<ReportData> BuildAsync(ReportPeriod period, ReportScope scope, CancellationToken ct)
    {
        var options = reportOptions.Value;
        var window = WindowOf(period, scope);
        var calls = await queries.CallFiguresAsync(window, options.ServiceLevelSeconds, options.CallbackSlaHours, ct);
        var (byHour, byDay) = await queries.DistributionAsync(window, ct);
        var departments = await queries.DepartmentsAsync(window, ct);
        var agents = await queries.AgentsAsync(window, ct);
        var tickets = await queries.TicketsAsync(window, ct);
        var satisfaction = await queries.SatisfactionAsync(window, options.LowRating, ListedExamples * 2, ct);
        var ivrNodes = await queries.IvrNodesAsync(window, ct);
        var repeats = await queries.RepeatCallersAsync(window, options.RepeatCallerDays, ct);
        var repeatCallers = repeats.Select(r => new RepeatCaller(PhoneMask.Mask(r.Caller), r.RepeatCalls, r.LastCall)).ToList();
        var names = scope.IsCity ? [] : await queries.DepartmentNamesAsync(scope.DepartmentIds, ct);
        var findings = Findings(options, departments, ivrNodes, repeatCallers);
        return new ReportData(period, scope, names, calls, byHour, byDay, departments, agents, tickets, satisfaction, ivrNodes, repeatCallers, findings);
    }

    private string LocalTime(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), CityZone)
            .ToString("g", System.Globalization.CultureInfo.GetCultureInfo(cityOptions.Value.Culture));

    public ReportQueries.Window WindowOf(ReportPeriod period, ReportScope scope) =>
        new(period.FromUtc, period.ToUtc, cityOptions.Value.TimeZone, scope.DepartmentFilter, clock.GetUtcNow().UtcDateTime);

    private List<Finding> Findings(ReportOptions options, IReadOnlyList<DepartmentFigures> departments,
        IReadOnlyList<IvrNodeFigures> ivrNodes, List<RepeatCaller> repeatCallers)
    {
        var findings = new List<Finding>();
        foreach (var node in ivrNodes.Where(n => n.Hangups + n.Timeouts >= options.MinimumEvidence && n.FailureRate >= options.IvrFailureRateThreshold)
                     .OrderByDescending(n => n.FailureRate))
        {
            var examples = node.ExampleCallers.Zip(node.ExampleTimes, (caller, at) => $"{PhoneMask.Mask(caller)} ({LocalTime(at)})").ToList();
            findings.Add(new Finding(FindingKind.IvrNode, node.Node, node.FailureRate, options.IvrFailureRateThreshold, node.Hangups + node.Timeouts, node.Visits, examples));
        }
        foreach (var department in departments)
        {
            var decided = department.Answered + department.Abandoned;
            if (department.AbandonRate is { } rate && decided >= options.MinimumEvidence && rate > options.AbandonRateThreshold)
            {
                findings.Add(new Finding(FindingKind.DepartmentAbandonRate, department.Name, rate, options.AbandonRateThreshold, department.Abandoned, decided, []));
            }
            if (department.AverageSpeedOfAnswerSeconds is { } asa && department.Answered >= options.MinimumEvidence && asa > options.AverageWaitThresholdSeconds)
            {
                findings.Add(new Finding(FindingKind.DepartmentWait, department.Name, asa, options.AverageWaitThresholdSeconds, department.Answered, 0, []));
            }
            if (department.TicketsOverdue > options.OverdueTicketsThreshold)
            {
                findings.Add(new Finding(FindingKind.DepartmentOverdueTickets, department.Name, department.TicketsOverdue, options.OverdueTicketsThreshold, department.TicketsOverdue, 0, []));
            }
        }
        if (repeatCallers.Count >= options.MinimumEvidence)
        {
            findings.Add(new Finding(FindingKind.RepeatCallers, $"{options.RepeatCallerDays}", repeatCallers.Count, options.MinimumEvidence,
                repeatCallers.Sum(r => r.RepeatCalls), 0, [.. repeatCallers.Take(ListedExamples).Select(r => $"{r.MaskedCaller} ×{r.RepeatCalls}")]));
        }
        return findings;
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace CityContact.Service.Tests.Desk;

/// <summary>
/// `make run`'s living demo (Simulator:SyntheticTraffic) with the service's own settings (10 s wrap-up, 15 s ring
/// timeout, pause after 3 misses, overflow to voicemail), on a clock running ×<see cref="Scale"/>, for 4 virtual minutes
/// of a Wednesday morning: what the issue's acceptance reads from /api/agents and the calls rows.
/// </summary>
public sealed class LivingDemoTests(ITestOutputHelper output)
{
    private const double Scale = 5;

    [Fact]
    public async Task Four_minutes_into_the_demo_no_synthetic_agent_is_paused_for_missed_calls_and_most_queued_callers_were_answered()
    {
        var ct = TestContext.Timeout(180);
        var clock = new ScaledTimeProvider(Scale, IvrHost.WednesdayMorning);
        await using var host = await IvrHost.StartAsync(sharedTime: clock, settings: new Dictionary<string, string?>
        {
            ["Simulator:SyntheticTraffic"] = "true",
            ["Queues:OverflowToVoicemail"] = "true",
            // The service's defaults: callers take 0.5-2.5 s to press a key.
            ["Ivr:DefaultTimeoutMs"] = "5000",
            ["Ivr:DefaultInterDigitTimeoutMs"] = "3000",
        });
        var start = clock.GetUtcNow();
        var paused = new Dictionary<string, string>();
        var reasons = new HashSet<string>();
        using var admin = host.Admin();
        while (clock.GetUtcNow() - start < TimeSpan.FromMinutes(4))
        {
            await Task.Delay(TimeSpan.FromSeconds(5), clock, ct);
            var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", ct);
            foreach (var agent in agents.GetProperty("items").EnumerateArray())
            {
                var name = agent.GetProperty("name").GetString()!;
                var reason = agent.GetProperty("reason").GetString();
                if (agent.GetProperty("state").GetString() == "paused")
                {
                    reasons.Add(reason!);
                }
                if (reason == "missed-calls")
                {
                    paused.TryAdd(name, $"{name} at {(clock.GetUtcNow() - start).TotalSeconds:F0} s, misses {agent.GetProperty("misses").GetInt32()}");
                }
            }
        }

        await host.Recorder.WaitUntilStoredAsync(ct);
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var outcomes = (await connection.QueryAsync<(string Outcome, long Count)>("""
            SELECT outcome, count(*) FROM calls WHERE queue_id IS NOT NULL AND ended_at IS NOT NULL GROUP BY outcome
            """)).ToDictionary(r => r.Outcome, r => r.Count);
        var ended = outcomes.Values.Sum();
        var answered = outcomes.GetValueOrDefault(CallOutcomes.Answered);
        var summary = string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"));
        var wrapUps = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM call_wrapups");
        output.WriteLine($"Queued calls that ended: {summary}; pause reasons seen: {string.Join(", ", reasons)}; wrap-up codes stored: {wrapUps}");

        Assert.True(paused.Count == 0, $"paused for missed calls: {string.Join("; ", paused.Values)} (queued calls: {summary})");
        Assert.True(ended >= 10, $"too few queued calls ended to judge: {summary}");
        Assert.True(answered * 2 >= ended, $"answered {answered} of {ended} queued calls that ended: {summary}");
    }
}

using CityContact.Service.Features.Calls;
using CityContact.Service.Infrastructure.Http;
using CityContact.Service.Tests.Ivr;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CityContact.Service.Tests.Stores;

/// <summary>The write-behind recorder against the real database.</summary>
public sealed class CallRecorderTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_record_the_database_refuses_is_set_aside_and_the_calls_around_it_are_stored()
    {
        var ct = TestContext.Timeout(30);
        var recorder = new CallRecorder(db.DataSource, Options.Create(new CallRecorderOptions { RetryMinDelay = TimeSpan.FromMilliseconds(10) }),
            TimeProvider.System, NullLogger<CallRecorder>.Instance);
        await recorder.StartAsync(ct);
        var started = DateTimeOffset.UtcNow;
        try
        {
            recorder.Record(new CallOpened("rec-before", "+40700000001", "0256969", "ro", started, null));
            // "Romanian" breaks calls.language's CHECK: retrying it would fail forever and hold back every other call.
            recorder.Record(new CallOpened("rec-refused", "+40700000002", "0256969", "Romanian", started, null));
            recorder.Step("rec-before", started.AddSeconds(1), "answered");
            recorder.Record(new CallOpened("rec-after", "+40700000003", "0256969", "en", started, null));
            await recorder.WaitUntilStoredAsync(ct);
        }
        finally
        {
            // Bounded: a recorder stuck on the refused record would otherwise keep the test waiting for its drain.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await recorder.StopAsync(stopping.Token);
        }

        var calls = new CallStore(db.DataSource);
        var stored = (await calls.ListAsync(new CallFilter(null, null, null, null, null), new PageRequest(50, 0), ct)).Items;
        Assert.Equal(["rec-after", "rec-before"], stored.Where(c => c.ChannelId.StartsWith("rec-", StringComparison.Ordinal)).Select(c => c.ChannelId).Order());
        Assert.Equal(["answered"], (await calls.TimelineAsync(stored.Single(c => c.ChannelId == "rec-before").Id, ct)).Select(e => e.Type));
        Assert.Equal(1, recorder.RefusedCount);

    }
}

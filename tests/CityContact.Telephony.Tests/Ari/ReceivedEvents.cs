using CityContact.Telephony.Ari.Models;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>An app's event handler for tests: keeps every event and lets a test wait for one.</summary>
internal sealed class ReceivedEvents
{
    private readonly List<AriMessage> _events = [];
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask HandleAsync(AriMessage message, CancellationToken cancellationToken)
    {
        lock (_events)
        {
            _events.Add(message);
            _added.TrySetResult();
            _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<AriMessage> All
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan patience) where T : AriMessage
    {
        using var timeout = new CancellationTokenSource(patience);
        while (true)
        {
            Task added;
            lock (_events)
            {
                if (_events.OfType<T>().FirstOrDefault(match) is { } found)
                {
                    return found;
                }
                added = _added.Task;
            }
            try
            {
                await added.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {typeof(T).Name} matching within {patience}; got: {string.Join(", ", All.Select(e => e.Type))}");
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CityContact.Service.Features.Emergency;

/// <summary>
/// Fans out what was just stored to the server-sent-event streams of this instance: each subscriber has a bounded
/// queue of its own, so one slow browser drops its oldest items (it reloads the stored timeline on reconnect) and never
/// holds up a conference or another subscriber.
/// </summary>
public sealed class LiveFeed<T>
{
    private readonly ConcurrentDictionary<Subscription, byte> _subscribers = new();

    public Subscription Subscribe(Func<T, bool> wanted)
    {
        var subscription = new Subscription(this, wanted);
        _subscribers[subscription] = 0;
        return subscription;
    }

    public void Publish(T item)
    {
        foreach (var subscriber in _subscribers.Keys)
        {
            if (subscriber.Wanted(item))
            {
                subscriber.Queue.Writer.TryWrite(item);
            }
        }
    }

    public sealed class Subscription(LiveFeed<T> feed, Func<T, bool> wanted) : IDisposable
    {
        internal Func<T, bool> Wanted { get; } = wanted;

        internal Channel<T> Queue { get; } = Channel.CreateBounded<T>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });

        public ChannelReader<T> Reader => Queue.Reader;

        public void Dispose()
        {
            feed._subscribers.TryRemove(this, out _);
            Queue.Writer.TryComplete();
        }
    }
}

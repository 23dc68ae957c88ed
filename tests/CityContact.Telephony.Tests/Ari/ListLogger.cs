using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>Keeps every log line so tests can assert what was logged (and how often).</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text, Exception? Error)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Text, Exception? Error)> Entries => _entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception), exception));

    public int Count(string fragment) => Entries.Count(e => e.Text.Contains(fragment, StringComparison.Ordinal));
}

internal sealed class ListLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Forwarding(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Forwarding(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}

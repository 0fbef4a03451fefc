using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// Records every log message (at every level, Trace and Debug included) with its exception, as a log sink of the
/// application would receive them; <see cref="AssertNoCanary"/> scans them and exception chains for plaintext.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Text)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, EventId EventId, string Text)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Every text a log sink or an error page could show of <paramref name="exception"/>: each message, ToString() and Data, inner exceptions included.</summary>
    public static IEnumerable<string> TextsOf(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        while (pending.TryPop(out var current))
        {
            yield return current.GetType().FullName + ": " + current.Message;
            yield return current.ToString();
            foreach (DictionaryEntry entry in current.Data)
            {
                yield return $"{entry.Key}={entry.Value}";
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }

    /// <summary>Fails when any text contains any canary (ordinal, and case-insensitively).</summary>
    public static void AssertNoCanary(IEnumerable<string> texts, params string[] canaries)
    {
        foreach (var text in texts)
        {
            foreach (var canary in canaries)
            {
                Xunit.Assert.False(
                    text.Contains(canary, StringComparison.OrdinalIgnoreCase),
                    $"A plaintext canary ({canary}) was found in: {text}");
            }
        }
    }

    /// <summary>The texts of every captured message (rendered message and exception chain).</summary>
    public IEnumerable<string> Texts() => _entries.Select(e => $"[{e.Level} {e.EventId.Id} {e.Category}] {e.Text}");

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                text += " {" + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}")) + "}";
            }

            if (exception is not null)
            {
                text += Environment.NewLine + string.Join(Environment.NewLine, TextsOf(exception));
            }

            owner._entries.Enqueue((category, logLevel, eventId, text));
        }
    }
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// Makes a race deterministic: <see cref="Arm"/> an action, and on this async flow, once a query has read a given table,
/// the action runs at the next write — before the next transaction starts or the next command that is not a SELECT
/// executes — that is, between the reader's read and its write. One shared instance for every context (EF Core builds
/// an internal service provider per distinct set of interceptors).
/// </summary>
internal sealed class InterleavingInterceptor : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly AsyncLocal<Plan?> Current = new();

    private InterleavingInterceptor()
    {
    }

    public static InterleavingInterceptor Instance { get; } = new();

    /// <summary>Runs <paramref name="action"/> once, at the first write after a query of <paramref name="table"/>, on this flow.</summary>
    public static Plan Arm(string table, Func<Task> action)
    {
        var plan = new Plan(table, action);
        Current.Value = plan;
        return plan;
    }

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Saw(command);
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Saw(command);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        BeforeWrite(command).GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await BeforeWrite(command);
        return result;
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        BeforeWrite(command).GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await BeforeWrite(command);
        return result;
    }

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Fire().GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await Fire();
        return result;
    }

    private static void Saw(DbCommand command)
    {
        if (Current.Value is { Read: false } plan && IsSelect(command) && command.CommandText.Contains($"\"{plan.Table}\"", StringComparison.Ordinal))
        {
            plan.Read = true;
        }
    }

    private static Task BeforeWrite(DbCommand command) => IsSelect(command) ? Task.CompletedTask : Fire();

    private static async Task Fire()
    {
        if (Current.Value is { Read: true } plan && plan.Take() is { } action)
        {
            await action();
        }
    }

    private static bool IsSelect(DbCommand command) => command.CommandText.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase);

    public sealed class Plan(string table, Func<Task> action) : IDisposable
    {
        private Func<Task>? _action = action;

        public string Table { get; } = table;

        public bool Read { get; set; }

        /// <summary>Gets whether the action ran.</summary>
        public bool Ran { get; private set; }

        public Func<Task>? Take()
        {
            var taken = Interlocked.Exchange(ref _action, null);
            Ran |= taken is not null;
            return taken;
        }

        public void Dispose() => _action = null;
    }
}

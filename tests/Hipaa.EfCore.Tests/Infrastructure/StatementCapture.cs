using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// Lets EF Core "run" commands with no database behind the connection: opening and closing are suppressed and every
/// non-query is recorded and answered with 0 rows, so a test can read the SQL a provider writes (SQL Server, which no
/// machine here runs) without a server.
/// </summary>
internal sealed class StatementCapture : DbCommandInterceptor, IDbConnectionInterceptor
{
    private readonly List<string> _statements = [];

    /// <summary>Gets the command texts recorded, in order.</summary>
    public IReadOnlyList<string> Statements
    {
        get
        {
            lock (_statements)
            {
                return [.. _statements];
            }
        }
    }

    /// <summary>Forgets the statements recorded so far.</summary>
    public void Clear()
    {
        lock (_statements)
        {
            _statements.Clear();
        }
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Record(command);
        return InterceptionResult<int>.SuppressWithResult(0);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Record(command);
        return ValueTask.FromResult(InterceptionResult<int>.SuppressWithResult(0));
    }

    public InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) => InterceptionResult.Suppress();

    public ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(InterceptionResult.Suppress());

    public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) => InterceptionResult.Suppress();

    public ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        ValueTask.FromResult(InterceptionResult.Suppress());

    private void Record(DbCommand command)
    {
        lock (_statements)
        {
            _statements.Add(command.CommandText);
        }
    }
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Keeps read records written inside the caller's transaction (SQLite) from being lost with it: a commit keeps them, a
/// rollback — explicit, or a transaction that ended without commit, noticed when the next one starts — appends them again.
/// </summary>
internal sealed class AuditTransactionInterceptor : DbTransactionInterceptor
{
    public static AuditTransactionInterceptor Instance { get; } = new();

    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        Reappend(eventData);
        return result;
    }

    public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        Reappend(eventData);
        return ValueTask.FromResult(result);
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context)
        {
            Reading.ReadSession.For(context).WrittenInTransaction.Clear();
        }
    }

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Reappend(eventData);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Reappend(eventData);
        return Task.CompletedTask;
    }

    private static void Reappend(TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context && HipaaContext.Audit(context) is { } runtime)
        {
            runtime.ReappendRolledBackReads(context);
        }
    }
}

using System.Data.Common;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// On SQLite, a read inside the caller's transaction is recorded inside that transaction (a second connection could not
/// write while it holds the database's write lock). A rollback is seen by <see cref="AuditTransactionInterceptor"/>; a
/// transaction disposed without commit — <c>using var tx = db.Database.BeginTransaction()</c> and an exception — raises
/// no interceptor event at all. This factory's transactions append those read records again once they are disposed
/// uncommitted, so a read's records outlive the caller's transaction while the caller keeps what it read.
/// </summary>
internal sealed class ReadRecordsSurvivingTransactionFactory(RelationalTransactionFactoryDependencies dependencies) : RelationalTransactionFactory(dependencies)
{
    public override RelationalTransaction Create(
        IRelationalConnection connection,
        DbTransaction transaction,
        Guid transactionId,
        IDiagnosticsLogger<DbLoggerCategory.Database.Transaction> logger,
        bool transactionOwned)
    {
        // Found now, while the context is alive: a transaction is also disposed by the context's own disposal (one the
        // application left open, one it passed in with UseTransaction), when the context can no longer be asked.
        var context = connection.Context;
        var runtime = context is null ? null : HipaaContext.Audit(context);
        var session = runtime is null ? null : ReadSession.For(context!);
        return new Transaction(connection, transaction, transactionId, logger, transactionOwned, Dependencies.SqlGenerationHelper, runtime, session);
    }

    private sealed class Transaction(
        IRelationalConnection connection,
        DbTransaction transaction,
        Guid transactionId,
        IDiagnosticsLogger<DbLoggerCategory.Database.Transaction> logger,
        bool transactionOwned,
        ISqlGenerationHelper sqlGenerationHelper,
        AuditRuntime? runtime,
        ReadSession? session)
        : RelationalTransaction(connection, transaction, transactionId, logger, transactionOwned, sqlGenerationHelper)
    {
        private readonly DbTransaction _transaction = transaction;
        private readonly bool _owned = transactionOwned;

        public override void Dispose()
        {
            base.Dispose();
            ReappendUncommittedReads();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync().ConfigureAwait(false);
            ReappendUncommittedReads();
        }

        /// <summary>
        /// A commit cleared the list (AuditTransactionInterceptor); whatever is left was rolled back with an EF Core
        /// transaction. The application's own (UseTransaction) ended however it did behind EF Core's back: once it has
        /// ended, the records it did not keep are appended again; while it is still open, they wait for the next
        /// transaction of the context (whose start re-appends them).
        /// </summary>
        private void ReappendUncommittedReads()
        {
            if (runtime is null || session is null || session.WrittenInTransaction.Count == 0)
            {
                return;
            }

            if (_owned)
            {
                runtime.ReappendRolledBackReads(session);
            }
            else if (Ended(_transaction))
            {
                runtime.ReappendReadsNotStored(session);
            }
        }

        /// <summary>Whether the application's transaction was committed, rolled back or disposed (its connection is gone).</summary>
        private static bool Ended(DbTransaction transaction)
        {
            try
            {
                return transaction.Connection is null;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }
}

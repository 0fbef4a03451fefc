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
        bool transactionOwned) =>
        new Transaction(connection, transaction, transactionId, logger, transactionOwned, Dependencies.SqlGenerationHelper);

    private sealed class Transaction(
        IRelationalConnection connection,
        DbTransaction transaction,
        Guid transactionId,
        IDiagnosticsLogger<DbLoggerCategory.Database.Transaction> logger,
        bool transactionOwned,
        ISqlGenerationHelper sqlGenerationHelper)
        : RelationalTransaction(connection, transaction, transactionId, logger, transactionOwned, sqlGenerationHelper)
    {
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

        /// <summary>A commit cleared the list (AuditTransactionInterceptor); whatever is left was rolled back with the transaction.</summary>
        private void ReappendUncommittedReads()
        {
            if (Connection.Context is { } context && HipaaContext.Audit(context) is { } runtime)
            {
                runtime.ReappendRolledBackReads(context);
            }
        }
    }
}

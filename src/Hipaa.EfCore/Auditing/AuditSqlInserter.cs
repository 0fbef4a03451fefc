using System.Data.Common;
using Hipaa.EfCore.Storage;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Inserts audit rows on a given connection and transaction (a bulk command's own), with EF Core's type mappings of the
/// application's model, so values are stored exactly as EF would store them (<see cref="SqlRowInserter"/>).
/// </summary>
internal static class AuditSqlInserter
{
    public static Task InsertAsync(DbContext context, DbConnection connection, DbTransaction? transaction, IReadOnlyList<AuditEntry> entries, bool async, CancellationToken cancellationToken)
    {
        if (context.Model.FindEntityType(typeof(AuditEntry)) is null)
        {
            throw new InvalidOperationException("The audit table is not in this context's model; UseHipaa with AddQueryAuditing adds it.");
        }

        return SqlRowInserter.InsertAsync(context, connection, transaction, entries, async, cancellationToken);
    }
}

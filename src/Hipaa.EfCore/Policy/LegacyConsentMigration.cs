using System.Data.Common;
using System.Text.Json;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// Encrypts consent tables written by a version of the SDK that stored consents in plaintext (columns <c>patient_id</c>,
/// <c>consent_id</c>, <c>kind</c>, <c>recipients</c>, … in the clear), on the first start that sees them when the application
/// asks for it (<c>ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion</c>; refused otherwise, since plaintext
/// tables put back by someone with write access would have their consents encrypted as genuine): every row is read
/// and encrypted first (outside any transaction, so keys can be created), then in one transaction — which holds the
/// tables' lock, so another instance migrating at the same time waits and then finds nothing to do — the plaintext tables
/// are dropped, the encrypted ones created and filled. A failure leaves the plaintext tables as they were and fails the
/// store's first call. On SQLite the file is then compacted (<c>VACUUM</c>), so freed pages keep no plaintext.
/// </summary>
internal static class LegacyConsentMigration
{
    private const int MaxAttempts = 4;

    public static async Task MigrateIfNeededAsync(DbContextOptions<ConsentStoreDbContext> options, ConsentCipher cipher, ILogger logger, bool allowed, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var context = new ConsentStoreDbContext(options);
            await using var disposal = context.ConfigureAwait(false);
            if (!await IsLegacyAsync(context, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (!allowed)
            {
                // Nothing in the database tells tables of an earlier version from plaintext tables someone with write access
                // put back after the consents were encrypted, to have consents of their own making encrypted as genuine:
                // only the application can say that this start is the upgrade.
                throw new InvalidOperationException(
                    $"The consent tables '{ConsentStoreDbContext.ConsentsTable}' and '{ConsentStoreDbContext.HistoryTable}' are in the plaintext format of an earlier version. If this start upgrades the deployment, set ConsentStoreOptions.{nameof(Hipaa.Policy.ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion)} (UseConsentStore(configure, o => o.{nameof(Hipaa.Policy.ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion)} = true)) for this start and remove it afterwards. If the consents were already encrypted, someone with write access to the database replaced the tables: investigate them; nothing was read or encrypted.");
            }

            List<LegacyRow> consents = await ReadAsync(context, ConsentsQuery, history: false, cancellationToken).ConfigureAwait(false);
            List<LegacyRow> changes = await ReadAsync(context, HistoryQuery, history: true, cancellationToken).ConfigureAwait(false);
            var encryptedConsents = new List<ConsentRow>(consents.Count);
            foreach (LegacyRow row in consents)
            {
                byte[] consentKey = await cipher.ConsentKeyAsync(row.Payload.PatientId, row.Payload.ConsentId, cancellationToken).ConfigureAwait(false);
                encryptedConsents.Add(new ConsentRow
                {
                    PatientKey = await cipher.PatientKeyAsync(row.Payload.PatientId, cancellationToken).ConfigureAwait(false),
                    ConsentKey = consentKey,
                    Revision = row.Payload.RevokedAt is null ? 0 : 1,
                    Payload = await cipher.EncryptAsync(ConsentStoreDbContext.ConsentsTable, row.Payload, consentKey, cancellationToken).ConfigureAwait(false),
                });
            }

            var encryptedChanges = new List<ConsentHistoryRow>(changes.Count);
            foreach (LegacyRow row in changes)
            {
                byte[] consentKey = await cipher.ConsentKeyAsync(row.Payload.PatientId, row.Payload.ConsentId, cancellationToken).ConfigureAwait(false);
                encryptedChanges.Add(new ConsentHistoryRow
                {
                    PatientKey = await cipher.PatientKeyAsync(row.Payload.PatientId, cancellationToken).ConfigureAwait(false),
                    ConsentKey = consentKey,
                    Payload = await cipher.EncryptAsync(ConsentStoreDbContext.HistoryTable, row.Payload, consentKey, cancellationToken).ConfigureAwait(false),
                });
            }

            if (await ReplaceAsync(context, consents.Count, changes.Count, encryptedConsents, encryptedChanges, cancellationToken).ConfigureAwait(false))
            {
                if (Storage.Dialects.DatabaseDialect.Find(context)?.ReclaimSpaceStatement is { } reclaim)
                {
                    await context.Database.ExecuteSqlRawAsync(reclaim, cancellationToken).ConfigureAwait(false);
                }

                ConsentStoreLog.LegacyConsentsMigrated(logger, consents.Count, changes.Count);
                return;
            }

            // Another instance migrated first, or an instance of the earlier version wrote meanwhile: look again.
        }

        throw new InvalidOperationException(
            $"The consent tables '{ConsentStoreDbContext.ConsentsTable}' and '{ConsentStoreDbContext.HistoryTable}' hold plaintext consents written by an earlier version, and they kept changing while this version tried to encrypt them. Stop the instances of the earlier version and start again.");
    }

    private static string ConsentsQuery =>
        $"SELECT patient_id, consent_id, kind, recipients, purposes, categories, valid_from, valid_until, revoked_at, recorded_at, recorded_by FROM {ConsentStoreDbContext.ConsentsTable}";

    private static string HistoryQuery =>
        $"SELECT patient_id, consent_id, kind, recipients, purposes, categories, valid_from, valid_until, revoked_at, changed_at, changed_by, change FROM {ConsentStoreDbContext.HistoryTable} ORDER BY id";

    /// <summary>Swaps the tables in one transaction, if they still hold exactly the rows read; false (nothing changed) otherwise.</summary>
    private static async Task<bool> ReplaceAsync(
        ConsentStoreDbContext context,
        int consentCount,
        int changeCount,
        List<ConsentRow> consents,
        List<ConsentHistoryRow> changes,
        CancellationToken cancellationToken)
    {
        IDbContextTransaction transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionDisposal = transaction.ConfigureAwait(false);
        try
        {
            if (Storage.Dialects.DatabaseDialect.Find(context)?.LockTablesStatement([ConsentStoreDbContext.ConsentsTable, ConsentStoreDbContext.HistoryTable]) is { } lockTables)
            {
                await context.Database.ExecuteSqlRawAsync(lockTables, cancellationToken).ConfigureAwait(false);
            }

            if (!await IsLegacyAsync(context, cancellationToken).ConfigureAwait(false)
                || await CountAsync(context, ConsentStoreDbContext.ConsentsTable, cancellationToken).ConfigureAwait(false) != consentCount
                || await CountAsync(context, ConsentStoreDbContext.HistoryTable, cancellationToken).ConfigureAwait(false) != changeCount)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }
        catch (DbException)
        {
            // The tables were replaced under us (PostgreSQL: the probe failed inside the transaction).
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        await context.Database.ExecuteSqlRawAsync($"DROP TABLE {ConsentStoreDbContext.HistoryTable}", cancellationToken).ConfigureAwait(false);
        await context.Database.ExecuteSqlRawAsync($"DROP TABLE {ConsentStoreDbContext.ConsentsTable}", cancellationToken).ConfigureAwait(false);
        await context.Database.ExecuteSqlRawAsync(context.Database.GenerateCreateScript(), cancellationToken).ConfigureAwait(false);
        context.Consents.AddRange(consents);
        context.History.AddRange(changes);
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static async Task<bool> IsLegacyAsync(ConsentStoreDbContext context, CancellationToken cancellationToken)
    {
        try
        {
            await context.Database.ExecuteSqlRawAsync(
                $"SELECT {ConsentStoreDbContext.LegacyColumn} FROM {ConsentStoreDbContext.ConsentsTable} WHERE 1 = 0", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbException)
        {
            return false; // no table yet, or the encrypted one
        }
    }

    private static async Task<long> CountAsync(ConsentStoreDbContext context, string table, CancellationToken cancellationToken)
    {
        DbConnection connection = context.Database.GetDbConnection();
        DbCommand command = connection.CreateCommand();
        await using var commandDisposal = command.ConfigureAwait(false);
        command.Transaction = context.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<LegacyRow>> ReadAsync(ConsentStoreDbContext context, string sql, bool history, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DbCommand command = context.Database.GetDbConnection().CreateCommand();
            await using var commandDisposal = command.ConfigureAwait(false);
            command.CommandText = sql;
            DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerDisposal = reader.ConfigureAwait(false);
            var rows = new List<LegacyRow>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new LegacyRow(new ConsentPayload
                {
                    PatientId = reader.GetString(0),
                    ConsentId = reader.GetString(1),
                    Kind = reader.GetInt32(2),
                    Recipients = Strings(reader.GetString(3)),
                    Purposes = Strings(reader.GetString(4)),
                    Categories = Strings(reader.GetString(5)),
                    ValidFrom = reader.GetFieldValue<DateTimeOffset>(6).ToUniversalTime(),
                    ValidUntil = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7).ToUniversalTime(),
                    RevokedAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8).ToUniversalTime(),
                    ChangedAt = reader.GetFieldValue<DateTimeOffset>(9).ToUniversalTime(),
                    ChangedBy = reader.GetString(10),
                    Change = history ? reader.GetInt32(11) : (int)ConsentChangeKind.Recorded,
                }));
            }

            return rows;
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private static string[] Strings(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    private sealed record LegacyRow(ConsentPayload Payload);
}

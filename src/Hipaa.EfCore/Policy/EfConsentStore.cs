using System.Data.Common;
using System.Security.Cryptography;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// Patients' consents and authorizations through EF Core, in the database <c>UseConsentStore(...)</c> names, encrypted
/// under the key ring (<see cref="ConsentCipher"/>): per patient, under the patient's data key, so a dump reveals neither the
/// SUD program, the recipients nor the categories, and shredding the patient makes their consents unreadable. Nothing is
/// deleted: a recording and a revocation each add a row to <c>hipaa_consent_history</c> with the consent as it stood after
/// the change, in the same transaction as the current state in <c>hipaa_consents</c>, whose only change ever is its
/// revocation, once (a compare-and-set on its revision). A row that fails authentication is never returned as a consent:
/// it cannot permit anything. The tables are created on first use if missing, and tables of an earlier version (plaintext)
/// are encrypted in place when the application asks for it (<see cref="LegacyConsentMigration"/>), refused otherwise;
/// every call uses a short-lived context of its own.
/// </summary>
internal sealed class EfConsentStore(DbContextOptions<ConsentStoreDbContext> options, ConsentCipher cipher, TimeProvider timeProvider, ILogger logger) : IConsentStore
{
    private const int MaxRevocationAttempts = 16;

    /// <summary>
    /// Gets a value indicating whether plaintext tables of an earlier version are encrypted in place
    /// (<see cref="ConsentStoreOptions.EncryptPlaintextTablesOfAnEarlierVersion"/>); otherwise they are refused.
    /// </summary>
    public bool EncryptPlaintextTables { get; init; }
    private readonly SemaphoreSlim _ensureLock = new(1, 1);
    private volatile bool _ensured;

    public async Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordedBy);
        ValidatePatientId(consent.PatientId, nameof(consent));
        DateTimeOffset now = timeProvider.GetUtcNow().ToUniversalTime();
        byte[] patientKey = await cipher.PatientKeyAsync(consent.PatientId, cancellationToken).ConfigureAwait(false);
        byte[] consentKey = await cipher.ConsentKeyAsync(consent.PatientId, consent.Id, cancellationToken).ConfigureAwait(false);
        ConsentPayload payload = ConsentPayload.From(consent, ConsentChangeKind.Recorded, now, recordedBy);

        // Encrypted before the consent database is written: a key that must be created never waits on its transaction.
        byte[] current = await cipher.EncryptAsync(ConsentStoreDbContext.ConsentsTable, payload, consentKey, cancellationToken).ConfigureAwait(false);
        byte[] change = await cipher.EncryptAsync(ConsentStoreDbContext.HistoryTable, payload, consentKey, cancellationToken).ConfigureAwait(false);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        context.Consents.Add(new ConsentRow { PatientKey = patientKey, ConsentKey = consentKey, Payload = current });
        context.History.Add(new ConsentHistoryRow { PatientKey = patientKey, ConsentKey = consentKey, Payload = change });
        try
        {
            // One SaveChanges: EF Core wraps the current state and its history row in one transaction.
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException exception)
        {
            if (await ExistsAsync(patientKey, consentKey, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException(
                    $"The patient already has a consent with id '{consent.Id}'; a consent is recorded once. Revoke it and record a new one with another id to change it.",
                    exception);
            }

            throw;
        }
    }

    public async Task<Consent> RevokeAsync(
        string patientId,
        string consentId,
        DateTimeOffset revokedAt,
        string revokedBy,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(consentId);
        ArgumentException.ThrowIfNullOrWhiteSpace(revokedBy);
        ValidatePatientId(patientId, nameof(patientId));
        byte[] patientKey = await cipher.PatientKeyAsync(patientId, cancellationToken).ConfigureAwait(false);
        byte[] consentKey = await cipher.ConsentKeyAsync(patientId, consentId, cancellationToken).ConfigureAwait(false);
        DateTimeOffset effective = revokedAt.ToUniversalTime();
        for (var attempt = 0; attempt < MaxRevocationAttempts; attempt++)
        {
            ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var disposal = context.ConfigureAwait(false);
            ConsentRow? row = await context.Consents.AsNoTracking()
                .SingleOrDefaultAsync(c => c.PatientKey == patientKey && c.ConsentKey == consentKey, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                throw new InvalidOperationException($"No consent with id '{consentId}' is recorded for the patient; record it before revoking it.");
            }

            ConsentReadResult read = await cipher.DecryptAsync(ConsentStoreDbContext.ConsentsTable, patientId, consentKey, row.Payload, cancellationToken).ConfigureAwait(false);
            Consent stored = read.Payload is { } payload && TryToConsent(payload, out Consent? readable)
                ? readable
                : throw new InvalidOperationException(read.Failure == ConsentReadFailure.Shredded
                    ? $"Consent '{consentId}' belongs to a crypto-shredded patient and can no longer be read; it permits nothing and needs no revocation."
                    : $"Consent '{consentId}' fails authentication (its row was altered by someone with write access to the database); it permits nothing. Investigate the consent table; nothing was changed.");
            if (stored.RevokedAt is { } earlier)
            {
                throw new InvalidOperationException($"Consent '{consentId}' was already revoked at {earlier:O}; a revocation cannot be moved or repeated.");
            }

            Consent revoked = stored.Revoke(effective);
            ConsentPayload original = read.Payload!;
            byte[] current = await cipher.EncryptAsync(
                ConsentStoreDbContext.ConsentsTable,
                ConsentPayload.From(revoked, (ConsentChangeKind)original.Change, original.ChangedAt, original.ChangedBy),
                consentKey,
                cancellationToken).ConfigureAwait(false);
            byte[] change = await cipher.EncryptAsync(
                ConsentStoreDbContext.HistoryTable,
                ConsentPayload.From(revoked, ConsentChangeKind.Revoked, timeProvider.GetUtcNow(), revokedBy),
                consentKey,
                cancellationToken).ConfigureAwait(false);

            // Compare-and-set on the revision read: of two concurrent revocations exactly one changes the row; the other
            // reads it again and finds it revoked.
            IDbContextTransaction transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionDisposal = transaction.ConfigureAwait(false);
            long revision = row.Revision;
            int updated = await context.Consents
                .Where(c => c.PatientKey == patientKey && c.ConsentKey == consentKey && c.Revision == revision)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Payload, current).SetProperty(c => c.Revision, revision + 1), cancellationToken).ConfigureAwait(false);
            if (updated != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            context.History.Add(new ConsentHistoryRow { PatientKey = patientKey, ConsentKey = consentKey, Payload = change });
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return revoked;
        }

        throw new InvalidOperationException($"Consent '{consentId}' could not be revoked: other writers kept changing it. Retry.");
    }

    public async Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ValidatePatientId(patientId, nameof(patientId));
        byte[] patientKey = await cipher.PatientKeyAsync(patientId, cancellationToken).ConfigureAwait(false);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        List<ConsentRow> rows = await context.Consents.AsNoTracking().Where(c => c.PatientKey == patientKey)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var consents = new List<Consent>(rows.Count);
        int shredded = 0, unreadable = 0;
        foreach (ConsentRow row in rows)
        {
            ConsentReadResult read = await cipher.DecryptAsync(ConsentStoreDbContext.ConsentsTable, patientId, row.ConsentKey, row.Payload, cancellationToken).ConfigureAwait(false);
            if (read.Payload is { } payload && TryToConsent(payload, out Consent? consent))
            {
                consents.Add(consent);
            }
            else if (read.Failure == ConsentReadFailure.Shredded)
            {
                shredded++;
            }
            else
            {
                unreadable++;
            }
        }

        Report(ConsentStoreDbContext.ConsentsTable, shredded, unreadable);
        return consents;
    }

    public async Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ValidatePatientId(patientId, nameof(patientId));
        byte[] patientKey = await cipher.PatientKeyAsync(patientId, cancellationToken).ConfigureAwait(false);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        List<ConsentHistoryRow> rows = await context.History.AsNoTracking().Where(h => h.PatientKey == patientKey).OrderBy(h => h.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<ConsentChange>(rows.Count);
        int shredded = 0;
        foreach (ConsentHistoryRow row in rows)
        {
            ConsentReadResult read = await cipher.DecryptAsync(ConsentStoreDbContext.HistoryTable, patientId, row.ConsentKey, row.Payload, cancellationToken).ConfigureAwait(false);
            if (read.Failure == ConsentReadFailure.Shredded)
            {
                shredded++;
                continue;
            }

            if (read.Payload is not { } payload || !TryToChange(payload, out ConsentChange? change))
            {
                // The history is a record: an altered one is reported, not shown with a gap.
                Report(ConsentStoreDbContext.HistoryTable, 0, 1);
                throw new CryptographicException(
                    $"Row {row.Id} of {ConsentStoreDbContext.HistoryTable} fails authentication: it was altered, or copied from another patient or consent, by someone with write access to the database. The patient's consent history cannot be trusted; investigate the table.");
            }

            changes.Add(change);
        }

        Report(ConsentStoreDbContext.HistoryTable, shredded, 0);
        return changes;
    }

    /// <summary>The consent ids are the payload's own; the ids are checked against the row, so only a bug or a format change fails here.</summary>
    private static bool TryToConsent(ConsentPayload payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Consent? consent)
    {
        try
        {
            consent = payload.ToConsent();
            return true;
        }
        catch (ArgumentException)
        {
            consent = null;
            return false;
        }
    }

    private static bool TryToChange(ConsentPayload payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConsentChange? change)
    {
        try
        {
            change = payload.ToChange();
            return true;
        }
        catch (ArgumentException)
        {
            change = null;
            return false;
        }
    }

    private static void ValidatePatientId(string patientId, string parameter)
    {
        if (KeyScopes.ProblemWithPatientId(patientId) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    private void Report(string table, int shredded, int unreadable)
    {
        if (unreadable > 0)
        {
            ConsentStoreLog.UnreadableConsentRows(logger, table, unreadable);
        }

        if (shredded > 0)
        {
            ConsentStoreLog.ShreddedConsentRows(logger, table, shredded);
        }
    }

    private static async Task<bool> TablesExistAsync(ConsentStoreDbContext context, CancellationToken cancellationToken)
    {
        try
        {
            _ = await context.Consents.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
            _ = await context.History.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    private async Task<bool> ExistsAsync(byte[] patientKey, byte[] consentKey, CancellationToken cancellationToken)
    {
        ConsentStoreDbContext context = new(options);
        await using var disposal = context.ConfigureAwait(false);
        return await context.Consents.AsNoTracking().AnyAsync(c => c.PatientKey == patientKey && c.ConsentKey == consentKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the consent tables if they are missing (as first use would) and reads from them: the start-up check.</summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            _ = await context.Consents.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
            _ = await context.History.AsNoTracking().AnyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ConsentStoreDbContext> OpenAsync(CancellationToken cancellationToken)
    {
        var context = new ConsentStoreDbContext(options);
        if (!_ensured)
        {
            await _ensureLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await EnsureTablesAsync(context, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await context.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                _ensureLock.Release();
            }
        }

        return context;
    }

    private async Task EnsureTablesAsync(ConsentStoreDbContext context, CancellationToken cancellationToken)
    {
        if (_ensured)
        {
            return;
        }

        var creator = context.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await creator.CreateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (creator.Exists())
            {
                // Another instance created the database first.
            }
        }

        // Tables of an earlier version hold consents in plaintext: encrypt them before anything else reads or writes.
        await LegacyConsentMigration.MigrateIfNeededAsync(options, cipher, logger, EncryptPlaintextTables, cancellationToken).ConfigureAwait(false);
        if (!await TablesExistAsync(context, cancellationToken).ConfigureAwait(false))
        {
            Exception? failure = null;
            try
            {
                await creator.CreateTablesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                failure = exception;
            }

            // Another instance may have created the tables first; anything else is a real failure.
            if (failure is not null && !await TablesExistAsync(context, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException(
                    $"The consent tables '{ConsentStoreDbContext.ConsentsTable}' and '{ConsentStoreDbContext.HistoryTable}' could not be created in the consent store database. Check the connection and permissions given to UseConsentStore(...).",
                    failure);
            }
        }

        _ensured = true;
    }
}

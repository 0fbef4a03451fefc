using System.Data.Common;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// Patients' consents and authorizations through EF Core, in the database <c>UseConsentStore(...)</c> names. Nothing is
/// deleted or overwritten: a recording and a revocation each add a row to <c>hipaa_consent_history</c> with the consent
/// as it stood after the change, in the same transaction as the current state in <c>hipaa_consents</c>, whose only
/// change ever is setting <c>revoked_at</c> once. The tables are created on first use if missing; every call uses a
/// short-lived context of its own.
/// </summary>
internal sealed class EfConsentStore(DbContextOptions<ConsentStoreDbContext> options, TimeProvider timeProvider) : IConsentStore
{
    private readonly SemaphoreSlim _ensureLock = new(1, 1);
    private volatile bool _ensured;

    public async Task RecordAsync(Consent consent, string recordedBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordedBy);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        DateTimeOffset now = timeProvider.GetUtcNow().ToUniversalTime();
        context.Consents.Add(new ConsentRow
        {
            PatientId = consent.PatientId,
            ConsentId = consent.Id,
            Kind = (int)consent.Kind,
            Recipients = [.. consent.Recipients],
            Purposes = [.. consent.Purposes.Select(p => p.Code)],
            Categories = [.. consent.Categories.Select(c => c.Name)],
            ValidFrom = consent.From.ToUniversalTime(),
            ValidUntil = consent.Until?.ToUniversalTime(),
            RevokedAt = consent.RevokedAt?.ToUniversalTime(),
            RecordedAt = now,
            RecordedBy = recordedBy,
        });
        context.History.Add(HistoryRow(consent, ConsentChangeKind.Recorded, now, recordedBy));
        try
        {
            // One SaveChanges: EF Core wraps the current state and its history row in one transaction.
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException exception)
        {
            if (await ExistsAsync(consent.PatientId, consent.Id, cancellationToken).ConfigureAwait(false))
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
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        IDbContextTransaction transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionDisposal = transaction.ConfigureAwait(false);

        // Write first, read after: setting revoked_at only where it is still empty makes exactly one of two concurrent
        // revocations take effect, and a transaction that starts with its write never works from a stale snapshot.
        DateTimeOffset effective = revokedAt.ToUniversalTime();
        int updated = await context.Consents
            .Where(c => c.PatientId == patientId && c.ConsentId == consentId && c.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RevokedAt, effective), cancellationToken).ConfigureAwait(false);
        ConsentRow? row = await context.Consents.AsNoTracking()
            .SingleOrDefaultAsync(c => c.PatientId == patientId && c.ConsentId == consentId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            throw new InvalidOperationException($"No consent with id '{consentId}' is recorded for the patient; record it before revoking it.");
        }

        if (updated != 1)
        {
            throw new InvalidOperationException(
                $"Consent '{consentId}' was already revoked at {row.RevokedAt:O}; a revocation cannot be moved or repeated.");
        }

        Consent revoked = ToConsent(row);
        context.History.Add(HistoryRow(revoked, ConsentChangeKind.Revoked, timeProvider.GetUtcNow().ToUniversalTime(), revokedBy));
        await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return revoked;
    }

    public async Task<IReadOnlyList<Consent>> ListAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        List<ConsentRow> rows = await context.Consents.AsNoTracking().Where(c => c.PatientId == patientId)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToConsent)];
    }

    public async Task<IReadOnlyList<ConsentChange>> GetHistoryAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ConsentStoreDbContext context = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var disposal = context.ConfigureAwait(false);
        List<ConsentHistoryRow> rows = await context.History.AsNoTracking().Where(h => h.PatientId == patientId).OrderBy(h => h.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(h => new ConsentChange(
            new Consent(h.ConsentId, h.PatientId, (ConsentKind)h.Kind, h.Recipients, h.Purposes.Select(p => new PurposeOfUse(p)), h.Categories.Select(c => new DataCategory(c)), h.ValidFrom, h.ValidUntil, h.RevokedAt),
            (ConsentChangeKind)h.Change,
            h.ChangedAt,
            h.ChangedBy))];
    }

    private static Consent ToConsent(ConsentRow row) =>
        new(row.ConsentId, row.PatientId, (ConsentKind)row.Kind, row.Recipients, row.Purposes.Select(p => new PurposeOfUse(p)),
            row.Categories.Select(c => new DataCategory(c)), row.ValidFrom, row.ValidUntil, row.RevokedAt);

    private static ConsentHistoryRow HistoryRow(Consent consent, ConsentChangeKind change, DateTimeOffset changedAt, string changedBy) => new()
    {
        PatientId = consent.PatientId,
        ConsentId = consent.Id,
        Change = (int)change,
        ChangedAt = changedAt,
        ChangedBy = changedBy,
        Kind = (int)consent.Kind,
        Recipients = [.. consent.Recipients],
        Purposes = [.. consent.Purposes.Select(p => p.Code)],
        Categories = [.. consent.Categories.Select(c => c.Name)],
        ValidFrom = consent.From.ToUniversalTime(),
        ValidUntil = consent.Until?.ToUniversalTime(),
        RevokedAt = consent.RevokedAt?.ToUniversalTime(),
    };

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

    private async Task<bool> ExistsAsync(string patientId, string consentId, CancellationToken cancellationToken)
    {
        ConsentStoreDbContext context = new(options);
        await using var disposal = context.ConfigureAwait(false);
        return await context.Consents.AsNoTracking().AnyAsync(c => c.PatientId == patientId && c.ConsentId == consentId, cancellationToken).ConfigureAwait(false);
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

using System.Globalization;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.Cli.Audit;

/// <summary><c>hipaa audit purge</c>: apply the retention period to the trail.</summary>
internal static class AuditRetentionCommand
{
    public static async Task<int> PurgeAsync(
        (string Provider, string Connection) store,
        AccessContext access,
        int retentionYears,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        // A year counted as 365 days plus the leap days six years can hold, so "6 years" is never shorter than six calendar years.
        var period = TimeSpan.FromDays((retentionYears * 365) + ((retentionYears + 3) / 4));
        using var scope = AccessContext.Begin(access);
        try
        {
            var retention = new AuditRetention(AuditStoreConnection.Options(store.Provider, store.Connection), TimeProvider.System);
            var result = await retention.PurgeExpiredAsync(period, cancellationToken).ConfigureAwait(false);
            output.WriteLine(result.RecordsDeleted == 0
                ? string.Create(CultureInfo.InvariantCulture, $"Nothing to purge: no sealed record before {result.Cutoff:yyyy-MM-dd} up to a checkpoint.")
                : string.Create(CultureInfo.InvariantCulture, $"Purged {result.RecordsDeleted} records (positions {result.FirstPosition}..{result.LastPosition}) older than {result.Cutoff:yyyy-MM-dd}."));
            return ExitCodes.Success;
        }
        catch (ArgumentOutOfRangeException refused)
        {
            error.WriteLine(refused.Message);
            return ExitCodes.InvalidInput;
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
        {
            return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
        }
    }
}

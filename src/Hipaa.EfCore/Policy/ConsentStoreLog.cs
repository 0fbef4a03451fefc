using Microsoft.Extensions.Logging;

namespace Hipaa.EfCore.Policy;

/// <summary>
/// The log events of the EF consent store (category <c>Hipaa.EfCore.Policy</c>, ids 1301–1399). They give counts, never
/// a patient id, a consent id or any consent value.
/// </summary>
internal static partial class ConsentStoreLog
{
    public const string Category = "Hipaa.EfCore.Policy";

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "{Count} row(s) of {Table} found for a patient fail authentication: they were altered, or copied from another patient or consent, by someone with write access to the database. They were left out: a consent that cannot be read never permits anything.")]
    public static partial void UnreadableConsentRows(ILogger logger, string table, int count);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "{Count} row(s) of {Table} found for a patient belong to a crypto-shredded patient and were left out.")]
    public static partial void ShreddedConsentRows(ILogger logger, string table, int count);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Encrypted the consent store's plaintext tables written by an earlier version: {Consents} consent(s) and {Changes} history row(s), in one transaction; the plaintext tables were dropped. Plaintext may remain in the database's WAL and backups (docs/aspnetcore.md, \"The consent store\").")]
    public static partial void LegacyConsentsMigrated(ILogger logger, int consents, int changes);
}

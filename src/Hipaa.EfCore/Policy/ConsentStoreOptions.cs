namespace Hipaa.Policy;

/// <summary>Options of the EF consent store, given to <c>UseConsentStore(configure, options)</c>.</summary>
public sealed class ConsentStoreOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether consent tables of an earlier version of the SDK, which held consents in
    /// plaintext, are encrypted in place on the store's first call. Defaults to <see langword="false"/>: such tables are
    /// refused with <see cref="InvalidOperationException"/>. Set it for the start that upgrades a deployment, and remove
    /// it once the tables are encrypted: while it is set, someone with write access to the database who replaces the
    /// encrypted tables by plaintext ones has consents of their own making encrypted as genuine at the next start.
    /// </summary>
    public bool EncryptPlaintextTablesOfAnEarlierVersion { get; set; }
}

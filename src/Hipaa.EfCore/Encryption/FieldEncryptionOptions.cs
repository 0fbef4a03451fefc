namespace Hipaa.Encryption;

/// <summary>Options of field encryption, registered with <c>services.AddHipaa().AddFieldEncryption(...)</c>.</summary>
public sealed class FieldEncryptionOptions
{
    /// <summary>Gets or sets which values share a data key. Defaults to <see cref="KeyScope.Patient"/> (per-patient erasure).</summary>
    public KeyScope KeyScope { get; set; } = KeyScope.Patient;

    /// <summary>
    /// Gets or sets how long unwrapped keys stay in memory. The KEK is called at most once per intermediate key per period,
    /// and a key shredded or rolled on another instance stops being used here within it. Defaults to 5 minutes.
    /// </summary>
    public TimeSpan KeyCacheLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long an instance keeps encrypting with a cached data key before it asks the key store again
    /// whether the key is still active (one point lookup per key in use per interval). This bounds how long after a
    /// shred on another instance this one can still write a value under the destroyed key (a value then lost with the
    /// rest); after it, such a write throws <see cref="ShreddedScopeException"/>. Defaults to 10 seconds; a value above
    /// <see cref="KeyCacheLifetime"/> is lowered to it.
    /// </summary>
    public TimeSpan KeyStateRecheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the pin of this deployment's first intermediate key, as <c>FieldEncryptionKeyManager.GetRootKeyPinAsync</c>
    /// returns it (<c>{id}:{32 hex digits}</c>; it reveals nothing of the key). When set, a key table whose first
    /// intermediate key is not the pinned one — replaced, or emptied and refilled, by someone with write access to the
    /// database — is refused with <see cref="KeyAuthenticationException"/>. Defaults to <see langword="null"/>: the first
    /// intermediate key is trusted on first use. Set it whenever the key-encryption key's wrapping is public (RSA).
    /// </summary>
    public string? RootKeyPin { get; set; }

    /// <summary>Gets or sets the largest number of unwrapped keys kept in memory. Defaults to 10,000.</summary>
    public int KeyCacheCapacity { get; set; } = 10_000;

    /// <summary>Gets or sets what reading a crypto-shredded value returns. Defaults to <see cref="ShreddedValueHandling.Throw"/>.</summary>
    public ShreddedValueHandling ShreddedValues { get; set; } = ShreddedValueHandling.Throw;

    /// <summary>
    /// Gets or sets whether values still in plaintext (written before encryption was enabled) may be read while
    /// <c>EncryptExistingDataAsync</c> migrates them. Defaults to <see langword="false"/>: a plaintext value is an error.
    /// Writes are always encrypted, whatever this says.
    /// </summary>
    public bool AllowPlaintextReadsDuringMigration { get; set; }

    /// <summary>
    /// Gets or sets which ciphertext format versions are read. Defaults to
    /// <see cref="CiphertextFormatVersions.Version1"/> | <see cref="CiphertextFormatVersions.Version2"/>: values written
    /// by earlier versions of the SDK (format 1) still decrypt. Once <c>FieldEncryptionKeyManager.ReencryptAsync</c> has
    /// rewritten every format 1 value, set it to <see cref="CiphertextFormatVersions.Version2"/>: a format 1 value is then
    /// refused with <see cref="FieldDecryptionException"/> (<see cref="FieldDecryptionFailure.FormatRefused"/>) before
    /// any key is looked up — format 1 does not bind the table's schema, so a value copied from a table of the same name
    /// in another schema would otherwise still decrypt. Must include <see cref="CiphertextFormatVersions.Version2"/>,
    /// the version every write produces.
    /// </summary>
    public CiphertextFormatVersions AcceptedCiphertextFormats { get; set; } = CiphertextFormatVersions.Version1 | CiphertextFormatVersions.Version2;
}

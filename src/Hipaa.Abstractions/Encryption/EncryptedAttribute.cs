namespace Hipaa.Encryption;

/// <summary>
/// Stores the property as authenticated ciphertext (AES-256-GCM under an envelope data key), bound to its table, column
/// and row. Supported types: <see cref="string"/>, <see cref="byte"/>[], integral and floating-point numbers,
/// <see cref="decimal"/>, <see cref="bool"/>, <see cref="Guid"/>, enums, <see cref="DateTime"/>,
/// <see cref="DateTimeOffset"/>, <see cref="DateOnly"/>, <see cref="TimeOnly"/> and their nullable forms.
/// </summary>
/// <remarks>
/// A <see langword="null"/> value is stored as SQL <c>NULL</c> (so the database reveals that the value is absent), while
/// an empty string or array is encrypted like any other value: "" and <see langword="null"/> stay distinct.
/// The fluent twin is <c>PropertyBuilder.IsEncrypted()</c>.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class EncryptedAttribute : Attribute
{
    /// <summary>
    /// Gets or sets a value indicating whether equality search (<c>Where(e =&gt; e.Property == value)</c>) is supported through a
    /// keyed blind index (HMAC-SHA256) stored in a shadow column. Reveals which rows share a value; see docs/encryption.md.
    /// Defaults to <see langword="false"/>.
    /// </summary>
    public bool Searchable { get; set; }
}

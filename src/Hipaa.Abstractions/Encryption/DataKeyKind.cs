namespace Hipaa.Encryption;

/// <summary>The kinds of key in the key table (docs/key-hierarchy.md).</summary>
internal enum DataKeyKind
{
    /// <summary>An intermediate key-wrapping key, wrapped by the KEK. Few of them; the KEK is called once per cache period for each.</summary>
    Intermediate = 1,

    /// <summary>A data-encryption key for one scope, wrapped locally by an intermediate key.</summary>
    Data = 2,

    /// <summary>An HMAC key for one column's blind index, wrapped locally by an intermediate key.</summary>
    Index = 3,
}

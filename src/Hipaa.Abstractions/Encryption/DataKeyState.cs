namespace Hipaa.Encryption;

/// <summary>The life cycle of a key in the key table.</summary>
internal enum DataKeyState
{
    /// <summary>Used for new encryptions in its scope, and for decryption.</summary>
    Active = 1,

    /// <summary>Rolled: still decrypts what it encrypted, never encrypts again.</summary>
    Retired = 2,

    /// <summary>Crypto-shredded: the wrapped key was erased; nothing it encrypted can be decrypted again.</summary>
    Destroyed = 3,
}

namespace Hipaa.Encryption;

/// <summary>The names of the key-wrap algorithms the SDK asks a key-encryption key for (JOSE/Key Vault names).</summary>
public static class KeyWrapAlgorithm
{
    /// <summary>AES key wrap with a 256-bit key (RFC 3394), <c>A256KW</c>: PKCS#11 <c>CKM_AES_KEY_WRAP</c>, Key Vault managed HSM.</summary>
    public const string AesKeyWrap256 = "A256KW";

    /// <summary>AES-256-GCM key wrap, <c>A256GCMKW</c> (RFC 7518 §4.7): the local development key.</summary>
    public const string AesGcmKeyWrap256 = "A256GCMKW";

    /// <summary>RSA-OAEP with SHA-256, <c>RSA-OAEP-256</c>: Azure Key Vault RSA keys.</summary>
    public const string RsaOaep256 = "RSA-OAEP-256";
}

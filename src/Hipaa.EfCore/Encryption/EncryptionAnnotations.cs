namespace Hipaa.EfCore.Encryption;

/// <summary>Model annotation names used by field encryption.</summary>
internal static class EncryptionAnnotations
{
    /// <summary>On a property configured with <c>IsEncrypted()</c>: <see langword="true"/> or "searchable".</summary>
    public const string Encrypted = "Hipaa:Encrypted";

    /// <summary>On a property configured with <c>IsPatientId()</c>.</summary>
    public const string PatientId = "Hipaa:PatientId";

    /// <summary>On a shadow ciphertext or blind-index property: the name of the CLR property it stands for.</summary>
    public const string EncryptedMember = "Hipaa:EncryptedMember";

    /// <summary>On a blind-index shadow property.</summary>
    public const string BlindIndexOf = "Hipaa:BlindIndexOf";

    /// <summary>On an entity type: "Name|searchable;Name2|" — the encrypted CLR properties, recorded by the convention.</summary>
    public const string EncryptedMembers = "Hipaa:EncryptedMembers";

    public const string CiphertextPrefix = "__hipaa_ct_";

    public const string BlindIndexPrefix = "__hipaa_bidx_";

    public const string BlindIndexColumnSuffix = "_bidx";
}

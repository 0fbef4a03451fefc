namespace Hipaa.EfCore.Encryption;

/// <summary>What <see cref="FieldEncryptionKeyManager.ReencryptAsync"/> or <see cref="FieldEncryptionKeyManager.EncryptExistingDataAsync"/> did.</summary>
/// <param name="RowsScanned">Rows read.</param>
/// <param name="ValuesRewritten">Encrypted values written anew.</param>
public sealed record ReencryptionResult(long RowsScanned, long ValuesRewritten);

namespace Hipaa.EfCore.Encryption;

/// <summary>What <see cref="FieldEncryptionKeyManager.ReencryptAsync"/> or <see cref="FieldEncryptionKeyManager.EncryptExistingDataAsync"/> did.</summary>
/// <param name="RowsScanned">Rows read.</param>
/// <param name="ValuesRewritten">Encrypted values written anew.</param>
/// <param name="RowsSkipped">
/// Rows that needed a rewrite but were left as they were, because they changed (or were deleted) between the read and the
/// write: each write is a compare-and-swap on the values read, so a newer value written meanwhile is never overwritten.
/// Such a value was written by the application, so it is already encrypted under the active key; run the operation again
/// to re-check the row's other values.
/// </param>
public sealed record ReencryptionResult(long RowsScanned, long ValuesRewritten, long RowsSkipped);

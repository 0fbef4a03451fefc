using System.Text;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Reads a value written in plaintext before encryption was enabled, while <c>EncryptExistingDataAsync</c> migrates a
/// column (only when <see cref="FieldEncryptionOptions.AllowPlaintextReadsDuringMigration"/> is on). Text columns hold
/// UTF-8 text; binary columns hold the bytes themselves.
/// </summary>
internal static class LegacyPlaintext
{
    public static object Decode(EncryptedPropertyModel property, byte[] stored, string entity)
    {
        var type = Nullable.GetUnderlyingType(property.Member.PropertyType) ?? property.Member.PropertyType;
        if (type == typeof(byte[]))
        {
            return stored;
        }

        var text = Encoding.UTF8.GetString(stored);
        try
        {
            return type == typeof(string) ? text
                : type.IsEnum ? Enum.Parse(type, text)
                : type == typeof(Guid) ? Guid.Parse(text)
                : type == typeof(DateOnly) ? DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
                : type == typeof(TimeOnly) ? TimeOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
                : type == typeof(DateTimeOffset) ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
                : type == typeof(TimeSpan) ? TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
                : type == typeof(bool) ? text is "1" or "true" or "True"
                : Convert.ChangeType(text, type, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            // Not chained: the parser's message repeats the text it could not parse (plaintext PHI), and an inner exception
            // reaches every log that records the failure (EF Core logs the exception of a failed query with its chain).
            throw new FieldDecryptionException(
                FieldDecryptionFailure.Malformed,
                entity,
                property.Name,
                null,
                $"The stored value of {entity}.{property.Name} is neither a Hipaa.Sdk ciphertext nor legacy plaintext of type {type.Name} ({exception.GetType().Name}; the value is not repeated here). Correct the row, or convert the column's legacy values before encrypting them.");
        }
    }
}

using System.Globalization;

namespace Hipaa.Encryption;

/// <summary>
/// The canonical text of a key value as format version 1 binds it (and as the SDK names rows and patients elsewhere, e.g.
/// in audit records): a string as is, a <see cref="Guid"/> in <c>"D"</c> format, a <see cref="DateTime"/> or
/// <see cref="DateTimeOffset"/> in <c>"O"</c> format, other <see cref="IFormattable"/> values with the invariant culture;
/// the parts of a composite key joined by U+001F; <see langword="null"/> as the empty string.
/// </summary>
internal static class Version1Text
{
    public static string Value(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        Guid guid => guid.ToString("D"),
        DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset dateTimeOffset => dateTimeOffset.ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>The text of a row key: one value, or an <see cref="T:object[]"/> of the parts of a composite key.</summary>
    public static string Row(object? row) => row is object?[] parts ? Row((ReadOnlySpan<object?>)parts) : Value(row);

    public static string Row(ReadOnlySpan<object?> parts)
    {
        if (parts.Length == 1)
        {
            return Value(parts[0]);
        }

        var texts = new string[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            texts[i] = Value(parts[i]);
        }

        return string.Join('\u001f', texts);
    }
}

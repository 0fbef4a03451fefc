using System.Linq.Expressions;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Maps a searchable property's value to its blind index (one way). EF Core applies it to query parameters compared
/// with the blind-index shadow property, which is how <c>Where(p =&gt; p.Mrn == mrn)</c> runs in the database without
/// plaintext. Reading the column back yields <see langword="null"/>: the index is never turned into a value.
/// </summary>
internal static class BlindIndexValueConverter
{
    public static ValueConverter Create(Type modelType, FieldEncryptionRuntime runtime, IReadOnlyEntityType entityType, string propertyName)
    {
        var table = entityType.GetTableName() ?? entityType.DisplayName();
        var column = entityType.FindProperty(EncryptionAnnotations.CiphertextPrefix + propertyName)?.GetColumnName() ?? propertyName;
        var codec = FieldValueCodec.For(modelType);
        var converterType = typeof(Converter<>).MakeGenericType(modelType);
        return (ValueConverter)Activator.CreateInstance(converterType, runtime, codec, table, column)!;
    }

    private sealed class Converter<TModel>(FieldEncryptionRuntime runtime, FieldValueCodec codec, string table, string column)
        : ValueConverter<TModel, byte[]>(
            Compute(runtime, codec, table, column),
            static _ => default!,
            new ConverterMappingHints(size: BlindIndex.Size))
    {
        private static Expression<Func<TModel, byte[]>> Compute(FieldEncryptionRuntime runtime, FieldValueCodec codec, string table, string column) =>
            value => runtime.ComputeBlindIndex(codec, value!, table, column);
    }
}

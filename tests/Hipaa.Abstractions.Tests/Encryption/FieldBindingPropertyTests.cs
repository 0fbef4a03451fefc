using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipaa.Encryption;

namespace Hipaa.Tests.Encryption;

/// <summary>
/// The laws of the format version 2 binding, for random values and random bindings (schema, table, column, a row key that
/// is a Guid, a long, a string or a composite, a patient id of any of those kinds or none): every value round-trips;
/// a change to any one part of the binding, or to any one bit of the stored value, is rejected.
/// </summary>
public sealed class FieldBindingPropertyTests
{
    private const string Entity = "Note";
    private const string Property = "Text";

    private static readonly DataKey Key = new(Guid.NewGuid(), KeyScopes.Application, RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes));
    private static readonly FieldValueCodec Text = FieldValueCodec.For(typeof(string));

    [Property(Arbitrary = [typeof(BindingArbitraries)], MaxTest = 300)]
    public void EncryptDecrypt_AnyValueAndBinding_RoundTripsInVersion2(BindingCase binding, string value)
    {
        var stored = FieldCipher.Encrypt(Key, Text, value, binding.Binding);

        Assert.Equal(FieldCiphertext.FormatVersion2, stored[0]);
        Assert.Equal(value, FieldCipher.Decrypt(Key, Text, stored, binding.Binding, Entity, Property));
    }

    [Property(Arbitrary = [typeof(BindingArbitraries)], MaxTest = 300)]
    public void Decrypt_WithAnyOnePartOfTheBindingChanged_FailsAuthentication(BindingCase binding, BindingCase other, byte which, string value)
    {
        var part = which % 5;
        var moved = binding.WithPart(part, other);
        var stored = FieldCipher.Encrypt(Key, Text, value, binding.Binding);

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(Key, Text, stored, moved.Binding, Entity, Property));

        Assert.Equal(FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    [Property(Arbitrary = [typeof(BindingArbitraries)], MaxTest = 300)]
    public void Decrypt_WithAnyOneBitFlipped_IsRejected(BindingCase binding, string value, int bit)
    {
        var stored = FieldCipher.Encrypt(Key, Text, value, binding.Binding);
        var index = (int)((uint)bit % (uint)(stored.Length * 8));
        stored[index / 8] ^= (byte)(1 << (index % 8));

        var ex = Assert.Throws<FieldDecryptionException>(() => FieldCipher.Decrypt(Key, Text, stored, binding.Binding, Entity, Property));

        // Version and algorithm bytes: no format this version reads. Anything else (key id included): authentication.
        Assert.Equal(index < 16 ? FieldDecryptionFailure.UnsupportedFormat : FieldDecryptionFailure.AuthenticationFailed, ex.Failure);
    }

    /// <summary>One random binding, kept as its parts so a test can change exactly one of them.</summary>
    public sealed record BindingCase(string Schema, string Table, string Column, object Row, object? Patient)
    {
        internal FieldBinding Binding => new(new FieldColumn(Schema, Table, Column), Row, Patient);

        /// <summary>This binding with part <paramref name="part"/> (0 schema … 4 patient) taken from <paramref name="other"/>, made to differ if it did not.</summary>
        public BindingCase WithPart(int part, BindingCase other) => part switch
        {
            0 => this with { Schema = Differ(Schema, other.Schema) },
            1 => this with { Table = Differ(Table, other.Table) },
            2 => this with { Column = Differ(Column, other.Column) },
            3 => this with { Row = Differ(Row, other.Row)! },
            _ => this with { Patient = Differ(Patient, other.Patient) },
        };

        public override string ToString() => $"({Schema}, {Table}, {Column}, {Describe(Row)}, {Describe(Patient)})";

        private static string Differ(string value, string replacement) => string.Equals(value, replacement, StringComparison.Ordinal) ? replacement + "'" : replacement;

        private static object? Differ(object? value, object? replacement) => !SameKey(value, replacement) ? replacement : replacement switch
        {
            null => 0L,
            Guid guid => new Guid(guid.ToByteArray().Select(b => (byte)~b).ToArray()),
            long number => unchecked(number + 1),
            string text => text + "'",
            object?[] parts => new object?[] { Differ(parts[0], parts[0]), parts[1] },
            _ => throw new InvalidOperationException(),
        };

        private static bool SameKey(object? left, object? right) => (left, right) switch
        {
            (object?[] a, object?[] b) => a.Length == b.Length && a.Zip(b).All(p => Equals(p.First, p.Second)),
            _ => Equals(left, right),
        };

        private static string Describe(object? value) => value switch
        {
            null => "none",
            object?[] parts => "[" + string.Join(", ", parts.Select(Describe)) + "]",
            _ => $"{value.GetType().Name} {value}",
        };
    }

    public static class BindingArbitraries
    {
        private static Gen<object> Scalar { get; } = Gen.OneOf(
            FieldValueArbitraries.Guids().Generator.Select(g => (object)g),
            FieldValueArbitraries.Int64s().Generator.Select(n => (object)n),
            FieldValueArbitraries.TextGen.Select(s => (object)s));

        private static Gen<object> RowKey { get; } = Gen.Frequency(
        [
            (4, Scalar),
            (1, Gen.Zip(Scalar, Scalar).Select(t => (object)new object?[] { t.Item1, t.Item2 })),
        ]);

        public static Arbitrary<string> Texts() => FieldValueArbitraries.Texts();

        public static Arbitrary<BindingCase> Bindings() =>
            (from schema in Gen.Frequency([(2, Gen.Constant(string.Empty)), (1, FieldValueArbitraries.TextGen)])
             from table in FieldValueArbitraries.TextGen
             from column in FieldValueArbitraries.TextGen
             from row in RowKey
             from patient in Gen.Frequency([(1, Gen.Constant<object?>(null)), (4, Scalar.Select(p => (object?)p))])
             select new BindingCase(schema, table, column, row, patient)).ToArbitrary();
    }
}

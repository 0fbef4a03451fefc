using System.Buffers;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// The comparisons a query made on blind indexes, checked again on the client for every row the database returned
/// (<see cref="BlindIndexVerificationInterceptor"/>): each compared value is decrypted from the row's own ciphertext and
/// compared with the searched value, and each condition the comparisons formed (<c>==</c>, <c>!=</c>, combined with
/// <c>&amp;&amp;</c>, <c>||</c>, <c>!</c>) must hold. A row for which one does not was found through an index moved to it
/// (or altered): the query fails with <see cref="FieldDecryptionFailure.IndexMismatch"/> before the row is returned.
/// Fetched by number from <see cref="BlindIndexFilterRegistry"/> (its runtime is the application's: EF Core compiles a
/// query per model, and a model per runtime).
/// </summary>
internal sealed class BlindIndexFilter(FieldEncryptionRuntime runtime, IReadOnlyList<BlindIndexFilter.Leaf> leaves, IReadOnlyList<BlindIndexFilter.Condition> conditions)
{
    /// <summary>Returns <paramref name="result"/> once every condition of filter <paramref name="filter"/> holds for the row <paramref name="values"/> came from.</summary>
    /// <typeparam name="TResult">The query's element type.</typeparam>
    /// <param name="result">The row's result, as the query projects it.</param>
    /// <param name="filter">The number of the query's filter in <see cref="BlindIndexFilterRegistry"/>.</param>
    /// <param name="values">For each leaf in turn: the stored ciphertext, the row's key values, its patient id (when the entity has one) and the searched value.</param>
    /// <returns><paramref name="result"/>.</returns>
    public static TResult Verified<TResult>(TResult result, int filter, object?[] values)
    {
        BlindIndexFilterRegistry.Get(filter).Check(values);
        return result;
    }

    /// <summary>Gets what the filter checks, as text: equal for filters that check the same (see <see cref="BlindIndexFilterRegistry"/>).</summary>
    /// <remarks>A filter with a constant searched value is never shared (its text would have to hold the value).</remarks>
    public string Shape { get; } =
        string.Join(";", leaves.Select(l => $"{l.Model.EntityType.Name}.{l.Property.Name}{(l.Equal ? "==" : "!=")}@{l.Offset}{(l.Constant is null ? string.Empty : "#" + Guid.NewGuid().ToString("N"))}"))
        + "|" + string.Join(";", conditions.Select(c => c.ToString()));

    private void Check(object?[] values)
    {
        var outcomes = new bool[leaves.Count];
        var shredded = new bool[leaves.Count];
        var known = new bool[leaves.Count];
        bool Outcome(int i)
        {
            if (!known[i])
            {
                (outcomes[i], shredded[i]) = Compare(leaves[i], values);
                known[i] = true;
            }

            return outcomes[i];
        }

        foreach (var condition in conditions)
        {
            if (!condition.Evaluate(Outcome))
            {
                throw Mismatch(condition, shredded, known);
            }
        }
    }

    /// <summary>The refusal of a row that does not satisfy <paramref name="condition"/>, naming a shredded leaf when one made it fail.</summary>
    private FieldDecryptionException Mismatch(Condition condition, bool[] shredded, bool[] known)
    {
        var shreddedLeaf = Enumerable.Range(0, leaves.Count).FirstOrDefault(i => known[i] && shredded[i], -1);
        var leaf = leaves[shreddedLeaf >= 0 ? shreddedLeaf : condition.FirstLeaf];
        var column = leaf.Property.BlindIndex!.GetColumnName();
        if (shreddedLeaf >= 0)
        {
            FieldEncryptionLog.ShreddedRowFoundByBlindIndex(runtime.Logger, leaf.Model.Table, column);
            return new FieldDecryptionException(
                FieldDecryptionFailure.IndexMismatch,
                leaf.Model.DisplayName,
                leaf.Property.Name,
                null,
                $"A search on {leaf.Model.DisplayName}.{leaf.Property.Name} found a row whose value was crypto-shredded: a shredded value matches no search, and shredding with the application's context (FieldEncryptionKeyManager.ShredAsync(scope, context)) clears its blind index ({leaf.Model.Table}.{column}). So the index was left by a shred run without the context (or by a write that raced the shred), or someone with write access to the database moved another row's index onto it. The query was refused so that it returns no wrong row; run ShredAsync(scope, context) for the shredded patient to clear what was left, and check the table's integrity if that does not explain it.");
        }

        FieldEncryptionLog.BlindIndexMismatch(runtime.Logger, leaf.Model.Table, column);
        return new FieldDecryptionException(
            FieldDecryptionFailure.IndexMismatch,
            leaf.Model.DisplayName,
            leaf.Property.Name,
            null,
            $"A search on {leaf.Model.DisplayName}.{leaf.Property.Name} found a row whose decrypted value does not match what was searched: its blind index ({leaf.Model.Table}.{column}) was moved to that row or altered, by someone with write access to the database. The query was refused so that it returns no wrong row; check the table's integrity (the audit trail records the read).");
    }

    /// <summary>
    /// Whether the row satisfies one comparison, and whether its value was crypto-shredded. A shredded value equals no
    /// searched value (it is not null either: its ciphertext is there): <c>==</c> fails, <c>!=</c> holds.
    /// </summary>
    private (bool Satisfied, bool Shredded) Compare(Leaf leaf, object?[] values)
    {
        var offset = leaf.Offset;
        var stored = (byte[]?)values[offset];
        var searched = leaf.Constant is { } constant ? constant.Value : values[offset + leaf.KeyCount + (leaf.HasPatient ? 1 : 0) + 1];
        bool equal;
        var shredded = false;
        if (stored is null)
        {
            equal = searched is null;
        }
        else
        {
            var keys = new object?[leaf.KeyCount];
            Array.Copy(values, offset + 1, keys, 0, leaf.KeyCount);
            var patient = leaf.HasPatient ? values[offset + 1 + leaf.KeyCount] : null;
            object? actual;
            try
            {
                actual = runtime.Decrypt(leaf.Model, leaf.Property, stored, EncryptedEntityModel.RowKey(keys), patient);
            }
            catch (FieldDecryptionException destroyed) when (destroyed.Failure == FieldDecryptionFailure.KeyDestroyed)
            {
                actual = null;
            }

            // Decrypted to null only when shredded (under ShreddedValueHandling.ReturnNull): a stored value is never null.
            shredded = actual is null;
            equal = !shredded && AreEqual(leaf.Property.Codec, actual, searched);
        }

        return (leaf.Equal ? equal : !equal, shredded);
    }

    /// <summary>Equality as the blind index sees it: of the encoded values (ordinal for text, the kind of a DateTime included).</summary>
    private static bool AreEqual(FieldValueCodec codec, object? left, object? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        if (left is string a && right is string b)
        {
            return string.Equals(a, b, StringComparison.Ordinal);
        }

        var leftLength = codec.GetByteCount(left);
        if (leftLength != codec.GetByteCount(right))
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(2 * leftLength);
        try
        {
            var span = buffer.AsSpan(0, 2 * leftLength);
            codec.Write(left, span[..leftLength]);
            codec.Write(right, span[leftLength..]);
            return span[..leftLength].SequenceEqual(span[leftLength..]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>One comparison of a blind index with a searched value, and where its inputs are in the row's values.</summary>
    /// <param name="Model">The entity type whose property is compared.</param>
    /// <param name="Property">The searchable property.</param>
    /// <param name="Equal"><see langword="true"/> for <c>==</c>, <see langword="false"/> for <c>!=</c>.</param>
    /// <param name="Offset">Where the leaf's values start: ciphertext, keys, patient id (if any), searched value.</param>
    /// <param name="KeyCount">The number of key values.</param>
    /// <param name="HasPatient">Whether a patient id follows the keys.</param>
    /// <param name="Constant">
    /// The searched value when the query wrote it as a constant (EF Core refuses object constants in a client projection, so
    /// it is kept here); <see langword="null"/> when it is a parameter, whose value follows the patient id.
    /// </param>
    internal sealed record Leaf(EncryptedEntityModel Model, EncryptedPropertyModel Property, bool Equal, int Offset, int KeyCount, bool HasPatient, ConcealedValue? Constant);

    /// <summary>A condition of the query's predicate made only of blind-index comparisons, evaluated as C# evaluates it (short-circuiting).</summary>
    internal abstract class Condition
    {
        public abstract int FirstLeaf { get; }

        public abstract bool Evaluate(Func<int, bool> leaf);
    }

    internal sealed class LeafCondition(int index) : Condition
    {
        public override int FirstLeaf => index;

        public override bool Evaluate(Func<int, bool> leaf) => leaf(index);

        public override string ToString() => "L" + index;
    }

    internal sealed class NotCondition(Condition operand) : Condition
    {
        public Condition Operand => operand;

        public override int FirstLeaf => operand.FirstLeaf;

        public override bool Evaluate(Func<int, bool> leaf) => !operand.Evaluate(leaf);

        public override string ToString() => $"!({operand})";
    }

    internal sealed class AndCondition(Condition left, Condition right) : Condition
    {
        public Condition Left => left;

        public Condition Right => right;

        public override int FirstLeaf => left.FirstLeaf;

        public override bool Evaluate(Func<int, bool> leaf) => left.Evaluate(leaf) && right.Evaluate(leaf);

        public override string ToString() => $"({left}&{right})";
    }

    internal sealed class OrCondition(Condition left, Condition right) : Condition
    {
        public Condition Left => left;

        public Condition Right => right;

        public override int FirstLeaf => left.FirstLeaf;

        public override bool Evaluate(Func<int, bool> leaf) => left.Evaluate(leaf) || right.Evaluate(leaf);

        public override string ToString() => $"({left}|{right})";
    }

    /// <summary>A constant searched value, wrapped so that no printout of the filter shows it.</summary>
    internal sealed class ConcealedValue(object? value)
    {
        public object? Value { get; } = value;

        public override string ToString() => "[search value]";
    }
}

using FsCheck.Xunit;
using Hipaa.Encryption;

namespace Hipaa.Abstractions.Tests.Encryption;

/// <summary>
/// The storage of a partial [Encrypted] property: a value a query deferred is decrypted once, on the first read; a set
/// replaces it without decrypting; a failed decryption leaves nothing readable behind.
/// </summary>
public sealed class DeferredPlaintextTests
{
    /// <summary>
    /// Any sequence of reads and sets observes what a plain field would if the deferred value had been decrypted at the
    /// first read, and decrypts at most once — never when a set comes first.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool ReadsAndSets_BehaveLikeAPlainField_DecryptingAtMostOnce(string? stored, (bool IsSet, string? Value)[] operations)
    {
        var pending = new CountingDecryption(stored);
        var storage = default(DeferredPlaintext<string?>);
        storage.Defer(pending);
        var expected = stored;
        var decryptedBeforeAnySet = false;
        var anySet = false;
        foreach (var (isSet, value) in operations)
        {
            if (isSet)
            {
                storage.Value = value;
                expected = value;
                anySet = true;
                if (storage.IsDeferred)
                {
                    return false;
                }
            }
            else
            {
                decryptedBeforeAnySet |= !anySet;
                if (storage.Value != expected)
                {
                    return false;
                }
            }
        }

        return pending.Calls == (decryptedBeforeAnySet ? 1 : 0) && storage.IsDeferred == (operations.Length == 0);
    }

    [Fact]
    public void FailedDecryption_ThrowsOnEveryRead_UntilAValueIsSet()
    {
        var pending = new FailingDecryption();
        var storage = default(DeferredPlaintext<int>);
        storage.Defer(pending);

        Assert.Throws<FieldDecryptionException>(() => storage.Value);
        Assert.Throws<FieldDecryptionException>(() => storage.Value);
        Assert.Equal(2, pending.Calls);
        Assert.True(storage.IsDeferred);

        storage.Value = 42;
        Assert.Equal(42, storage.Value);
        Assert.False(storage.IsDeferred);
        Assert.Equal(2, pending.Calls);
    }

    [Fact]
    public void ConcurrentFirstReads_AllReturnTheDecryptedValue()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var holder = new Holder();
            holder.Storage.Defer(new CountingDecryption("decrypted " + attempt));
            var seen = new string?[4];
            using var start = new Barrier(seen.Length);
            Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = seen.Length }, i =>
            {
                start.SignalAndWait();
                seen[i] = holder.Storage.Value;
            });

            Assert.All(seen, value => Assert.Equal("decrypted " + attempt, value));
            Assert.False(holder.Storage.IsDeferred);
        }
    }

    /// <summary>The storage lives in a field of an entity, as generated code declares it.</summary>
    private sealed class Holder
    {
        public DeferredPlaintext<string?> Storage;
    }

    private sealed class CountingDecryption(object? plaintext) : DeferredDecryption
    {
        public int Calls { get; private set; }

        public override object? Decrypt()
        {
            Calls++;
            return plaintext;
        }
    }

    private sealed class FailingDecryption : DeferredDecryption
    {
        public int Calls { get; private set; }

        public override object? Decrypt()
        {
            Calls++;
            throw new FieldDecryptionException(FieldDecryptionFailure.AuthenticationFailed, "Note", "Text", null, "The stored value of Note.Text failed authentication.");
        }
    }
}
